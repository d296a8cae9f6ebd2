/**
 * Logs and metrics as the router uses them: structured JSON logs (Powertools Logger) carrying the
 * execution id, engine@version, shard and sequence number, and counters in Embedded Metric Format
 * (Powertools Metrics). Behind two small interfaces so unit tests and the local demo can keep quiet or
 * collect the figures themselves.
 */
import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Fields attached to one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** The log methods the router uses. */
export interface RouterLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** False when debug lines are dropped: the per-execution debug line then costs nothing to build. */
  isDebugEnabled?(): boolean;
}

/** Metric names the router emits; dashboards and alarms read these. */
export type MetricName =
  | 'Records'
  | 'Routed'
  | 'Duplicates'
  | 'Quarantined'
  | 'Retried'
  | 'Succeeded'
  | 'Failed'
  | 'Waiting'
  | 'CacheHits'
  | 'CacheMisses'
  | 'CacheLoads'
  | 'CacheEvictions'
  | 'StepLatency'
  | 'IteratorAge'
  | 'BatchDuration';

/** The metric methods the router uses; `flush` is called once per batch. */
export interface RouterMetrics {
  count(name: MetricName, value?: number): void;
  milliseconds(name: MetricName, value: number): void;
  flush(): void;
}

/** Discards everything (unit tests, benchmarks). */
export const silentLogger: RouterLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  isDebugEnabled: () => false,
};

/** Sums counters in memory: the local demo prints them and tests assert on them. */
export class CountingMetrics implements RouterMetrics {
  readonly totals = new Map<MetricName, number>();

  count(name: MetricName, value = 1): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + value);
  }

  milliseconds(name: MetricName, value: number): void {
    this.count(name, value);
  }

  flush(): void {}
}

/** Powertools Logger: JSON lines with the service name, level from `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL`. */
export function powertoolsLogger(
  serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'message-event-router',
): RouterLogger {
  const logger = new Logger({ serviceName });
  return {
    debug: (message, fields) => logger.debug(message, { ...fields }),
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
    isDebugEnabled: () => logger.level <= LogLevelThreshold.DEBUG,
  };
}

/** Powertools Metrics: one EMF document per batch, namespace from `POWERTOOLS_METRICS_NAMESPACE`. */
export function powertoolsMetrics(
  namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'MessageEventRouter',
  serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'message-event-router',
): RouterMetrics {
  const metrics = new Metrics({ namespace, serviceName });
  return {
    count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    milliseconds: (name, value) => metrics.addMetric(name, MetricUnit.Milliseconds, value),
    flush: () => metrics.publishStoredMetrics(),
  };
}
