/**
 * The life of one execution, in one place: claim -> run -> checkpoint / park / complete, and the resume
 * path that redeliveries, the sweep and task callbacks share. Each method performs the store writes its
 * step needs and answers what happened as data ({@link RunOutcome}); it never calls back into the batch
 * loop, which tallies, logs and reports.
 *
 * ```
 *  new message ──express──> run in memory ──ended──> finished (completion written in bulk by the batch)
 *       │                        └──must wait──> saved as standard, where it stopped ──> waiting
 *       └──standard──> claim ──claimed / resumed──> run ──ended──> complete ──> finished
 *                        │                           ├──wait / callback──> park (WAITING) ──> waiting
 *                        │                           └──out of time──> park (RUNNING, lease released) ──> interrupted
 *                        ├──finished already / waiting──> duplicate
 *                        └──live lease elsewhere──> busy
 *  due (sweep) / callback ──claim (or wake)──> resume from the checkpoint ──> the same run as above
 * ```
 */
import type {
  Clock,
  CompiledGraph,
  ExecutionEvent,
  ExecutionState,
  HistoryEvent,
  InvokeEffect,
  RunResult,
} from '../asl/index.ts';
import type { RouterSettings } from '../config.ts';
import { LeaseLostError, RouterError } from '../errors.ts';
import type { Writable } from '../records.ts';
import type { LoadedEngine } from '../registry/index.ts';
import { isoTime } from '../time.ts';
import { checkpointsOf } from './checkpoints.ts';
import {
  type ClaimRequest,
  type Completion,
  type ExecutionKey,
  type ExecutionOrigin,
  type ExecutionRecord,
  type ExecutionStore,
  executionIdFor,
} from './ExecutionStore.ts';
import { type ExecuteStart, executeGraph, isInfrastructureError, type RunDeps } from './execute.ts';
import { appendHistory } from './history.ts';
import { executionGraph } from './MapChildren.ts';
import {
  type ChildEnd,
  childEndOf,
  childrenAfter,
  type ParentLink,
  type SettleParent,
  settlementOf,
} from './parentLink.ts';
import { type InputSource, inputOf, outputText, parsedOr, sourceInputText } from './storedTexts.ts';

/** The error of a child execution stopped because its parent stopped waiting for it. */
const ABORTED = 'States.Aborted';

/** What the lifecycle needs, built once at cold start. */
export interface LifecycleDeps {
  readonly executions: ExecutionStore;
  readonly clock: Clock;
  readonly settings: Pick<
    RouterSettings,
    'leaseMs' | 'retentionSeconds' | 'historyData' | 'checkpointAfterMs'
  >;
  /** A unique lease owner per claim. */
  readonly newOwner: () => string;
  /** The version an execution is pinned to (a resume runs on the version it started on). */
  readonly pinned: (engine: string, version: number) => Promise<LoadedEngine<CompiledGraph>>;
  /**
   * Completes the parent's task when a child execution ends (see `parentLink.ts`); called before the
   * child's terminal write. Without it a child's end reaches no parent.
   */
  readonly settleParent?: SettleParent;
  /** The child executions a parked execution waits on, listed in its record as its children. */
  readonly waitedChildren?: (state: ExecutionState) => Promise<readonly string[]>;
  /** The child execution of this runtime a `.sync` invoke waits on, so it can be stopped with its parent. */
  readonly waitedChild?: (effect: InvokeEffect) => Promise<ExecutionKey | undefined>;
}

/** A message that may start an execution: its key, where it came from, and the input it starts with. */
export interface StartingMessage extends InputSource {
  readonly key: ExecutionKey;
  readonly origin: Required<Pick<ExecutionOrigin, 'shardId' | 'sequenceNumber' | 'partitionKey'>>;
  /** Names the record in messages (`record shard ... sequence ...`). */
  readonly label: string;
  /** `$$.Execution.Name`: the CloudEvent id, else the execution id. */
  readonly name?: string;
  /** Bytes of the record the input was parsed from (bounds its size without a walk). */
  readonly inputBytes?: number;
  /** The execution that started this one as its child, and how to answer it. */
  readonly parent?: ParentLink;
}

/** A completed express execution, for the batch to write in bulk after its window. */
export interface ExpressCompletion {
  readonly record: Omit<ExecutionRecord, 'rev'>;
  readonly completion: Completion;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
}

/** What happened to an execution this time. `label` is `engine@version`. */
export type RunOutcome =
  /** It ended (SUCCEEDED or FAILED as a workflow); an express run carries its completion to write. */
  | {
      readonly kind: 'finished';
      readonly label: string;
      readonly executionId: string;
      readonly result: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>;
      readonly origin?: ExecutionOrigin;
      readonly express?: ExpressCompletion;
    }
  /** Parked durably (a long Wait, a callback); the sweep or the callback resumes it. */
  | { readonly kind: 'waiting'; readonly label: string }
  /** Already finished or already waiting: the message is a duplicate. */
  | { readonly kind: 'duplicate'; readonly label: string }
  /** Another invocation holds its lease, or the invocation ran out of time: deliver the message again. */
  | { readonly kind: 'retry'; readonly error: RouterError }
  /** A due execution someone else took first (sweep only). */
  | { readonly kind: 'skipped' };

/** A run that stopped to wait (a durable wait, a callback, or the invocation's deadline). */
type WaitingResult = Extract<RunResult, { status: 'WAITING' }>;

/** Runs executions and keeps their records. */
export class ExecutionLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /**
   * An express message: runs in memory from the start. One that must wait becomes a standard execution
   * saved where it stopped (its steps do not run again, and a task token already handed out stays the
   * one that answers it).
   */
  async runExpress(
    message: StartingMessage,
    loaded: LoadedEngine<CompiledGraph>,
    run: RunDeps,
  ): Promise<RunOutcome> {
    const executionId = executionIdFor(message.key);
    const startedAt = this.deps.clock.now();
    const result = await executeGraph(
      loaded.compiled,
      this.newStart(message, executionId, startedAt),
      run.express,
    );
    if (result.status === 'WAITING') {
      return this.runStandard(message, loaded, null, run, { result, startedAt });
    }
    throwIfInfrastructure(result, message.label);
    const finished = this.deps.clock.now();
    const label = `${message.key.engine}@${loaded.version}`;
    if (message.parent !== undefined) {
      await this.settle(message.parent, childEndOf(result, finished), startedAt, executionId);
    }
    return {
      kind: 'finished',
      label,
      executionId,
      result,
      origin: message.origin,
      express: {
        sequenceNumber: message.origin.sequenceNumber,
        partitionKey: message.origin.partitionKey,
        record: {
          engine: message.key.engine,
          dedupKey: message.key.dedupKey,
          executionId,
          version: loaded.version,
          mode: 'express',
          status: 'RUNNING',
          startedAt: isoTime(startedAt),
          updatedAt: isoTime(finished),
          origin: message.origin,
          ...(message.parent === undefined ? {} : { parent: message.parent }),
        },
        // Express executions keep no history or output (as Step Functions Express): storing them would
        // cost more than the run. Status, error and cause remain, for dedup and for operators.
        completion: this.completion(result, finished, undefined),
      },
    };
  }

  /**
   * A standard message: claims its execution (new, or an abandoned one to take over) and runs it from
   * its checkpoint. `known` is the record the batch's pre-check read (null: none). `reached` is where an
   * express run of this message stopped to wait, saved as it is.
   */
  async runStandard(
    message: StartingMessage,
    loaded: LoadedEngine<CompiledGraph>,
    known: ExecutionRecord | null,
    run: RunDeps,
    reached?: { readonly result: WaitingResult; readonly startedAt: number },
  ): Promise<RunOutcome> {
    const now = reached?.startedAt ?? this.deps.clock.now();
    const request = this.claimRequest(message, loaded, now);
    // A child execution claims first, as it always did: its parent is settled from its record.
    if (
      known === null &&
      reached === undefined &&
      message.parent === undefined &&
      checkpointsOf(loaded, this.deps.settings).runBeforeClaim
    ) {
      return this.runUnclaimed(message, loaded, run, request);
    }
    const claim = await this.deps.executions.claim(request, known);
    const label = `${message.key.engine}@${claim.record.version}`;
    switch (claim.kind) {
      case 'duplicate':
        await this.settleAgain(claim.record);
        return { kind: 'duplicate', label };
      case 'waiting':
        return { kind: 'duplicate', label };
      case 'in-flight':
        return {
          kind: 'retry',
          error: new LeaseLostError(
            `${message.label}: execution ${claim.record.executionId} is running elsewhere`,
          ),
        };
      case 'claimed':
        if (reached !== undefined) return this.park(claim.record, reached.result, message.label);
        break;
      case 'resumed':
        break;
    }
    return this.runClaimed(claim.record, run, {
      loaded,
      fresh: (record) => this.newStart(message, record.executionId, Date.parse(record.startedAt) || now),
      label: message.label,
    });
  }

  /**
   * A WAITING execution whose time has come (the sweep): taken over with the same conditional claim a
   * redelivery uses, and run from its checkpoint.
   */
  async resumeDue(record: ExecutionRecord, run: RunDeps): Promise<RunOutcome> {
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
    if (claim.kind !== 'resumed') return { kind: 'skipped' };
    return this.runClaimed(claim.record, run, { label: `execution ${record.executionId}` });
  }

  /**
   * An execution a task callback woke (already claimed by the callback stage): fed the callback's
   * event first; the first checkpoint holding its result records the callback message's key.
   */
  resumeWith(
    claimed: ExecutionRecord,
    events: readonly ExecutionEvent[],
    messageKey: string,
    run: RunDeps,
  ): Promise<RunOutcome> {
    return this.runClaimed(claimed, run, {
      callback: { events, messageKey },
      label: `execution ${claimed.executionId}`,
    });
  }

  /**
   * Ends an execution the router gave up on (its record was quarantined, or its resume cannot heal), so
   * no execution stays RUNNING or WAITING once its message has been dealt with. Finished ones are left.
   */
  async giveUp(
    key: ExecutionKey,
    status: 'QUARANTINED' | 'FAILED',
    error: string,
    cause: string,
  ): Promise<void> {
    const record = await this.deps.executions.get(key);
    if (record === undefined || (record.status !== 'RUNNING' && record.status !== 'WAITING')) return;
    await this.stopChildrenOf(record, `its parent ${record.executionId} ended ${status}`);
    const end: ChildEnd = {
      status: status === 'QUARANTINED' ? 'ABORTED' : 'FAILED',
      input: inputOf(record),
      error,
      cause,
      stopDate: this.deps.clock.now(),
    };
    await this.settle(record.parent, end, Date.parse(record.startedAt), record.executionId);
    await this.deps.executions.complete(record, {
      status,
      error,
      cause,
      now: this.deps.clock.now(),
      retentionSeconds: this.deps.settings.retentionSeconds,
    });
  }

  /**
   * Stops the child execution a handed-over invoke waits on, when there is one: what the interpreter asks
   * when the invoke's Task times out or a sibling fails (`RuntimeDeps.stopWork`). The child ends FAILED
   * with `States.Aborted` and answers no one (its parent stopped waiting); its own children stop too.
   */
  async stopWork(
    effect: InvokeEffect,
    reason = `its parent's task '${effect.stateName}' stopped waiting`,
  ): Promise<void> {
    const key = await this.deps.waitedChild?.(effect);
    if (key === undefined) return;
    const record = await this.deps.executions.get(key);
    if (record === undefined || (record.status !== 'RUNNING' && record.status !== 'WAITING')) return;
    await this.stopChildrenOf(record, `its parent ${record.executionId} was stopped`);
    await this.deps.executions.complete(record, {
      status: 'FAILED',
      error: ABORTED,
      cause: `stopped: ${reason}`,
      now: this.deps.clock.now(),
      retentionSeconds: this.deps.settings.retentionSeconds,
    });
  }

  /** Stops the children an execution's checkpoint still waits on. */
  private async stopChildrenOf(record: ExecutionRecord, reason: string): Promise<void> {
    if (this.deps.waitedChild === undefined || record.checkpoint === undefined) return;
    const state = JSON.parse(record.checkpoint) as ExecutionState;
    for (const { effect } of state.pending) {
      if (effect.type === 'invoke' && effect.taskToken !== undefined) await this.stopWork(effect, reason);
    }
  }

  /**
   * Runs an execution this invocation holds the lease of, from its checkpoint (or from the start), and
   * writes where it ended: WAITING with a due time, RUNNING with the lease released (interrupted), or
   * the terminal status. A resumed execution runs on the version it started on, even if the alias moved.
   */
  private async runClaimed(
    claimed: ExecutionRecord,
    run: RunDeps,
    options: {
      readonly label: string;
      /** The version the caller already loaded, used when it is the one the record is pinned to. */
      readonly loaded?: LoadedEngine<CompiledGraph>;
      /** The start of a record with no checkpoint (only a new message can have one). */
      readonly fresh?: (record: ExecutionRecord) => ExecuteStart;
      /** A callback's result to feed in first, and its message's key. */
      readonly callback?: { readonly events: readonly ExecutionEvent[]; readonly messageKey: string };
    },
  ): Promise<RunOutcome> {
    const { executions, settings } = this.deps;
    const engine = options.loaded?.version === claimed.version ? options.loaded : await this.graphOf(claimed);
    const label = `${claimed.engine}@${claimed.version}`;
    const start = this.startOf(claimed, options.fresh, options.callback?.events);
    let record = claimed;
    let appliedCallback = options.callback?.messageKey;
    const write = async (serialised: string): Promise<void> => {
      record = await executions.checkpoint(record, {
        checkpoint: serialised,
        leaseMs: settings.leaseMs,
        now: this.deps.clock.now(),
        ...(appliedCallback === undefined ? {} : { appliedCallback }),
      });
      appliedCallback = undefined;
    };
    const result = await this.runWithCheckpoints(
      engine,
      start,
      run,
      {
        write,
        stopped: async (kept) => (kept === undefined ? undefined : write(kept)),
        // The first write after a callback records its message, so a redelivery of it is a duplicate.
        pending: () => appliedCallback !== undefined,
      },
      (finished) => throwIfInfrastructure(finished, `execution ${record.executionId} (${label})`),
    );
    if (result.status === 'WAITING') return this.park(record, result, options.label, appliedCallback);
    const stopped = this.deps.clock.now();
    await this.settle(
      record.parent,
      childEndOf(result, stopped),
      Date.parse(record.startedAt),
      record.executionId,
    );
    await executions.complete(record, this.finalCompletion(record, result, appliedCallback));
    return {
      kind: 'finished',
      label,
      executionId: record.executionId,
      result,
      ...(record.origin === undefined ? {} : { origin: record.origin }),
    };
  }

  /**
   * A new message of a graph that hands out no task token, run before anything is written: its record is
   * created finished in one conditional write, or claimed at its first checkpoint (a poll, a long run, a
   * graph that asks for every step, a wait) and carried on from there. A crash before that re-runs its
   * steps under the same idempotency keys; a retryable failure writes the state it had reached first.
   */
  private async runUnclaimed(
    message: StartingMessage,
    loaded: LoadedEngine<CompiledGraph>,
    run: RunDeps,
    request: ClaimRequest,
  ): Promise<RunOutcome> {
    const { executions, settings } = this.deps;
    const label = `${message.key.engine}@${loaded.version}`;
    let record: ExecutionRecord | undefined;
    const claimed = async (): Promise<ExecutionRecord> => {
      if (record !== undefined) return record;
      const claim = await executions.claim(request, null);
      if (claim.kind !== 'claimed') {
        throw new LeaseLostError(
          `${message.label}: execution ${request.executionId} was started elsewhere while it ran (${claim.kind})`,
        );
      }
      record = claim.record;
      return record;
    };
    const write = async (serialised: string): Promise<void> => {
      record = await executions.checkpoint(await claimed(), {
        checkpoint: serialised,
        leaseMs: settings.leaseMs,
        now: this.deps.clock.now(),
      });
    };
    const start = this.newStart(message, request.executionId, request.now);
    // A retryable stop is written too, so the message's failures are counted against its execution.
    const stopped = async (kept: string | undefined): Promise<void> => {
      if (kept === undefined) await claimed();
      else await write(kept);
    };
    const result = await this.runWithCheckpoints(loaded, start, run, { write, stopped }, (finished) =>
      throwIfInfrastructure(finished, `${message.label} (${label})`),
    );
    if (result.status === 'WAITING') return this.park(await claimed(), result, message.label);
    if (record !== undefined) {
      await executions.complete(record, this.finalCompletion(record, result, undefined, message));
    } else {
      const claim = await executions.claimFinished(
        request,
        this.finalCompletion(undefined, result, undefined, message),
      );
      if (claim.kind === 'duplicate' || claim.kind === 'waiting') return { kind: 'duplicate', label };
      if (claim.kind !== 'claimed') {
        throw new LeaseLostError(
          `${message.label}: execution ${request.executionId} was started elsewhere while it ran`,
        );
      }
    }
    return { kind: 'finished', label, executionId: request.executionId, result, origin: message.origin };
  }

  /**
   * Runs a standard execution with its version's checkpoint policy. A run that stops on an infrastructure
   * error (`check` throws, or an invoke or a write did) first hands `stopped` the latest state it kept
   * unwritten, to write so the redelivery resumes there instead of re-running the steps since the last write.
   */
  private async runWithCheckpoints(
    engine: LoadedEngine<CompiledGraph>,
    start: ExecuteStart,
    run: RunDeps,
    writes: {
      readonly write: (serialised: string) => Promise<void>;
      readonly stopped: (kept: string | undefined) => Promise<void>;
      readonly pending?: () => boolean;
    },
    check: (finished: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>) => void,
  ): Promise<RunResult> {
    const { write } = writes;
    let kept: string | undefined;
    const hooks = {
      policy: checkpointsOf(engine, this.deps.settings).policy,
      write: async (serialised: string) => {
        kept = undefined;
        await write(serialised);
      },
      keep: (serialised: string) => {
        kept = serialised;
      },
      ...(writes.pending === undefined ? {} : { pending: writes.pending }),
    };
    try {
      const result = await executeGraph(engine.compiled, start, run.standard, hooks);
      if (result.status !== 'WAITING') check(result);
      return result;
    } catch (error) {
      // Best effort: if this write fails too, the redelivery re-runs those steps under the same keys.
      await writes.stopped(kept).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The terminal write of a standard run. The final state is what `router redrive` restarts a FAILED
   * execution from. A success has nothing to resume: it drops its checkpoint (every dedup read of the
   * record gets smaller) and keeps the input, as Step Functions' DescribeExecution shows it.
   */
  private finalCompletion(
    record: ExecutionRecord | undefined,
    result: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>,
    appliedCallback?: string,
    started?: StartingMessage,
  ): Completion {
    const inputText =
      started === undefined || result.status !== 'SUCCEEDED' ? undefined : sourceInputText(started);
    const output = result.output === undefined ? undefined : outputText(result.output, started, inputText);
    const completion: Writable<Completion> = this.completion(result, this.deps.clock.now(), output);
    completion.checkpoint = result.status === 'FAILED' ? JSON.stringify(result.state) : null;
    if (result.status === 'SUCCEEDED') {
      completion.input = inputText ?? JSON.stringify(result.state.context.input);
    }
    if (appliedCallback !== undefined) completion.appliedCallback = appliedCallback;
    return Object.assign(completion, historyOf(record, result.history, this.deps.settings.historyData));
  }

  private claimRequest(
    message: StartingMessage,
    loaded: LoadedEngine<CompiledGraph>,
    now: number,
  ): ClaimRequest {
    return {
      engine: message.key.engine,
      dedupKey: message.key.dedupKey,
      executionId: executionIdFor(message.key),
      version: loaded.version,
      mode: 'standard',
      owner: this.deps.newOwner(),
      leaseMs: this.deps.settings.leaseMs,
      now,
      origin: message.origin,
      ...(message.parent === undefined ? {} : { parent: message.parent }),
    };
  }

  /** The graph a claimed execution resumes on: its pinned version, or a Map child's item processor of it. */
  private async graphOf(record: ExecutionRecord): Promise<LoadedEngine<CompiledGraph>> {
    const graph = executionGraph(await this.deps.pinned(record.engine, record.version), record.parent);
    if (graph === undefined) {
      throw new RouterError(
        `execution ${record.executionId}: ${record.engine}@${record.version} has no distributed Map at ${JSON.stringify(record.parent?.processor)} whose item processor it runs`,
        false,
      );
    }
    return graph;
  }

  private startOf(
    record: ExecutionRecord,
    fresh: ((record: ExecutionRecord) => ExecuteStart) | undefined,
    events: readonly ExecutionEvent[] | undefined,
  ): ExecuteStart {
    if (record.checkpoint !== undefined) {
      return {
        kind: 'resume',
        state: JSON.parse(record.checkpoint) as ExecutionState,
        ...(events === undefined ? {} : { events }),
      };
    }
    if (fresh === undefined) {
      throw new RouterError(`execution ${record.executionId} has no checkpoint to resume`, false);
    }
    return fresh(record);
  }

  /**
   * Saves a run that can only wait: WAITING with its due time (the sweep or a callback resumes it), or,
   * when the invocation ran out of time, RUNNING with the lease released (the redelivery resumes it).
   */
  private async park(
    record: ExecutionRecord,
    result: WaitingResult,
    label: string,
    appliedCallback?: string,
  ): Promise<RunOutcome> {
    const { settings } = this.deps;
    const interrupted = result.waitingFor === 'interrupted';
    const waited = interrupted ? [] : ((await this.deps.waitedChildren?.(result.state)) ?? []);
    const children = childrenAfter(record.children, waited);
    await this.deps.executions.checkpoint(record, {
      checkpoint: JSON.stringify(result.state),
      status: interrupted ? 'RUNNING' : 'WAITING',
      leaseMs: interrupted ? 0 : settings.leaseMs,
      now: this.deps.clock.now(),
      ...(children === record.children || children === undefined ? {} : { children }),
      ...(appliedCallback === undefined ? {} : { appliedCallback }),
      ...historyOf(record, result.history, settings.historyData),
      ...(result.dueAt === undefined || interrupted ? {} : { dueAt: result.dueAt }),
    });
    if (interrupted) {
      return {
        kind: 'retry',
        error: new RouterError(`${label}: invocation ran out of time; resumes on redelivery`, true),
      };
    }
    return { kind: 'waiting', label: `${record.engine}@${record.version}` };
  }

  /**
   * Answers a finished child's parent again: what a repeated start record of a child that already ended
   * does, because its parent may have started it again after losing the first answer (a crash before the
   * parent's checkpoint, the answer arriving while the parent did not yet wait for it). A parent that
   * already holds the answer takes the repeat as a duplicate. A child stopped by its parent answers no one.
   */
  async settleAgain(found: ExecutionRecord): Promise<void> {
    if (found.parent?.token === undefined || found.error === ABORTED) return;
    // A pre-check's record leaves values kept in S3 out: read them.
    const record = found.refs === undefined ? found : ((await this.deps.executions.get(found)) ?? found);
    const end: ChildEnd = {
      status:
        record.status === 'SUCCEEDED' ? 'SUCCEEDED' : record.status === 'QUARANTINED' ? 'ABORTED' : 'FAILED',
      input: inputOf(record),
      stopDate: Date.parse(record.updatedAt),
      ...(record.output === undefined ? {} : { output: parsedOr(record.output) }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
    };
    await this.settle(record.parent, end, Date.parse(record.startedAt), record.executionId);
  }

  /** Answers the parent a child execution was started by, when one waits on it. */
  private async settle(
    parent: ParentLink | undefined,
    end: ChildEnd,
    startedAt: number,
    executionId: string,
  ): Promise<void> {
    const settlement = settlementOf(parent, end, startedAt);
    if (settlement === undefined || this.deps.settleParent === undefined) return;
    await this.deps.settleParent(settlement, { executionId });
  }

  private newStart(message: StartingMessage, executionId: string, startTime: number): ExecuteStart {
    return {
      kind: 'new',
      executionId,
      name: message.name ?? executionId,
      input: message.input,
      ...(message.inputBytes === undefined ? {} : { inputBytes: message.inputBytes }),
      startTime,
    };
  }

  /**
   * The terminal write of a run, with the output's JSON text; express engines keep status, error and
   * cause but not the output.
   */
  private completion(
    result: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>,
    now: number,
    output: string | undefined,
  ): Completion {
    const completion: Writable<Completion> = {
      status: result.status,
      now,
      retentionSeconds: this.deps.settings.retentionSeconds,
    };
    if (output !== undefined) completion.output = output;
    if (result.error !== undefined) completion.error = result.error;
    if (result.cause !== undefined) completion.cause = result.cause;
    return completion;
  }
}

/**
 * A run that ended on an unhandled infrastructure error (throttling, a Lambda service fault) is not a
 * workflow failure: the message goes back to the stream.
 */
function throwIfInfrastructure(
  result: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>,
  label: string,
): void {
  if (result.status === 'FAILED' && isInfrastructureError(result.error)) {
    throw new RouterError(`${label}: ${result.error}: ${result.cause ?? ''}`, true);
  }
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
