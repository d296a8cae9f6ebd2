/**
 * The MessageEventRouter: one Kinesis batch in, `batchItemFailures` out. It reads top to bottom as the
 * data flow: decode -> route -> resolve -> claim -> execute (invoke, checkpoint) -> report. Every record
 * ends in exactly one of: done (succeeded, failed as a workflow, duplicate, waiting durably),
 * quarantined (acknowledged, stored with its reason), or retried (reported, with every later record of
 * its partition key, so Lambda redelivers them in order and dedup absorbs what already ran).
 */
import { setMaxListeners } from 'node:events';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Clock } from './asl/interpreter/clock.ts';
import type { CompiledGraph } from './asl/interpreter/compile.ts';
import type { HistoryEvent } from './asl/interpreter/history.ts';
import type { RunResult } from './asl/interpreter/runtime.ts';
import type { ExecutionEvent, ExecutionState } from './asl/interpreter/state.ts';
import type { JsonValue } from './asl/types.ts';
import type { RouterSettings } from './config.ts';
import { describeRecord, isRetryableAwsError, LeaseLostError, RouterError } from './errors.ts';
import {
  type ClaimResult,
  type Completion,
  type ExecutionKey,
  type ExecutionOrigin,
  type ExecutionRecord,
  type ExecutionStore,
  executionIdFor,
  executionMapKey,
} from './executions/ExecutionStore.ts';
import { appendHistory } from './executions/history.ts';
import type { TaskInvoker } from './invoke/TaskInvoker.ts';
import type { RouterLogger, RouterMetrics } from './observability/telemetry.ts';
import { handleCallback } from './pipeline/callback.ts';
import { type DecodedOk, type DecodedRecord, decodeRecords } from './pipeline/decode.ts';
import {
  type ExecuteDeps,
  type ExecuteStart,
  executeGraph,
  isInfrastructureError,
} from './pipeline/execute.ts';
import { type Outcome, processInOrder } from './pipeline/report.ts';
import { createRouter, type RouteMatch, type Router } from './pipeline/route.ts';
import { type QuarantineStore, quarantineRecordOf } from './quarantine/QuarantineStore.ts';
import type { AliasSnapshot, EngineResolver, LoadedEngine } from './registry/EngineResolver.ts';
import { isoTime } from './time.ts';

/** Everything the router needs, built once at cold start. */
export interface RouterDeps {
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
}

/** Per-invocation limits given by Lambda. */
export interface BatchContext {
  /** Milliseconds left before Lambda kills the invocation. */
  readonly remainingTimeMs?: () => number;
}

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
  readonly byEngine: Map<string, { succeeded: number; failed: number; duplicates: number; waiting: number }>;
}

/** A run that stopped to wait (a durable wait, a callback, or the invocation's deadline). */
type WaitingResult = Extract<RunResult, { status: 'WAITING' }>;

/** Time kept in reserve at the end of an invocation to checkpoint and report. */
const SAFETY_MARGIN_MS = 3_000;

interface WorkItem {
  readonly decoded: DecodedRecord;
  route?: RouteMatch;
  key?: ExecutionKey;
  /** `executionMapKey(key)`, made once: every stage looks the execution up by it. */
  mapKey?: string;
  /** Set on the second and later copies of one message inside the batch. */
  duplicateInBatch?: boolean;
}

/** A completed express execution, written in bulk after its window. */
interface ExpressCompletion {
  readonly record: Omit<ExecutionRecord, 'rev'>;
  readonly completion: Completion;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
}

/** A batch's or sweep's deadline: the signal that fires before it, its timer, the runs' dependencies. */
interface ArmedDeadline {
  readonly signal: AbortSignal;
  readonly timer: NodeJS.Timeout | undefined;
  deps?: RunDeps;
}

/** The dependencies of runs, for standard runs and for express runs (which keep no history). */
interface RunDeps {
  readonly standard: ExecuteDeps;
  readonly express: ExecuteDeps;
}

/** What the windows of one batch share. */
interface BatchRun {
  readonly snapshot: AliasSnapshot;
  readonly router: Router;
  readonly summary: BatchSummary;
  readonly deadline: (() => number) | undefined;
  /** Execution keys already met in this batch: a second copy is a duplicate without a store read. */
  readonly seen: Set<string>;
  /** Partition keys with a record to be redelivered: their later records are reported, not run. */
  readonly failedKeys: Set<string>;
  readonly failures: { itemIdentifier: string }[];
}

/**
 * Kinesis records decoded and run together. Large enough for full store batches (BatchGetItem takes
 * 100 keys, BatchWriteItem 25) and to keep many keys running; small enough that the parsed payloads
 * of a window die young instead of a 10,000-record batch holding all of them at once.
 */
const WINDOW_RECORDS = 200;

/** Routes and runs Kinesis batches. */
export class MessageEventRouter {
  private routerFor: { snapshot: AliasSnapshot; router: Router } | undefined;
  /** Resolver cache counters as of the last batch: metrics carry the difference. */
  private reportedCache = { hits: 0, misses: 0 };
  private readonly deadlines = new WeakMap<() => number, ArmedDeadline>();
  private depsWithoutDeadline: RunDeps | undefined;

  constructor(private readonly deps: RouterDeps) {}

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
    const { metrics, logger } = this.deps;
    const started = this.deps.clock.now();
    const oldest = event.Records[0]?.kinesis.approximateArrivalTimestamp;
    if (oldest !== undefined) metrics.milliseconds('IteratorAge', Math.max(0, started - oldest * 1000));

    const snapshot = await this.deps.resolver.snapshot();
    const run: BatchRun = {
      snapshot,
      router: this.router(snapshot),
      summary: emptySummary(),
      deadline:
        context.remainingTimeMs === undefined
          ? undefined
          : () => context.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY,
      seen: new Set(),
      failedKeys: new Set(),
      failures: [],
    };
    try {
      for (let from = 0; from < event.Records.length; from += WINDOW_RECORDS) {
        await this.processWindow(event.Records.slice(from, from + WINDOW_RECORDS), run, started);
      }
    } finally {
      this.releaseDeadline(run.deadline);
    }
    const { summary, failures } = run;

    metrics.milliseconds('BatchDuration', this.deps.clock.now() - started);
    this.emitCounts(summary);
    logger.info('batch done', {
      records: summary.records,
      succeeded: summary.succeeded,
      failed: summary.failed,
      duplicates: summary.duplicates,
      waiting: summary.waiting,
      quarantined: summary.quarantined,
      retried: summary.retried,
      batchItemFailures: failures.length,
    });
    return { ...summary, failures };
  }

  /**
   * One window of a batch, through every stage: decode, route, claim pre-check, execute in key order,
   * report, and the express completions in bulk. Keys that failed in an earlier window stay failed.
   */
  private async processWindow(
    records: KinesisStreamEvent['Records'],
    run: BatchRun,
    started: number,
  ): Promise<void> {
    const { settings, logger } = this.deps;
    const { snapshot, summary, deadline } = run;

    // decode
    const decoded = decodeRecords(records, { maxBytes: settings.maxRecordBytes });
    summary.records += decoded.length;

    // route
    const items: WorkItem[] = decoded.map((d) => ({ decoded: d }));
    for (const item of items) {
      const d = item.decoded;
      if (!d.ok || d.envelope.kind === 'callback') continue;
      const match = run.router.route(d.envelope);
      if (match === undefined || !snapshot.aliases.has(match.engine)) continue;
      item.route = match;
      item.key = { engine: match.engine, dedupKey: match.dedupKey };
    }

    // claim (pre-check): one BatchGetItem per 100 keys; duplicates inside the batch need no store at all
    const keys: ExecutionKey[] = [];
    for (const item of items) {
      if (item.key === undefined) continue;
      const mapKey = executionMapKey(item.key);
      item.mapKey = mapKey;
      if (run.seen.has(mapKey)) item.duplicateInBatch = true;
      else {
        run.seen.add(mapKey);
        keys.push(item.key);
      }
    }
    const known =
      keys.length === 0 ? new Map<string, ExecutionRecord>() : await this.deps.executions.peek(keys, started);

    // execute, keeping per-key order; report
    const express: ExpressCompletion[] = [];
    const report = await processInOrder(items, {
      keyOf: (item) => item.decoded.partitionKey,
      idOf: (item) => item.decoded.sequenceNumber,
      concurrency: settings.concurrency,
      failedKeys: run.failedKeys,
      ...(deadline === undefined ? {} : { shouldStop: () => deadline() < SAFETY_MARGIN_MS * 2 }),
      process: (item) => this.processItem(item, known, snapshot, summary, express, deadline),
    });
    for (const failure of report.batchItemFailures) run.failures.push(failure);
    summary.retried += report.skipped;

    // express completions, in bulk (a lost write only means a redelivery re-runs them: express semantics)
    if (express.length === 0) return;
    try {
      await this.deps.executions.completeMany(express);
    } catch (error) {
      logger.warn('recording express completions failed; their records will be redelivered', {
        error: String(error),
        count: express.length,
      });
      const reported = new Set(run.failures.map((f) => f.itemIdentifier));
      for (const e of express) {
        run.failedKeys.add(e.partitionKey);
        if (!reported.has(e.sequenceNumber)) run.failures.push({ itemIdentifier: e.sequenceNumber });
      }
    }
  }

  private router(snapshot: AliasSnapshot): Router {
    if (this.routerFor?.snapshot !== snapshot) {
      const routes = [...snapshot.aliases.values()]
        .filter((alias) => alias.match !== undefined)
        .map((alias) => ({
          engine: alias.engine,
          ...(alias.match === undefined ? {} : { pattern: alias.match }),
          ...(alias.idPath === undefined ? {} : { idPath: alias.idPath }),
        }));
      this.routerFor = { snapshot, router: createRouter(routes) };
    }
    return this.routerFor.router;
  }

  private async processItem(
    item: WorkItem,
    known: ReadonlyMap<string, ExecutionRecord>,
    snapshot: AliasSnapshot,
    summary: BatchSummary,
    express: ExpressCompletion[],
    deadline: (() => number) | undefined,
  ): Promise<Outcome> {
    const d = item.decoded;
    if (!d.ok) return this.quarantine(d, d.error.reason, d.error.message, summary);
    if (d.envelope.kind === 'callback') {
      return handleCallback(d.envelope.callback, {
        messageKey: d.envelope.dedupKey,
        duplicate: (record) => {
          this.tally(summary, `${record.engine}@${record.version}`, 'duplicates');
          return { kind: 'done' };
        },
        executions: this.deps.executions,
        secret: new TextEncoder().encode(this.deps.settings.taskTokenSecret),
        now: () => this.deps.clock.now(),
        leaseMs: this.deps.settings.leaseMs,
        newOwner: this.deps.newOwner,
        resume: (record, events, messageKey) =>
          this.runClaimed(record, undefined, () => this.fresh(record), summary, deadline, {
            events,
            messageKey,
          }),
        reject: (reason, message) => this.quarantine(d, reason, `${describe(d)}: ${message}`, summary),
      });
    }
    if (item.route === undefined || item.key === undefined) {
      const named = d.envelope.kind === 'cloudevent' ? d.envelope.event.engine : undefined;
      const detail =
        named === undefined
          ? 'no engine attribute and no route pattern matched'
          : `engine '${named}' is not published (no live alias)`;
      return this.quarantine(d, 'no-route', `${describe(d)}: no-route: ${detail}`, summary);
    }
    summary.routed += 1;
    if (item.duplicateInBatch) {
      summary.duplicates += 1;
      return { kind: 'done' };
    }
    const key = item.key;
    const existing = known.get(item.mapKey ?? executionMapKey(key));
    try {
      if (
        existing !== undefined &&
        (existing.status === 'SUCCEEDED' || existing.status === 'FAILED' || existing.status === 'QUARANTINED')
      ) {
        this.tally(summary, `${existing.engine}@${existing.version}`, 'duplicates');
        return { kind: 'done' };
      }
      const alias = snapshot.aliases.get(key.engine);
      const mode = existing?.mode ?? alias?.mode ?? 'standard';
      if (mode === 'express') return await this.runExpress(d, key, snapshot, summary, express, deadline);
      return await this.runStandard(d, key, snapshot, existing ?? null, summary, deadline);
    } catch (error) {
      return this.onError(d, key, error, summary);
    }
  }

  /** The version this message runs on: without a promise of the resolver's own when it is loaded. */
  private resolve(
    key: ExecutionKey,
    snapshot: AliasSnapshot,
  ): LoadedEngine<CompiledGraph> | Promise<LoadedEngine<CompiledGraph>> {
    const { resolver } = this.deps;
    return (
      resolver.resolveLoaded(key.engine, key.dedupKey, snapshot) ??
      resolver.resolve(key.engine, key.dedupKey, snapshot)
    );
  }

  private async runExpress(
    d: DecodedOk,
    key: ExecutionKey,
    snapshot: AliasSnapshot,
    summary: BatchSummary,
    express: ExpressCompletion[],
    deadline: (() => number) | undefined,
  ): Promise<Outcome> {
    const loaded = await this.resolve(key, snapshot);
    const executionId = executionIdFor(key);
    const now = this.deps.clock.now();
    const result = await this.execute(loaded, this.newStart(d, executionId, now), deadline, {
      history: false,
    });
    if (result.status === 'WAITING') {
      // An express engine cannot park in memory: a long wait or a callback makes it a standard execution
      // from here on, saved at the state it reached. Its steps do not run again, and a task token its
      // step was already handed (which names the execution's start) stays the one that answers it.
      return this.runStandard(d, key, snapshot, null, summary, deadline, { result, startedAt: now });
    }
    if (result.status === 'FAILED' && isInfrastructureError(result.error)) {
      throw new RouterError(`${describe(d)}: ${result.error}: ${result.cause ?? ''}`, true);
    }
    const finished = this.deps.clock.now();
    express.push({
      sequenceNumber: d.sequenceNumber,
      partitionKey: d.partitionKey,
      record: {
        engine: key.engine,
        dedupKey: key.dedupKey,
        executionId,
        version: loaded.version,
        mode: 'express',
        status: 'RUNNING',
        startedAt: isoTime(now),
        updatedAt: isoTime(finished),
        origin: { shardId: d.shardId, sequenceNumber: d.sequenceNumber, partitionKey: d.partitionKey },
      },
      // Express executions keep no history or output (as Step Functions Express): storing them would cost
      // more than the run. Status, error and cause remain, for dedup and for operators.
      completion: this.completion(result, finished, false),
    });
    const label = `${key.engine}@${loaded.version}`;
    this.tally(summary, label, result.status === 'SUCCEEDED' ? 'succeeded' : 'failed');
    this.logFinished(executionId, label, result, { shardId: d.shardId, sequenceNumber: d.sequenceNumber });
    return { kind: 'done' };
  }

  private async runStandard(
    d: DecodedOk,
    key: ExecutionKey,
    snapshot: AliasSnapshot,
    known: ExecutionRecord | null,
    summary: BatchSummary,
    deadline: (() => number) | undefined,
    /** Where an express run of this message stopped to wait, and when it started. */
    reached?: { readonly result: WaitingResult; readonly startedAt: number },
  ): Promise<Outcome> {
    const { executions, settings } = this.deps;
    const now = reached?.startedAt ?? this.deps.clock.now();
    const loaded =
      known === null
        ? await this.resolve(key, snapshot)
        : await this.deps.resolver.version(key.engine, known.version);
    const claim: ClaimResult = await executions.claim(
      {
        ...key,
        executionId: executionIdFor(key),
        version: loaded.version,
        mode: 'standard',
        owner: this.deps.newOwner(),
        leaseMs: settings.leaseMs,
        now,
        origin: { shardId: d.shardId, sequenceNumber: d.sequenceNumber, partitionKey: d.partitionKey },
      },
      known,
    );
    const label = `${key.engine}@${claim.record.version}`;
    switch (claim.kind) {
      case 'duplicate':
        this.tally(summary, label, 'duplicates');
        return { kind: 'done' };
      case 'waiting':
        this.tally(summary, label, 'duplicates');
        return { kind: 'done' };
      case 'in-flight':
        summary.retried += 1;
        return {
          kind: 'retry',
          error: new LeaseLostError(
            `${describe(d)}: execution ${claim.record.executionId} is running elsewhere`,
          ),
        };
      default:
        break;
    }
    const start = (record: ExecutionRecord): ExecuteStart =>
      this.newStart(d, record.executionId, Date.parse(record.startedAt) || now);
    const outcome =
      reached !== undefined && claim.kind === 'claimed'
        ? await this.park(claim.record, reached.result, summary)
        : await this.runClaimed(claim.record, loaded, start, summary, deadline);
    return outcome === 'interrupted'
      ? {
          kind: 'retry',
          error: new RouterError(`${describe(d)}: invocation ran out of time; resumes on redelivery`, true),
        }
      : { kind: 'done' };
  }

  /**
   * Runs an execution this invocation holds the lease of, from its checkpoint (or from the start), and
   * writes where it ended: WAITING with a due time, RUNNING with the lease released (interrupted), or
   * the terminal status. A resumed execution runs on the version it started on, even if the alias moved.
   */
  private async runClaimed(
    claimed: ExecutionRecord,
    loaded: LoadedEngine<CompiledGraph> | undefined,
    fresh: (record: ExecutionRecord) => ExecuteStart,
    summary: BatchSummary,
    deadline: (() => number) | undefined,
    /** A callback's result to feed in first, and its message's key, recorded with the first checkpoint. */
    callback?: { readonly events: readonly ExecutionEvent[]; readonly messageKey: string },
  ): Promise<'done' | 'interrupted'> {
    const { executions, settings } = this.deps;
    const engine =
      loaded?.version === claimed.version
        ? loaded
        : await this.deps.resolver.version(claimed.engine, claimed.version);
    const label = `${claimed.engine}@${claimed.version}`;
    const start: ExecuteStart =
      claimed.checkpoint === undefined
        ? fresh(claimed)
        : {
            kind: 'resume',
            state: JSON.parse(claimed.checkpoint) as ExecutionState,
            ...(callback === undefined ? {} : { events: callback.events }),
          };
    let record = claimed;
    let appliedCallback = callback?.messageKey;
    const result = await this.execute(engine, start, deadline, {
      checkpoint: async (serialised) => {
        record = await executions.checkpoint(record, {
          checkpoint: serialised,
          leaseMs: settings.leaseMs,
          now: this.deps.clock.now(),
          ...(appliedCallback === undefined ? {} : { appliedCallback }),
        });
        appliedCallback = undefined;
      },
    });
    if (result.status === 'WAITING') return this.park(record, result, summary, appliedCallback);
    const finished = this.deps.clock.now();
    if (result.status === 'FAILED' && isInfrastructureError(result.error)) {
      throw new RouterError(
        `execution ${record.executionId} (${label}): ${result.error}: ${result.cause ?? ''}`,
        true,
      );
    }
    await executions.complete(record, {
      ...this.completion(result, finished),
      // The final state is what `router redrive` restarts a FAILED execution from. A success has nothing
      // to resume: it drops its checkpoint (every dedup read of the record gets smaller) and keeps the
      // input, as Step Functions' DescribeExecution shows it.
      ...(result.status === 'FAILED'
        ? { checkpoint: JSON.stringify(result.state) }
        : { checkpoint: null, input: JSON.stringify(result.state.context.input) }),
      ...historyOf(record, result.history, this.deps.settings.historyData),
    });
    this.tally(summary, label, result.status === 'SUCCEEDED' ? 'succeeded' : 'failed');
    this.logFinished(record.executionId, label, result, record.origin);
    return 'done';
  }

  /**
   * Saves a run that can only wait: WAITING with its due time (the sweep or a callback resumes it), or,
   * when the invocation ran out of time, RUNNING with the lease released (the redelivery resumes it).
   */
  private async park(
    record: ExecutionRecord,
    result: WaitingResult,
    summary: BatchSummary,
    appliedCallback?: string,
  ): Promise<'done' | 'interrupted'> {
    const { settings } = this.deps;
    const interrupted = result.waitingFor === 'interrupted';
    await this.deps.executions.checkpoint(record, {
      ...(appliedCallback === undefined ? {} : { appliedCallback }),
      checkpoint: JSON.stringify(result.state),
      status: interrupted ? 'RUNNING' : 'WAITING',
      leaseMs: interrupted ? 0 : settings.leaseMs,
      now: this.deps.clock.now(),
      ...historyOf(record, result.history, settings.historyData),
      ...(result.dueAt === undefined || interrupted ? {} : { dueAt: result.dueAt }),
    });
    if (interrupted) {
      summary.retried += 1;
      return 'interrupted';
    }
    this.tally(summary, `${record.engine}@${record.version}`, 'waiting');
    return 'done';
  }

  /**
   * Resumes durable waits that are due: found through the due index, taken over with the same
   * conditional claim a redelivery uses, and run from their checkpoint. In AWS an EventBridge schedule
   * invokes this; locally the event source mapping emulator calls it when idle.
   */
  async sweep(
    options: { readonly limit?: number; readonly remainingTimeMs?: () => number } = {},
  ): Promise<BatchSummary> {
    const summary = emptySummary();
    const now = this.deps.clock.now();
    const due = await this.deps.executions.listDue(now, options.limit ?? 100);
    const deadline = options.remainingTimeMs;
    await Promise.all(
      due.map(async (record) => {
        try {
          const claim = await this.deps.executions.claim(
            {
              engine: record.engine,
              dedupKey: record.dedupKey,
              executionId: record.executionId,
              version: record.version,
              mode: record.mode,
              owner: this.deps.newOwner(),
              leaseMs: this.deps.settings.leaseMs,
              now: this.deps.clock.now(),
            },
            record,
          );
          if (claim.kind !== 'resumed') return;
          await this.runClaimed(
            claim.record,
            undefined,
            () => {
              throw new RouterError(`execution ${record.executionId} is WAITING without a checkpoint`, false);
            },
            summary,
            deadline,
          );
        } catch (error) {
          await this.onSweepError(record, error);
        }
      }),
    ).finally(() => this.releaseDeadline(deadline));
    this.emitCounts(summary);
    return summary;
  }

  /**
   * A resume from the sweep failed. A lost lease is someone else's progress; a retryable failure is
   * tried again by a later sweep once the lease lapses, up to the same attempt limit as a record; a
   * failure that cannot heal (or one past the limit) ends the execution FAILED, so `router redrive`
   * can restart it, instead of being retried forever.
   */
  private async onSweepError(record: ExecutionRecord, error: unknown): Promise<void> {
    const fields = {
      executionId: record.executionId,
      engine: `${record.engine}@${record.version}`,
      error: String(error),
    };
    if (error instanceof LeaseLostError) return;
    const retryable = error instanceof RouterError ? error.retryable : isRetryableAwsError(error);
    try {
      const attempts = retryable
        ? await this.deps.executions.recordFailure(record, this.deps.clock.now())
        : 0;
      if (retryable && attempts < this.deps.settings.maxAttempts) {
        this.deps.logger.warn('resuming a due execution failed; a later sweep retries it', {
          ...fields,
          attempts,
        });
        return;
      }
      const current = await this.deps.executions.get(record);
      if (current === undefined || current.status === 'SUCCEEDED' || current.status === 'FAILED') return;
      await this.deps.executions.complete(current, {
        status: 'FAILED',
        error: retryable ? 'Router.MaxAttempts' : 'Router.ResumeFailed',
        cause: error instanceof Error ? error.message : String(error),
        now: this.deps.clock.now(),
        retentionSeconds: this.deps.settings.retentionSeconds,
      });
      this.deps.logger.error('a due execution could not be resumed; it is now FAILED', {
        ...fields,
        attempts,
      });
    } catch (storeError) {
      this.deps.logger.warn('resuming a due execution failed; a later sweep retries it', {
        ...fields,
        storeError: String(storeError),
      });
    }
  }

  private newStart(d: DecodedOk, executionId: string, startTime: number): ExecuteStart {
    const envelope = d.envelope;
    let input: JsonValue;
    let name = executionId;
    if (envelope.kind === 'raw') input = envelope.body;
    else {
      input = envelope.event.data ?? {};
      name = envelope.event.id;
    }
    return { kind: 'new', executionId, name, input, inputBytes: d.bytes, startTime };
  }

  private execute(
    loaded: LoadedEngine<CompiledGraph>,
    start: ExecuteStart,
    deadline: (() => number) | undefined,
    options: {
      /** Standard engines: receives the state to save before a step's successor starts. */
      readonly checkpoint?: (serialised: string) => Promise<void>;
      /** False for express runs, which store no history. */
      readonly history?: boolean;
    },
  ): Promise<RunResult> {
    const deps = this.executeDeps(deadline);
    return executeGraph(
      loaded.compiled,
      start,
      options.history === false ? deps.express : deps.standard,
      options.checkpoint,
    );
  }

  /** What runs need, built once per deadline (per batch or sweep) instead of once per message. */
  private executeDeps(deadline: (() => number) | undefined): RunDeps {
    if (deadline === undefined) {
      this.depsWithoutDeadline ??= this.runDeps(undefined);
      return this.depsWithoutDeadline;
    }
    const armed = this.arm(deadline);
    armed.deps ??= this.runDeps(armed.signal);
    return armed.deps;
  }

  private runDeps(signal: AbortSignal | undefined): RunDeps {
    const standard: ExecuteDeps = {
      invoke: this.deps.invoke,
      clock: this.deps.clock,
      maxInProcessWaitMs: this.deps.settings.maxInProcessWaitMs,
      ...(signal === undefined ? {} : { signal }),
    };
    return { standard, express: { ...standard, history: false } };
  }

  /**
   * The signal that interrupts executions when the invocation runs out of time, one per deadline (per
   * batch or sweep) and shared by its executions: an AbortController and a timer per record cost more
   * than running a short graph. The deadline is absolute, so sharing fires at the same moment. The
   * runs' dependencies are kept beside it.
   */
  private arm(deadline: () => number): ArmedDeadline {
    let armed = this.deadlines.get(deadline);
    if (armed === undefined) {
      const controller = new AbortController();
      // Every running execution of the batch listens to it: more than the default ten is expected.
      setMaxListeners(0, controller.signal);
      const left = deadline() - SAFETY_MARGIN_MS;
      let timer: NodeJS.Timeout | undefined;
      if (left <= 0) controller.abort();
      else timer = setTimeout(() => controller.abort(), left);
      armed = { signal: controller.signal, timer };
      this.deadlines.set(deadline, armed);
    }
    return armed;
  }

  /** Stops the deadline timer of a finished batch or sweep. */
  private releaseDeadline(deadline: (() => number) | undefined): void {
    if (deadline === undefined) return;
    const armed = this.deadlines.get(deadline);
    if (armed?.timer !== undefined) clearTimeout(armed.timer);
    this.deadlines.delete(deadline);
  }

  /** The terminal write of a run; express engines keep status, error and cause but not the output. */
  private completion(
    result: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>,
    now: number,
    keepOutput = true,
  ): Completion {
    const completion: { -readonly [K in keyof Completion]: Completion[K] } = {
      status: result.status,
      now,
      retentionSeconds: this.deps.settings.retentionSeconds,
    };
    if (result.output !== undefined && keepOutput) completion.output = JSON.stringify(result.output);
    if (result.error !== undefined) completion.error = result.error;
    if (result.cause !== undefined) completion.cause = result.cause;
    return completion;
  }

  /** The start of a claimed execution that has no checkpoint: only a new message can start one. */
  private fresh(record: ExecutionRecord): never {
    throw new RouterError(`execution ${record.executionId} has no checkpoint to resume`, false);
  }

  /** A failure while handling a routed message: retry it, or quarantine it once it failed too often. */
  private async onError(
    d: DecodedOk,
    key: ExecutionKey,
    error: unknown,
    summary: BatchSummary,
  ): Promise<Outcome> {
    const retryable = error instanceof RouterError ? error.retryable : isRetryableAwsError(error);
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof LeaseLostError) {
      summary.retried += 1;
      return { kind: 'retry', error };
    }
    if (!retryable) {
      return this.quarantine(d, errorReason(error), `${describe(d)}: ${message}`, summary, key.engine);
    }
    let attempts: number;
    try {
      attempts = await this.deps.executions.recordFailure(key, this.deps.clock.now());
    } catch (countError) {
      this.deps.logger.warn('could not count a retryable failure', {
        error: String(countError),
        ...refOf(d),
      });
      summary.retried += 1;
      return { kind: 'retry', error };
    }
    if (attempts >= this.deps.settings.maxAttempts) {
      const outcome = await this.quarantine(
        d,
        'max-attempts',
        `${describe(d)}: failed ${attempts} times, last: ${message}`,
        summary,
        key.engine,
        attempts,
      );
      if (outcome.kind === 'done') await this.markQuarantined(key);
      return outcome;
    }
    this.deps.logger.warn('record will be retried', {
      reason: message,
      attempts,
      engine: key.engine,
      ...refOf(d),
    });
    summary.retried += 1;
    return { kind: 'retry', error };
  }

  /** Records the execution as QUARANTINED so later copies of the message are answered as duplicates. */
  private async markQuarantined(key: ExecutionKey): Promise<void> {
    try {
      const record = await this.deps.executions.get(key);
      if (record === undefined || record.status !== 'RUNNING') return;
      await this.deps.executions.complete(
        { ...record },
        {
          status: 'QUARANTINED',
          now: this.deps.clock.now(),
          retentionSeconds: this.deps.settings.retentionSeconds,
          error: 'Router.MaxAttempts',
        },
      );
    } catch (error) {
      this.deps.logger.warn('could not mark a quarantined execution', {
        error: String(error),
        engine: key.engine,
      });
    }
  }

  private async quarantine(
    d: DecodedRecord,
    reason: string,
    message: string,
    summary: BatchSummary,
    engine?: string,
    attempts?: number,
  ): Promise<Outcome> {
    try {
      await this.deps.quarantine.put({
        record: quarantineRecordOf(d),
        reason,
        message,
        ...(engine === undefined ? {} : { engine }),
        ...(attempts === undefined ? {} : { attempts }),
      });
    } catch (error) {
      this.deps.logger.error('quarantine write failed; the record will be retried', {
        error: String(error),
        ...refOf(d),
      });
      summary.retried += 1;
      return { kind: 'retry', error };
    }
    summary.quarantined += 1;
    this.deps.logger.warn('record quarantined', { reason, message, ...refOf(d) });
    return { kind: 'done' };
  }

  /** One log line per finished execution: failures at info with their error and cause, successes at debug. */
  private logFinished(
    executionId: string,
    label: string,
    result: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>,
    origin: ExecutionOrigin | undefined,
  ): void {
    const { logger } = this.deps;
    if (result.status === 'SUCCEEDED' && logger.isDebugEnabled?.() === false) return;
    const fields = { executionId, engine: label, status: result.status, ...(origin ?? {}) };
    if (result.status === 'SUCCEEDED') logger.debug('execution succeeded', fields);
    else logger.info('execution failed', { ...fields, error: result.error, cause: result.cause });
  }

  private tally(
    summary: BatchSummary,
    label: string,
    outcome: 'succeeded' | 'failed' | 'duplicates' | 'waiting',
  ): void {
    summary[outcome] += 1;
    let row = summary.byEngine.get(label);
    if (row === undefined) {
      row = { succeeded: 0, failed: 0, duplicates: 0, waiting: 0 };
      summary.byEngine.set(label, row);
    }
    row[outcome] += 1;
  }

  /**
   * The counters of a batch or sweep, once each: one metric value per counter and batch instead of one
   * per record keeps the EMF output (Powertools flushes every 100 values of a metric) small.
   */
  private emitCounts(summary: BatchSummary): void {
    const { metrics, resolver } = this.deps;
    metrics.count('Records', summary.records);
    metrics.count('Routed', summary.routed);
    metrics.count('Succeeded', summary.succeeded);
    metrics.count('Failed', summary.failed);
    metrics.count('Duplicates', summary.duplicates);
    metrics.count('Waiting', summary.waiting);
    metrics.count('Quarantined', summary.quarantined);
    metrics.count('Retried', summary.retried);
    const { hits, misses } = resolver.stats;
    metrics.count('CacheHits', hits - this.reportedCache.hits);
    metrics.count('CacheMisses', misses - this.reportedCache.misses);
    this.reportedCache = { hits, misses };
    metrics.flush();
  }
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

/** The stored history after a run, as the optional field of a checkpoint or completion write. */
function historyOf(
  record: ExecutionRecord | undefined,
  events: readonly HistoryEvent[],
  includeData: boolean,
): { history?: string } {
  const history = appendHistory(record?.history, events, { includeData });
  return history === undefined ? {} : { history };
}

function refOf(d: DecodedRecord): Record<string, string | number> {
  return {
    shardId: d.shardId,
    sequenceNumber: d.sequenceNumber,
    partitionKey: d.partitionKey,
    ...(d.subSequence === undefined ? {} : { subSequence: d.subSequence }),
  };
}

function describe(d: DecodedRecord): string {
  return describeRecord({
    shardId: d.shardId,
    sequenceNumber: d.sequenceNumber,
    ...(d.subSequence === undefined ? {} : { subSequence: d.subSequence }),
  });
}

function errorReason(error: unknown): string {
  if (error instanceof Error && error.name === 'EngineLoadError') return 'engine-unavailable';
  return 'unprocessable';
}
