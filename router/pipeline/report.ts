/**
 * Report: what happened to the records of a batch (or a sweep), counted once, then said once: one log
 * line and one metric value per counter, not one per record (Powertools flushes EMF every 100 values of
 * a metric), and nothing at all when nothing happened. Lambda's partial batch response itself is built
 * by the per-key scheduler (`schedule.ts`), which knows which records must come back.
 */
import type { ExpressCompletion, RunOutcome } from '../executions/index.ts';
import type { RouterLogger, RouterMetrics } from '../observability/index.ts';
import type { Outcome } from './schedule.ts';

/** The outcomes an execution can be counted under, in total and per `engine@version`. */
export type Tally = 'succeeded' | 'failed' | 'duplicates' | 'waiting';

/** What happened to the records of one batch, for logs, metrics and the local demo. */
export interface BatchSummary {
  records: number;
  /** Records that matched a published engine (including duplicates). */
  routed: number;
  succeeded: number;
  failed: number;
  duplicates: number;
  waiting: number;
  quarantined: number;
  retried: number;
  /** Per `engine@version`: outcomes of executions that ran in this batch. */
  readonly byEngine: Map<string, Record<Tally, number>>;
}

/** A summary with nothing counted yet. */
export function emptySummary(): BatchSummary {
  return {
    records: 0,
    routed: 0,
    succeeded: 0,
    failed: 0,
    duplicates: 0,
    waiting: 0,
    quarantined: 0,
    retried: 0,
    byEngine: new Map(),
  };
}

/** Counts one execution outcome, in total and for its `engine@version`. */
export function tally(summary: BatchSummary, label: string, outcome: Tally): void {
  summary[outcome] += 1;
  let row = summary.byEngine.get(label);
  if (row === undefined) {
    row = { succeeded: 0, failed: 0, duplicates: 0, waiting: 0 };
    summary.byEngine.set(label, row);
  }
  row[outcome] += 1;
}

/** True when a summary counted nothing (an idle sweep tick): it is neither logged nor measured. */
export function isEmpty(summary: BatchSummary): boolean {
  return (
    summary.records === 0 &&
    summary.succeeded === 0 &&
    summary.failed === 0 &&
    summary.duplicates === 0 &&
    summary.waiting === 0 &&
    summary.quarantined === 0 &&
    summary.retried === 0
  );
}

/** The engine cache's counters since the last report. */
export interface CacheDelta {
  readonly hits: number;
  readonly misses: number;
  readonly loads: number;
  readonly evictions: number;
}

/** Emits a batch's or sweep's counters as metrics, once each, and flushes them. */
export function emitCounts(metrics: RouterMetrics, summary: BatchSummary, cache: CacheDelta): void {
  metrics.count('Records', summary.records);
  metrics.count('Routed', summary.routed);
  metrics.count('Succeeded', summary.succeeded);
  metrics.count('Failed', summary.failed);
  metrics.count('Duplicates', summary.duplicates);
  metrics.count('Waiting', summary.waiting);
  metrics.count('Quarantined', summary.quarantined);
  metrics.count('Retried', summary.retried);
  metrics.count('CacheHits', cache.hits);
  metrics.count('CacheMisses', cache.misses);
  metrics.count('CacheLoads', cache.loads);
  metrics.count('CacheEvictions', cache.evictions);
  metrics.flush();
}

/** The batch's one log line. */
export function logBatch(logger: RouterLogger, summary: BatchSummary, batchItemFailures: number): void {
  logger.info('batch done', {
    records: summary.records,
    succeeded: summary.succeeded,
    failed: summary.failed,
    duplicates: summary.duplicates,
    waiting: summary.waiting,
    quarantined: summary.quarantined,
    retried: summary.retried,
    batchItemFailures,
  });
}

/**
 * Counts and logs what an execution did, and answers the record's outcome for the scheduler. An express
 * completion joins `express`, the window's bulk write.
 */
export function recordOutcome(
  logger: RouterLogger,
  outcome: RunOutcome,
  summary: BatchSummary,
  express: ExpressCompletion[],
): Outcome {
  switch (outcome.kind) {
    case 'finished': {
      const { result } = outcome;
      tally(summary, outcome.label, result.status === 'SUCCEEDED' ? 'succeeded' : 'failed');
      if (outcome.express !== undefined) express.push(outcome.express);
      logFinished(logger, outcome);
      return DONE;
    }
    case 'waiting':
      tally(summary, outcome.label, 'waiting');
      return DONE;
    case 'duplicate':
      tally(summary, outcome.label, 'duplicates');
      return DONE;
    case 'retry':
      return { kind: 'retry', error: outcome.error };
    case 'skipped':
      return DONE;
  }
}

const DONE: Outcome = { kind: 'done' };

/** One log line per finished execution: failures at info with their error and cause, successes at debug. */
function logFinished(logger: RouterLogger, outcome: Extract<RunOutcome, { kind: 'finished' }>): void {
  const { result } = outcome;
  if (result.status === 'SUCCEEDED' && logger.isDebugEnabled?.() === false) return;
  const fields = {
    executionId: outcome.executionId,
    engine: outcome.label,
    status: result.status,
    ...(outcome.origin ?? {}),
  };
  if (result.status === 'SUCCEEDED') logger.debug('execution succeeded', fields);
  else logger.info('execution failed', { ...fields, error: result.error, cause: result.cause });
}
