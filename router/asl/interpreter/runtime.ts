/**
 * The small runtime around the pure transition function: it performs the effects (invokes, concurrently
 * and bounded; timers on a Clock; cancellations through AbortSignal), feeds the results back as events,
 * and hands the state to a checkpoint hook. When the execution can only wait (a long Wait, a callback
 * task) it returns WAITING so the caller checkpoints and ends the Lambda invocation; calling it again
 * with the saved state resumes.
 */
import { setMaxListeners } from 'node:events';
import { startsJob } from '../taskResource.ts';
import type { JsonValue } from '../types.ts';
import { type CancelTimer, type Clock, startTimer } from './clock.ts';
import type { CompiledGraph } from './compiled.ts';
import { appendBounded, type HistoryEvent, trimHistory } from './history.ts';
import { InFlight } from './inFlight.ts';
import { SizeBounds } from './payload-limit.ts';
import { PendingIndex } from './pending.ts';
import type { Effect, ExecutionEvent, ExecutionState, InvokeEffect } from './state.ts';
import {
  applyEvent,
  type ExecutionInit,
  pendingEffects,
  type Step,
  startExecution,
  type TransitionOptions,
} from './transition.ts';

/**
 * How an invoke ended: a result, an error, handed over to finish later by task token, or a job that runs
 * on (`.sync`): issue the invoke again with `poll` after `afterSeconds`.
 */
export type InvokeOutcome =
  | { ok: true; output: JsonValue }
  | { ok: false; error: string; cause: string }
  | { pending: 'callback' }
  | { pending: 'poll'; poll: JsonValue; afterSeconds: number };

/** What the runtime needs from its host. */
export interface RuntimeDeps {
  /**
   * Performs one Task invoke. Resolve with the outcome; reject only for infrastructure failures
   * (throttling, network), which end `runExecution` with that error so the message is retried and
   * the invoke re-issued with the same idempotency key. `signal` aborts when the run no longer wants
   * the outcome; it may be shared with other invokes, so a listener added to it is removed when the
   * invoke ends (as the AWS SDK's HTTP handlers do). An invoker that knows the outcome at once (an
   * in-process step) may return it instead of a promise; it is applied without a turn of the loop.
   */
  invoke(effect: InvokeEffect, signal: AbortSignal): InvokeOutcome | Promise<InvokeOutcome>;
  clock: Clock;
  /**
   * Checkpoint hook, awaited after each TaskSucceeded / TaskFailed and each finished Map item or
   * Parallel branch. `step.state` is the live state object: serialise it before awaiting anything.
   */
  onStep?(step: Step): void | Promise<void>;
  /** Longest timer waited for in-process; further ones end the run as WAITING (default 10 s). */
  maxInProcessWaitMs?: number;
  /**
   * Aborting ends the run as WAITING (`interrupted`) with in-flight invokes recorded in the state. Runs
   * that share one signal (a batch's deadline) share it as a {@link SharedSignal}, which wakes them all
   * with one listener; a plain AbortSignal gets a listener of its own from each run.
   */
  signal?: AbortSignal | SharedSignal;
  /** Invokes running at once (default 16). */
  maxConcurrentInvokes?: number;
  /**
   * Asks that the work of a handed-over invoke the execution stopped waiting on (a timeout, a failed
   * sibling) be stopped too. Best effort: awaited before the run returns; a failure is the
   * implementation's to report, the run goes on.
   */
  stopWork?(effect: InvokeEffect): Promise<void>;
  /** False to keep no history at all (express executions store none). Default true. */
  history?: boolean;
  /** History events kept in the result, latest first to go (default 10,000). */
  historyLimit?: number;
}

/** Extra input to a resumed run. */
export interface RunOptions {
  /** Events that arrived while the execution was saved: TimerFired for due timers, callback results. */
  readonly resumeEvents?: readonly ExecutionEvent[];
}

/** How a run ended: a final status, or waiting (checkpoint `state` and resume later). */
export type RunResult =
  | {
      status: 'SUCCEEDED' | 'FAILED';
      state: ExecutionState;
      output?: JsonValue;
      error?: string;
      cause?: string;
      history: HistoryEvent[];
    }
  | {
      status: 'WAITING';
      state: ExecutionState;
      /** Earliest timer due (epoch ms), when a timer is pending. */
      dueAt?: number;
      /** `interrupted`: `deps.signal` aborted the run; resume as soon as possible. */
      waitingFor: 'timer' | 'callback' | 'interrupted';
      history: HistoryEvent[];
    };

/**
 * One abort signal shared by many runs at once (an invocation's deadline, shared by every run of a
 * batch): one listener on the signal wakes every run in progress. A listener per run costs more than a
 * short run's own work, and more the more runs share the signal.
 */
export class SharedSignal {
  /**
   * The runs in progress by slot, and the slots runs have left, for the next to take. An array, not a
   * Set: a Set of runs coming and going tripled the garbage collector's share of a short run.
   */
  private readonly runs: (Interruptible | undefined)[] = [];
  private readonly free: number[] = [];

  constructor(readonly signal: AbortSignal) {
    signal.addEventListener(
      'abort',
      () => {
        for (const run of this.runs) run?.interrupt();
      },
      { once: true },
    );
  }

  /** Wakes `run` when the signal aborts, until it leaves its slot. */
  join(run: Interruptible): number {
    const slot = this.free.pop() ?? this.runs.length;
    this.runs[slot] = run;
    return slot;
  }

  leave(slot: number): void {
    this.runs[slot] = undefined;
    this.free.push(slot);
  }
}

/** A run a {@link SharedSignal} wakes: on waking it sees the signal aborted and ends. */
export interface Interruptible {
  interrupt(): void;
}

/**
 * The signal of an invoke nothing but the end of the process stops: the run was given no signal, or one
 * shared by a whole batch, whose abort the run answers itself (it ends WAITING with the invoke recorded,
 * and ignores its late outcome). Every such invoke of every run shares it; an invoker passes no abort
 * signal on to its SDK client for it, since a listener per call on one shared signal costs more than a
 * short run's own work.
 */
export const UNCANCELLABLE_SIGNAL: AbortSignal = new AbortController().signal;
setMaxListeners(0, UNCANCELLABLE_SIGNAL);
const NEVER_ABORTED = UNCANCELLABLE_SIGNAL;

/** History events after which a checkpoint is taken: a Map item or a Parallel branch ended. */
const ENDS_CHILD: ReadonlySet<string> = new Set([
  'MapIterationSucceeded',
  'MapIterationFailed',
  'ParallelBranchSucceeded',
  'ParallelBranchFailed',
]);

function isState(value: ExecutionState | ExecutionInit): value is ExecutionState {
  return 'root' in value && 'pending' in value;
}

/**
 * One execution being run: its state, what it waits on (invokes running and queued, timers, submitted
 * callbacks), the events that arrived, and the one timer armed on its earliest due time. The effects of
 * each transition are performed here, and their outcomes queued as events for the next.
 */
class ExecutionRun implements Interruptible {
  private readonly history: HistoryEvent[] = [];
  private readonly running = new InFlight();
  private readonly queued: InvokeEffect[] = [];
  /** Slots freed while {@link startQueued} was already starting queued invokes. */
  private freedSlots = 0;
  private startingQueued = false;
  /** Stops of handed-over work asked for in this run (see `RuntimeDeps.stopWork`), awaited at its end. */
  private readonly stopping: Promise<void>[] = [];
  // Most runs never set a timer or wait for a callback: those are made on first use.
  private timers: Map<string, number> | undefined;
  private callbacks: Set<string> | undefined;
  private readonly events: ExecutionEvent[] = [];
  private infraFailure: { error: unknown } | undefined;
  /** Resumes the main loop when it awaits the next event. */
  private wake: (() => void) | undefined;
  /** The timer armed on the earliest due time, replaced only when that time changes. */
  private sleeping: { dueAt: number; cancel: CancelTimer } | undefined;
  private readonly clock: Clock;
  private readonly maxWait: number;
  private readonly maxInvokes: number;
  private readonly historyLimit: number;
  /**
   * The signal of an invoke that nothing in the run can cancel on its own (see {@link cancellable}): a
   * plain signal of the caller's, so that only the caller stops it, else {@link UNCANCELLABLE_SIGNAL}.
   */
  private readonly uncancellable: AbortSignal;
  /** The controller of the invokes a branch's failure or the execution's timeout cancels together. */
  private shared: AbortController | undefined;
  /** The caller's signal: once aborted, the run ends as an interrupted wait. */
  private readonly interruptedBy: AbortSignal;
  private readonly park = (resolve: () => void): void => {
    this.wake = resolve;
  };

  private constructor(
    private readonly graph: CompiledGraph,
    private readonly deps: RuntimeDeps,
    private readonly state: ExecutionState,
    private readonly transition: TransitionOptions & { readonly pendingIndex: PendingIndex },
  ) {
    this.clock = deps.clock;
    this.maxWait = deps.maxInProcessWaitMs ?? 10_000;
    this.maxInvokes = Math.max(1, deps.maxConcurrentInvokes ?? 16);
    this.historyLimit = deps.historyLimit ?? 10_000;
    const { signal } = deps;
    this.uncancellable = signal === undefined || signal instanceof SharedSignal ? NEVER_ABORTED : signal;
    this.interruptedBy =
      signal === undefined ? NEVER_ABORTED : signal instanceof SharedSignal ? signal.signal : signal;
  }

  private static transitionOptions(
    deps: RuntimeDeps,
  ): TransitionOptions & { readonly pendingIndex: PendingIndex } {
    return { history: deps.history !== false, sizes: new SizeBounds(), pendingIndex: new PendingIndex() };
  }

  /** A new execution, past its first transition, with the effects it asked for under way. */
  static start(graph: CompiledGraph, init: ExecutionInit, deps: RuntimeDeps): ExecutionRun {
    const transition = ExecutionRun.transitionOptions(deps);
    const first = startExecution(graph, init, deps.clock.now(), transition);
    const run = new ExecutionRun(graph, deps, first.state, transition);
    appendBounded(run.history, first.history, run.historyLimit);
    run.perform(first.effects);
    return run;
  }

  /**
   * A saved execution, resumed: its in-flight invokes issued again (same ids and idempotency keys), its
   * timers re-armed, its submitted callbacks awaited, and the events that arrived meanwhile queued.
   */
  static resume(
    graph: CompiledGraph,
    state: ExecutionState,
    deps: RuntimeDeps,
    events: readonly ExecutionEvent[] | undefined,
  ): ExecutionRun {
    const run = new ExecutionRun(graph, deps, state, ExecutionRun.transitionOptions(deps));
    for (const { effect, submitted } of pendingEffects(state)) {
      if (effect.type === 'timer') run.addTimer(effect.id, effect.dueAt);
      else if (submitted) {
        // A job between two polls waits on its poll timer, not on a callback.
        if (effect.poll === undefined) run.awaitCallback(effect.id);
      } else run.performOne(effect);
    }
    if (events !== undefined) run.events.push(...events);
    return run;
  }

  /**
   * Applies events as they arrive until the execution ends or can only wait. Every way out (a result,
   * WAITING, an infrastructure failure, a throwing checkpoint) stops what still runs.
   */
  async loop(): Promise<RunResult> {
    const { signal } = this.deps;
    let slot = -1;
    let onAbort: (() => void) | undefined;
    if (signal instanceof SharedSignal) slot = signal.join(this);
    else if (signal !== undefined) {
      onAbort = () => this.interrupt();
      signal.addEventListener('abort', onAbort);
    }
    try {
      for (;;) {
        const result = this.outcome();
        if (result !== undefined) return result;
        const event = this.events.shift();
        if (event !== undefined) {
          const checkpoint = this.apply(event);
          if (checkpoint !== undefined) await checkpoint;
          continue;
        }
        const next = this.earliestTimer();
        if (next === undefined) {
          if (this.running.size === 0) return this.waitingOutside(undefined);
          this.stopSleep();
        } else {
          const now = this.clock.now();
          if (next <= now) {
            this.fireDueTimers(now);
            continue;
          }
          if (this.running.size === 0 && next - now > this.maxWait) return this.waitingOutside(next);
          this.sleepUntil(next, now);
        }
        await new Promise<void>(this.park);
      }
    } finally {
      if (signal instanceof SharedSignal) signal.leave(slot);
      else if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      this.stopAll();
      if (this.stopping.length > 0) await Promise.all(this.stopping);
    }
  }

  /** Wakes the main loop: an event arrived, a timer is due, or the caller's signal aborted. */
  interrupt(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** How the run ends now, if it does: the execution ended, an invoke failed, or the caller aborted. */
  private outcome(): RunResult | undefined {
    const { state } = this;
    if (state.status !== 'RUNNING') {
      const done: RunResult = { status: state.status, state, history: this.keptHistory() };
      if (state.output !== undefined) done.output = state.output;
      if (state.error !== undefined) done.error = state.error;
      if (state.cause !== undefined) done.cause = state.cause;
      return done;
    }
    if (this.infraFailure !== undefined) throw this.infraFailure.error;
    if (this.interruptedBy.aborted) {
      const waiting: RunResult = {
        status: 'WAITING',
        state,
        waitingFor: 'interrupted',
        history: this.keptHistory(),
      };
      const due = this.earliestTimer();
      if (due !== undefined) waiting.dueAt = due;
      return waiting;
    }
    return undefined;
  }

  /**
   * The run can only wait for what happens outside it (a callback, or a timer beyond the in-process
   * limit): WAITING, for the caller to save.
   */
  private waitingOutside(next: number | undefined): RunResult {
    const callbacks = this.callbacks?.size ?? 0;
    if (next === undefined && callbacks === 0) {
      throw new Error(
        `execution ${this.state.context.executionId} waits on nothing (no invoke, timer or callback) yet is still RUNNING`,
      );
    }
    const waiting: RunResult = {
      status: 'WAITING',
      state: this.state,
      waitingFor: callbacks > 0 ? 'callback' : 'timer',
      history: this.keptHistory(),
    };
    if (next !== undefined) waiting.dueAt = next;
    return waiting;
  }

  private keptHistory(): HistoryEvent[] {
    return trimHistory(this.history, this.historyLimit);
  }

  /** One transition: the event applied, its effects performed, and the checkpoint hook called after a step. */
  private apply(event: ExecutionEvent): Promise<void> | undefined {
    const step = applyEvent(this.graph, this.state, event, this.clock.now(), this.transition);
    appendBounded(this.history, step.history, this.historyLimit);
    const { onStep } = this.deps;
    // A transition without a checkpoint hook is synchronous: the loop goes on without a turn of its own.
    let checkpoint: Promise<void> | undefined;
    if (
      onStep !== undefined &&
      (event.type === 'TaskSucceeded' ||
        event.type === 'TaskFailed' ||
        event.type === 'TaskPolling' ||
        step.history.some((h) => ENDS_CHILD.has(h.type)))
    ) {
      checkpoint = Promise.resolve(onStep(step));
    }
    // The hook sees the step before its invokes start: one answered at once must find its state kept.
    this.perform(step.effects);
    return checkpoint;
  }

  private perform(effects: readonly Effect[]): void {
    for (const effect of effects) this.performOne(effect);
  }

  private performOne(effect: Effect): void {
    switch (effect.type) {
      case 'invoke':
        if (this.running.size < this.maxInvokes) this.startInvoke(effect);
        else this.queued.push(effect);
        break;
      case 'timer':
        this.addTimer(effect.id, effect.dueAt);
        break;
      case 'cancel':
        this.cancel(effect.id);
        if (effect.stops !== undefined && this.deps.stopWork !== undefined) {
          this.stopping.push(this.deps.stopWork(effect.stops).catch(() => undefined));
        }
        break;
    }
  }

  private addTimer(id: string, dueAt: number): void {
    if (this.timers === undefined) this.timers = new Map();
    this.timers.set(id, dueAt);
  }

  private awaitCallback(id: string): void {
    if (this.callbacks === undefined) this.callbacks = new Set();
    this.callbacks.add(id);
  }

  /** Stops waiting on an invoke, timer or callback: a running invoke is aborted and frees its slot. */
  private cancel(id: string): void {
    this.timers?.delete(id);
    this.callbacks?.delete(id);
    const at = this.running.indexOf(id);
    if (at >= 0) {
      const controller = this.running.removeAt(at);
      if (controller !== undefined && (controller !== this.shared || !this.running.holds(controller))) {
        controller.abort();
        if (controller === this.shared) this.shared = undefined;
      }
      this.startQueued();
    }
    const index = this.queued.findIndex((q) => q.id === id);
    if (index >= 0) this.queued.splice(index, 1);
  }

  /**
   * The controller that cancels this invoke, or none when nothing in the run can cancel it before it
   * ends: the caller's signal is enough then, and AbortControllers are costly to make (a third of a Map
   * of Tasks' time when each item had one) and to abort (a DOMException each). At the top level one
   * state runs at a time, so an uncancellable invoke is never a sibling the run must cancel; if the run
   * ends while it is in flight (a throwing checkpoint), its late outcome is ignored.
   * - A timeout or heartbeat cancels one invoke alone: it gets a controller of its own. So does an
   *   invoke whose effect outlives its request (a task token handed out, a job started, a Map Run),
   *   which must be stopped as soon as it is cancelled.
   * - The execution's timeout, or a failing sibling in a Parallel or Map, cancels every invoke of a
   *   branch: they share one controller, which is aborted only when no invoke still running holds it.
   *   A cancelled invoke whose siblings elsewhere still run is dropped from the run at once (its slot
   *   freed, its late outcome ignored) and its request left to end on its own.
   */
  private controllerFor(effect: InvokeEffect): AbortController | undefined {
    if (
      effect.timeoutSeconds !== undefined ||
      effect.heartbeatSeconds !== undefined ||
      outlivesItsRequest(effect)
    ) {
      return new AbortController();
    }
    if (
      this.graph.timeoutSeconds === undefined &&
      (this.transition.pendingIndex.get(this.state, effect.id)?.loc.length ?? 0) === 0
    ) {
      return undefined;
    }
    if (this.shared === undefined) {
      this.shared = new AbortController();
      // Each invoke of the branch listens while it runs (the SDK does, up to the invoke limit at once).
      setMaxListeners(0, this.shared.signal);
    }
    return this.shared;
  }

  /**
   * Starts one invoke. An invoker that answers at once (an in-process step) has its outcome applied
   * here, before the loop would park: a graph of such steps runs without a promise per Task.
   */
  private startInvoke(effect: InvokeEffect): void {
    const controller = this.controllerFor(effect);
    this.running.add(effect.id, controller);
    let answer: InvokeOutcome | Promise<InvokeOutcome>;
    try {
      answer = this.deps.invoke(effect, controller?.signal ?? this.uncancellable);
    } catch (error) {
      this.settle(effect, controller, undefined, { error });
      return;
    }
    if (answer instanceof Promise) void this.awaitOutcome(effect, controller, answer);
    else this.settleOutcome(effect, controller, answer);
  }

  /**
   * Starts the next queued invoke the run still waits on: one that the transition cancelling its
   * siblings has already dropped (its pending entry gone) is not started only to be cancelled.
   */
  private startQueued(): void {
    // One start per freed slot, in a loop rather than nested: an invoke answered at once frees its slot
    // from inside the start, and a long queue of those would otherwise nest as deep as the queue.
    this.freedSlots++;
    if (this.startingQueued) return;
    this.startingQueued = true;
    try {
      while (this.freedSlots > 0) {
        this.freedSlots--;
        for (let next = this.queued.shift(); next !== undefined; next = this.queued.shift()) {
          if (this.transition.pendingIndex.get(this.state, next.id) === undefined) continue;
          this.startInvoke(next);
          break;
        }
      }
    } finally {
      this.startingQueued = false;
      this.freedSlots = 0;
    }
  }

  /** Waits for an invoke's answer (one async call per invoke, no closures per invoke). */
  private async awaitOutcome(
    effect: InvokeEffect,
    controller: AbortController | undefined,
    answer: Promise<InvokeOutcome>,
  ): Promise<void> {
    let outcome: InvokeOutcome;
    try {
      outcome = await answer;
    } catch (error) {
      this.settle(effect, controller, undefined, { error });
      return;
    }
    this.settleOutcome(effect, controller, outcome);
  }

  /** Turns an invoke's outcome into the event the run applies next. */
  private settleOutcome(
    effect: InvokeEffect,
    controller: AbortController | undefined,
    outcome: InvokeOutcome,
  ): void {
    if ('pending' in outcome && outcome.pending === 'poll') {
      this.settle(effect, controller, {
        type: 'TaskPolling',
        id: effect.id,
        poll: outcome.poll,
        afterSeconds: outcome.afterSeconds,
      });
    } else if ('pending' in outcome) {
      // Awaited only if the run still holds the invoke: a cancelled one must leave no callback behind.
      if (this.settle(effect, controller, { type: 'TaskSubmitted', id: effect.id })) {
        this.awaitCallback(effect.id);
      }
    } else if (outcome.ok) {
      this.settle(effect, controller, { type: 'TaskSucceeded', id: effect.id, output: outcome.output });
    } else {
      this.settle(effect, controller, {
        type: 'TaskFailed',
        id: effect.id,
        error: outcome.error,
        cause: outcome.cause,
      });
    }
  }

  /**
   * Settles one invoke: frees its slot, starts a queued one, and queues its event, unless the invoke was
   * cancelled or the run no longer holds it. True when the event was queued.
   */
  private settle(
    effect: InvokeEffect,
    controller: AbortController | undefined,
    event: ExecutionEvent | undefined,
    failure?: { error: unknown },
  ): boolean {
    const at = this.running.indexOf(effect.id);
    if (at < 0 || this.running.controllerAt(at) !== controller) return false;
    this.running.removeAt(at);
    const queued = controller?.signal.aborted !== true;
    // Queued before the freed slot starts another invoke, whose answer may come at once: events keep
    // the order their invokes ended in.
    if (queued) {
      if (failure !== undefined) this.infraFailure ??= failure;
      else if (event !== undefined) this.events.push(event);
    }
    this.startQueued();
    if (!queued) return false;
    this.interrupt();
    return true;
  }

  private earliestTimer(): number | undefined {
    if (this.timers === undefined) return undefined;
    let best: number | undefined;
    for (const due of this.timers.values()) if (best === undefined || due < best) best = due;
    return best;
  }

  /** Queues a TimerFired for every timer due by `now`, in due order (then by id). */
  private fireDueTimers(now: number): void {
    const { timers } = this;
    if (timers === undefined) return;
    const due = [...timers]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    for (const [id] of due) {
      timers.delete(id);
      this.events.push({ type: 'TimerFired', id });
    }
  }

  private sleepUntil(dueAt: number, now: number): void {
    if (this.sleeping?.dueAt === dueAt) return;
    this.stopSleep();
    const sleeping = { dueAt, cancel: NO_TIMER };
    this.sleeping = sleeping;
    sleeping.cancel = startTimer(this.clock, dueAt - now, () => {
      if (this.sleeping !== sleeping) return;
      this.sleeping = undefined;
      this.interrupt();
    });
  }

  private stopSleep(): void {
    this.sleeping?.cancel();
    this.sleeping = undefined;
  }

  private stopAll(): void {
    this.stopSleep();
    this.running.abortAll();
    this.shared = undefined;
    if (this.queued.length > 0) this.queued.length = 0;
  }
}

const NO_TIMER: CancelTimer = () => {};

/**
 * True when what an invoke starts outlives its request: a task token handed out, a job started
 * (`.sync`), a Map Run. Cancelling such an invoke must reach it at once.
 */
function outlivesItsRequest(effect: InvokeEffect): boolean {
  return effect.taskToken !== undefined || effect.mapRun !== undefined || startsJob(effect.resource);
}

/**
 * Runs an execution (new, or resumed from a saved state) until it ends or can only wait.
 *
 * @example
 * const result = await runExecution(compiled, { executionId, input, startTime: Date.now() }, {
 *   invoke: (effect, signal) => invoker.invoke(effect, signal),
 *   clock: systemClock,
 *   onStep: (step) => store.checkpoint(JSON.stringify(step.state)),
 * });
 * if (result.status === 'WAITING') await store.park(result.state, result.dueAt);
 */
export async function runExecution(
  graph: CompiledGraph,
  stateOrInit: ExecutionState | ExecutionInit,
  deps: RuntimeDeps,
  options: RunOptions = {},
): Promise<RunResult> {
  const run = isState(stateOrInit)
    ? ExecutionRun.resume(graph, stateOrInit, deps, options.resumeEvents)
    : ExecutionRun.start(graph, stateOrInit, deps);
  return run.loop();
}
