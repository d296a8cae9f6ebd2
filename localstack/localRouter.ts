/**
 * The router on the local stream, wired as AWS wires it: the event source mapping emulator reads every
 * shard and invokes the MessageEventRouter built from the environment exactly as the Lambda handler
 * builds it (`routerDepsFromEnv`), and the sweep that the EventBridge schedule runs in AWS runs on the
 * mapping's idle ticks. `npm run localstack:up` and `npm start` both run the router through this.
 */
import type { AwsEnvironment } from '../router/aws/index.ts';
import { resourceNamesFromEnv } from '../router/config.ts';
import { routerDepsFromEnv } from '../router/deps.ts';
import { type BatchSummary, MessageEventRouter, type RouterDeps } from '../router/MessageEventRouter.ts';
import { CountingMetrics, type RouterLogger, type RouterMetrics } from '../router/observability/index.ts';
import type { QuarantineEntry, QuarantineStore } from '../router/quarantine/index.ts';
import { type BatchReport, type EventSourceMapping, startEventSourceMapping } from './esm/index.ts';

/** Where a summary came from: a Kinesis batch, or a sweep of due executions. */
export type SummarySource = 'batch' | 'sweep';

/** Options of {@link startLocalRouter}. */
export interface LocalRouterOptions {
  /** The stack the mapping reads from. */
  readonly aws: AwsEnvironment;
  /** Names and `ROUTER_*` settings, read as the deployed function reads its environment. */
  readonly env: NodeJS.ProcessEnv;
  /** The router's structured log. */
  readonly logger: RouterLogger;
  /** Default: counted in memory (Embedded Metric Format lines are for CloudWatch, not a terminal). */
  readonly metrics?: RouterMetrics;
  /** Sees what each batch and each non-empty sweep did. */
  readonly onSummary?: (summary: BatchSummary, source: SummarySource) => void;
  /** Errors the mapping survives (a failed poll, a failing sweep). Default: logged as warnings. */
  readonly onError?: (error: unknown) => void;
  /** What each invocation of the mapping did, per shard (the console's Stream page counts them). */
  readonly onBatch?: (report: BatchReport) => void;
  /** Pause of a caught-up shard, and so the sweep's period. Default 200 ms. */
  readonly pollIntervalMs?: number;
}

/** A router running on the local stream. */
export interface LocalRouter {
  readonly mapping: EventSourceMapping;
  /** The router's dependencies: its alias snapshot, executions and quarantine, for what a caller reports. */
  readonly deps: RouterDeps;
  /** Stops polling and sweeping; resolves once the batch in flight has settled and been checkpointed. */
  stop(): Promise<void>;
}

/** Lambda's function name for the local router, as it appears in contexts and on-failure records. */
export const LOCAL_ROUTER_FUNCTION = 'message-event-router';

/**
 * Starts the mapping and the sweep. Shards resume from their checkpoints (in the ESM table), so a stack
 * restarted on its data goes on after the last record the router finished.
 *
 * @example
 * const router = await startLocalRouter({ aws: stack.aws, env: process.env, logger });
 * // ...
 * await router.stop();
 */
export async function startLocalRouter(options: LocalRouterOptions): Promise<LocalRouter> {
  const names = resourceNamesFromEnv(options.env);
  const { logger } = options;
  const deps = routerDepsFromEnv(options.env, { logger, metrics: options.metrics ?? new CountingMetrics() });
  const router = new MessageEventRouter(deps);
  const onError =
    options.onError ?? ((error: unknown) => logger.warn('event source mapping', { error: String(error) }));
  const mapping = await startEventSourceMapping({
    stream: names.stream,
    aws: options.aws,
    checkpointTable: names.esmTable,
    batchSize: 100,
    maximumBatchingWindowInSeconds: 0.2,
    reportBatchItemFailures: true,
    bisectBatchOnFunctionError: true,
    maximumRetryAttempts: 10,
    pollIntervalMs: options.pollIntervalMs ?? 200,
    functionName: LOCAL_ROUTER_FUNCTION,
    onFailure: { bucket: names.bucket, prefix: 'esm-failures/' },
    handler: async (event, context) => {
      const summary = await router.processBatch(event, {
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
      });
      options.onSummary?.(summary, 'batch');
      return { batchItemFailures: summary.failures };
    },
    onIdleTick: async () => {
      const summary = await router.sweep();
      if (summary.succeeded + summary.failed + summary.waiting > 0) options.onSummary?.(summary, 'sweep');
    },
    onError,
    ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
  });
  return { mapping, deps, stop: () => mapping.stop() };
}

const OUTCOMES = ['succeeded', 'failed', 'duplicates', 'waiting'] as const;

/**
 * One line saying what a batch or sweep did, naming only the outcomes that happened, per engine@version:
 * `batch of 3 records: 2 succeeded, 1 waiting (event-engine@1: 2 succeeded; batch-average@1: 1 waiting)`.
 */
export function describeSummary(summary: BatchSummary, source: SummarySource): string {
  const counts = (row: Readonly<Record<(typeof OUTCOMES)[number], number>>): string[] =>
    OUTCOMES.filter((outcome) => row[outcome] > 0).map((outcome) => `${row[outcome]} ${outcome}`);
  const totals = [
    ...counts(summary),
    ...(summary.quarantined > 0 ? [`${summary.quarantined} quarantined`] : []),
    ...(summary.retried > 0 ? [`${summary.retried} to retry`] : []),
  ];
  const engines = [...summary.byEngine]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([label, row]) => `${label}: ${counts(row).join(', ')}`)
    .filter((text) => !text.endsWith(': '));
  const head =
    source === 'batch'
      ? `batch of ${summary.records} record${summary.records === 1 ? '' : 's'}`
      : 'sweep of due executions';
  const detail = engines.length > 0 ? ` (${engines.join('; ')})` : '';
  return `${head}: ${totals.length > 0 ? totals.join(', ') : 'nothing to do'}${detail}`;
}

/**
 * Follows the quarantine index, so whoever watches the router sees why a record was set aside (not only
 * that it was): each call returns the entries quarantined since `since` that earlier calls did not return.
 */
export function quarantineFollower(
  store: QuarantineStore,
  since: Date,
): () => Promise<readonly QuarantineEntry[]> {
  const seen = new Set<string>();
  return async () => {
    const fresh: QuarantineEntry[] = [];
    for await (const entry of store.list({ since })) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      fresh.push(entry);
    }
    return fresh;
  };
}

/** The quarantine entry's own message (it names the record and the reason), with its engine if any. */
export function describeQuarantined(entry: QuarantineEntry): string {
  const named = entry.message.includes(entry.record.sequenceNumber)
    ? entry.message
    : `record shard ${entry.record.shardId} sequence ${entry.record.sequenceNumber}: ${entry.reason}: ${entry.message}`;
  return entry.engine === undefined ? named : `${named} (engine ${entry.engine})`;
}
