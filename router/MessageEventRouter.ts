/**
 * The MessageEventRouter: one Kinesis batch in, `batchItemFailures` out. It reads top to bottom as the
 * data flow: decode -> route -> resolve -> claim -> execute (invoke, checkpoint) -> report. Each stage
 * takes data and answers data; this loop performs what they decide. Every record ends in exactly one
 * of: done (succeeded, failed as a workflow, duplicate, waiting durably), quarantined (acknowledged,
 * stored with its reason), or retried (reported, with every later record of its partition key, so
 * Lambda redelivers them in order and dedup absorbs what already ran).
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Clock, CompiledGraph, InvokeEffect } from './asl/index.ts';
import type { RouterSettings } from './config.ts';
import { disposition, errorMessage } from './errors.ts';
import type { ExecutionRecord, ExecutionStore } from './executions/index.ts';
import {
  ExecutionLifecycle,
  type ExpressCompletion,
  isChildEnd,
  type LifecycleDeps,
  RunScope,
  SAFETY_MARGIN_MS,
} from './executions/index.ts';
import type { TaskInvoker } from './invoke/index.ts';
import type { RouterLogger, RouterMetrics } from './observability/index.ts';
import type { Envelope } from './pipeline/index.ts';
import {
  AliasRoutes,
  admit,
  type BatchAliases,
  type BatchSummary,
  type CacheDelta,
  type CallbackDeps,
  completeExpress,
  type DecodedOk,
  Disposer,
  decideCallback,
  decodeRecords,
  describe,
  type ExecuteContext,
  type ExpressWriteState,
  emitCounts,
  emptySummary,
  executeMessage,
  isEmpty,
  logBatch,
  modeOf,
  noRouteDetail,
  type Outcome,
  precheck,
  processInOrder,
  recordOutcome,
  refOf,
  resolveVersion,
  routeItem,
  stopAbandonedWork,
  tally,
  type WorkItem,
} from './pipeline/index.ts';
import type { QuarantineStore } from './quarantine/index.ts';
import type { EngineResolver } from './registry/index.ts';
import type { TaskTokenDeps } from './security/index.ts';

export { type BatchSummary, emptySummary } from './pipeline/index.ts';

/** Everything the router needs, built once at cold start. */
export interface RouterDeps extends TaskTokenDeps {
  readonly resolver: EngineResolver<CompiledGraph>;
  readonly executions: ExecutionStore;
  readonly quarantine: QuarantineStore;
  readonly invoke: TaskInvoker;
  readonly settings: RouterSettings;
  readonly clock: Clock;
  readonly logger: RouterLogger;
  readonly metrics: RouterMetrics;
  /** A unique lease owner per invocation. */
  readonly newOwner: () => string;
  /** How child executions answer their parents and how parents list them (nested executions). */
  readonly childExecutions?: Pick<LifecycleDeps, 'settleParent' | 'waitedChildren' | 'waitedChild'>;
  /** Stops the job of a `.sync` task its execution stopped waiting on (see `createJobStopper`). */
  readonly stopJob?: (
    effect: InvokeEffect,
    signal: AbortSignal,
  ) => Promise<{ readonly stopped: boolean; readonly error?: string }>;
}

/** Per-invocation limits given by Lambda. */
export interface BatchContext {
  /** Milliseconds left before Lambda kills the invocation. */
  readonly remainingTimeMs?: () => number;
}

/** What the windows of one batch share, with the failed keys and failures every stage reports into. */
interface BatchRun extends ExpressWriteState {
  readonly aliases: BatchAliases;
  readonly summary: BatchSummary;
  readonly started: number;
  readonly scope: RunScope;
  readonly execute: ExecuteContext;
  readonly shouldStop?: () => boolean;
  /** Execution keys already met in this batch: a second copy is a duplicate without a store read. */
  readonly seen: Set<string>;
}

/**
 * Kinesis records decoded and run together. Large enough for full store batches (BatchGetItem takes
 * 100 keys, BatchWriteItem 25) and to keep many keys running; small enough that the parsed payloads
 * of a window die young instead of a 10,000-record batch holding all of them at once.
 */
const WINDOW_RECORDS = 200;

const DONE: Outcome = { kind: 'done' };

/** Routes and runs Kinesis batches. */
export class MessageEventRouter {
  private readonly lifecycle: ExecutionLifecycle;
  private readonly aliasRoutes: AliasRoutes;
  private readonly callbackDeps: CallbackDeps;
  private readonly disposer: Disposer;
  /** Resolver cache counters as of the last report: metrics carry the difference. */
  private reportedCache: CacheDelta = { hits: 0, misses: 0, loads: 0, evictions: 0 };

  constructor(private readonly deps: RouterDeps) {
    const pinned = (engine: string, version: number) => deps.resolver.version(engine, version);
    this.lifecycle = new ExecutionLifecycle({ ...deps, ...deps.childExecutions, pinned });
    this.aliasRoutes = new AliasRoutes(deps.resolver);
    this.disposer = new Disposer({ ...deps, lifecycle: this.lifecycle });
    this.callbackDeps = {
      executions: deps.executions,
      verifyToken: deps.verifyTaskToken,
      now: () => deps.clock.now(),
      leaseMs: deps.settings.leaseMs,
      newOwner: deps.newOwner,
    };
  }

  /**
   * Handles one Kinesis batch.
   *
   * @example
   * export const handler = (event: KinesisStreamEvent, context: Context) =>
   *   router.handleBatch(event, { remainingTimeMs: () => context.getRemainingTimeInMillis() });
   */
  async handleBatch(
    event: KinesisStreamEvent,
    context: BatchContext = {},
  ): Promise<KinesisStreamBatchResponse> {
    const summary = await this.processBatch(event, context);
    return { batchItemFailures: summary.failures };
  }

  /** Like `handleBatch`, also returning what happened to each record. */
  async processBatch(
    event: KinesisStreamEvent,
    context: BatchContext = {},
  ): Promise<BatchSummary & { failures: { itemIdentifier: string }[] }> {
    const { metrics, clock } = this.deps;
    const started = clock.now();
    const oldest = event.Records[0]?.kinesis.approximateArrivalTimestamp;
    if (oldest !== undefined) metrics.milliseconds('IteratorAge', Math.max(0, started - oldest * 1000));

    const run = this.newBatch(await this.aliasRoutes.forBatch(), started, context.remainingTimeMs);
    try {
      for (let from = 0; from < event.Records.length; from += WINDOW_RECORDS) {
        await this.processWindow(event.Records.slice(from, from + WINDOW_RECORDS), run);
      }
    } finally {
      run.scope.close();
    }
    metrics.milliseconds('BatchDuration', clock.now() - started);
    this.report(run.summary);
    logBatch(this.deps.logger, run.summary, run.failures.length);
    return { ...run.summary, failures: run.failures };
  }

  private newBatch(aliases: BatchAliases, started: number, remainingMs?: () => number): BatchRun {
    const { deps } = this;
    const scope = this.scope(remainingMs);
    return {
      aliases,
      summary: emptySummary(),
      started,
      scope,
      execute: {
        lifecycle: this.lifecycle,
        resolve: (key) => resolveVersion(deps.resolver, aliases, key),
        pinned: (engine, version) => deps.resolver.version(engine, version),
        aliased: (key, alias) => deps.resolver.aliasVersion(key.engine, alias, key.dedupKey),
        run: scope.deps,
      },
      ...(remainingMs === undefined ? {} : { shouldStop: () => remainingMs() < SAFETY_MARGIN_MS * 2 }),
      seen: new Set(),
      failedKeys: new Set(),
      failures: [],
    };
  }

  /**
   * One window of a batch through every stage: decode, route, claim pre-check, execute in key order,
   * report, and the express completions in bulk. Keys that failed in an earlier window stay failed.
   */
  private async processWindow(records: KinesisStreamEvent['Records'], run: BatchRun): Promise<void> {
    // decode
    const decoded = decodeRecords(records, { maxBytes: this.deps.settings.maxRecordBytes });
    run.summary.records += decoded.length;

    // route (resolve's alias snapshot decides which engines are live)
    const items: WorkItem[] = decoded.map((d) => routeItem(d, run.aliases));

    // claim, first half: in-batch duplicates, and one BatchGetItem per 100 keys for the rest
    const known = await precheck(items, run.seen, this.deps.executions, run.started);

    // execute, keeping per-key order; report
    const express: ExpressCompletion[] = [];
    const scheduled = await processInOrder(items, {
      keyOf: (item) => item.decoded.partitionKey,
      idOf: (item) => item.decoded.sequenceNumber,
      concurrency: this.deps.settings.concurrency,
      failedKeys: run.failedKeys,
      ...(run.shouldStop === undefined ? {} : { shouldStop: run.shouldStop }),
      process: (item) => this.processItem(item, known, run, express),
    });
    for (const failure of scheduled.batchItemFailures) run.failures.push(failure);
    run.summary.retried += scheduled.retried + scheduled.skipped;
    // The window's parsed payloads are garbage from here: dropped before the bulk write waits on the
    // store, so that a young-generation collection during the wait does not promote them.
    decoded.length = 0;
    items.length = 0;
    await completeExpress(express, run, this.deps);
  }

  private async processItem(
    item: WorkItem,
    known: ReadonlyMap<string, ExecutionRecord>,
    run: BatchRun,
    express: ExpressCompletion[],
  ): Promise<Outcome> {
    const d = item.decoded;
    if (!d.ok)
      return this.disposer.quarantine(run.summary, d, { reason: d.error.reason, detail: d.error.message });
    if (d.envelope.kind === 'callback') return this.callback(d, d.envelope, run);
    if (item.route === undefined || item.key === undefined) {
      const named = d.envelope.kind === 'cloudevent' ? d.envelope.event.engine : undefined;
      return this.disposer.quarantine(run.summary, d, {
        reason: 'no-route',
        detail: noRouteDetail(d, named),
        ...(named === undefined ? {} : { engine: named }),
      });
    }
    run.summary.routed += 1;
    if (item.duplicateInBatch) {
      run.summary.duplicates += 1;
      return DONE;
    }
    const key = item.key;
    const admission = admit(known.get(item.mapKey ?? ''), modeOf(run.aliases, key.engine));
    if (admission.kind === 'duplicate') {
      tally(run.summary, `${admission.record.engine}@${admission.record.version}`, 'duplicates');
      if (admission.record.parent?.token === undefined) return DONE;
      try {
        await this.lifecycle.settleAgain(admission.record);
      } catch (error) {
        return this.disposer.onError(d, key, error, run.summary);
      }
      return DONE;
    }
    try {
      return recordOutcome(
        this.deps.logger,
        await executeMessage(d, key, admission, run.execute),
        run.summary,
        express,
      );
    } catch (error) {
      return this.disposer.onError(d, key, error, run.summary);
    }
  }

  /** Performs what a task callback's decision says. */
  private async callback(
    d: DecodedOk,
    envelope: Extract<Envelope, { kind: 'callback' }>,
    run: BatchRun,
  ): Promise<Outcome> {
    const decision = await decideCallback(envelope.callback, envelope.dedupKey, this.callbackDeps);
    switch (decision.kind) {
      case 'duplicate':
        tally(run.summary, `${decision.record.engine}@${decision.record.version}`, 'duplicates');
        return DONE;
      case 'reject':
        if (decision.reason === 'task-not-waiting' && isChildEnd(envelope.event)) {
          // The parent stopped waiting (its task timed out or was cancelled): nothing is lost.
          this.deps.logger.warn('a child execution ended after its parent stopped waiting for it', {
            ...refOf(d),
            detail: decision.message,
          });
          return DONE;
        }
        return this.disposer.quarantine(run.summary, d, {
          reason: decision.reason,
          detail: `${describe(d)}: ${decision.message}`,
        });
      case 'retry':
        return { kind: 'retry', error: decision.error };
      case 'resume':
        try {
          const outcome = await this.lifecycle.resumeWith(
            decision.record,
            decision.events,
            decision.messageKey,
            run.execute.run,
          );
          // Interrupted or not, the callback is in the execution's checkpoint now: an interrupted
          // execution is due at once (its lease released), so the callback record itself is done.
          recordOutcome(this.deps.logger, outcome, run.summary, []);
          return DONE;
        } catch (error) {
          if (disposition(error).kind !== 'give-up') return { kind: 'retry', error };
          return this.disposer.quarantine(run.summary, d, {
            reason: 'unprocessable',
            detail: `${describe(d)}: ${errorMessage(error)}`,
          });
        }
    }
  }

  /**
   * Resumes durable waits that are due: found through the due index and run from their checkpoint. In
   * AWS an EventBridge schedule invokes this; locally the event source mapping emulator calls it when
   * idle. A tick that found nothing to do reports nothing.
   */
  async sweep(
    options: { readonly limit?: number; readonly remainingTimeMs?: () => number } = {},
  ): Promise<BatchSummary> {
    const summary = emptySummary();
    const due = await this.deps.executions.listDue(this.deps.clock.now(), options.limit ?? 100);
    if (due.length === 0) return summary;
    const scope = this.scope(options.remainingTimeMs);
    try {
      await Promise.all(
        due.map(async (record) => {
          try {
            const outcome = recordOutcome(
              this.deps.logger,
              await this.lifecycle.resumeDue(record, scope.deps),
              summary,
              [],
            );
            if (outcome.kind === 'retry') summary.retried += 1;
          } catch (error) {
            await this.disposer.onDueError(record, error);
          }
        }),
      );
    } finally {
      scope.close();
    }
    if (!isEmpty(summary)) this.report(summary);
    return summary;
  }

  /** The runs of one batch or sweep, interrupted before Lambda's deadline when there is one. */
  private scope(remainingMs: (() => number) | undefined): RunScope {
    const { deps } = this;
    const base = {
      invoke: deps.invoke,
      clock: deps.clock,
      maxInProcessWaitMs: deps.settings.maxInProcessWaitMs,
      stopWork: (effect: InvokeEffect) =>
        stopAbandonedWork(effect, {
          lifecycle: this.lifecycle,
          stopJob: this.deps.stopJob,
          logger: this.deps.logger,
        }),
    };
    return new RunScope(base, remainingMs);
  }

  /** The counters of a batch or sweep as metrics, with the engine cache's activity since the last one. */
  private report(summary: BatchSummary): void {
    const { hits, misses, loads, evictions } = this.deps.resolver.stats;
    const last = this.reportedCache;
    emitCounts(this.deps.metrics, summary, {
      hits: hits - last.hits,
      misses: misses - last.misses,
      loads: loads - last.loads,
      evictions: evictions - last.evictions,
    });
    this.reportedCache = { hits, misses, loads, evictions };
  }
}
