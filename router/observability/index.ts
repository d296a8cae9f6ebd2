/** The observability folder's surface: what the rest of the runtime imports from it. */

export type { LogFields, MetricName, RouterLogger, RouterMetrics } from './telemetry.ts';
export { CountingMetrics, powertoolsLogger, powertoolsMetrics, silentLogger } from './telemetry.ts';
