/**
 * The small runtime around the pure transition function: it performs the effects (invokes, concurrently
 * and bounded; timers on a Clock; cancellations through AbortSignal), feeds the results back as events,
 * and hands the state to a checkpoint hook. When the execution can only wait (a long Wait, a callback
 * task) it returns WAITING so the caller checkpoints and ends the Lambda invocation; calling it again
 * with the saved state resumes.
 */
import { setMaxListeners } from 'node:events';
import type { JsonValue } from '../types.ts';
import type { Clock } from './clock.ts';
import type { CompiledGraph } from './compiled.ts';
import { appendBounded, type HistoryEvent, trimHistory } from './history.ts';
import { SizeBounds } from './payload-limit.ts';
import { getPending } from './pending.ts';
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
   * the invoke re-issued with the same idempotency key.
   */
  invoke(effect: InvokeEffect, signal: AbortSignal): Promise<InvokeOutcome>;
  clock: Clock;
  /**
   * Checkpoint hook, awaited after each TaskSucceeded / TaskFailed and each finished Map item or
   * Parallel branch. `step.state` is the live state object: serialise it before awaiting anything.
   */
  onStep?(step: Step): void | Promise<void>;
  /** Longest timer waited for in-process; further ones end the run as WAITING (default 10 s). */
  maxInProcessWaitMs?: number;
  /** Aborting ends the run as WAITING (`interrupted`) with in-flight invokes recorded in the state. */
  signal?: AbortSignal;
  /** Invokes running at once (default 16). */
  maxConcurrentInvokes?: number;
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
 * A run's invokes in flight, by effect id, with the controller that cancels each (`undefined` for one only
 * the caller's signal can stop). A run has one or a handful at a time (never more than its invoke
 * limit), so two arrays scanned in order beat a Map, whose table is reallocated as it fills, empties and
 * is cleared: that was a tenth of the memory a short run allocated.
 */
class InFlight {
  private readonly ids: string[] = [];
  private readonly controllers: (AbortController | undefined)[] = [];

  get size(): number {
    return this.ids.length;
  }

  indexOf(id: string): number {
    return this.ids.indexOf(id);
  }

  controllerAt(index: number): AbortController | undefined {
    return this.controllers[index];
  }

  add(id: string, controller: AbortController | undefined): void {
    this.ids.push(id);
    this.controllers.push(controller);
  }

  /** Removes one entry (the last takes its place) and returns its controller. */
  removeAt(index: number): AbortController | undefined {
    const controller = this.controllers[index];
    const lastId = this.ids.pop() as string;
    const lastController = this.controllers.pop();
    if (index < this.ids.length) {
      this.ids[index] = lastId;
      this.controllers[index] = lastController;
    }
    return controller;
  }

  /** Cancels and forgets every entry. */
  abortAll(): void {
    for (const controller of this.controllers) controller?.abort();
    this.ids.length = 0;
    this.controllers.length = 0;
  }
}

/**
 * The signal of an invoke nobody can cancel: the run was given none. Every such invoke of every run in
 * the process shares it, and an SDK client listens on it for the length of its call, so it takes any
 * number of listeners (each call removes its own).
 */
const NEVER_ABORTED: AbortSignal = new AbortController().signal;
setMaxListeners(0, NEVER_ABORTED);

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
  const { clock } = deps;
  const maxWait = deps.maxInProcessWaitMs ?? 10_000;
  const maxInvokes = Math.max(1, deps.maxConcurrentInvokes ?? 16);
  const historyLimit = deps.historyLimit ?? 10_000;
  const history: HistoryEvent[] = [];
  const running = new InFlight();
  // Most runs never queue an invoke, set a timer or wait for a callback: those are made on first use.
  const queued: InvokeEffect[] = [];
  let timers: Map<string, number> | undefined;
  let callbacks: Set<string> | undefined;
  const events: ExecutionEvent[] = [];
  let first: Step | undefined;
  const transitionOptions: TransitionOptions = { history: deps.history !== false, sizes: new SizeBounds() };
  let state: ExecutionState;
  if (isState(stateOrInit)) {
    state = stateOrInit;
  } else {
    const step = startExecution(graph, stateOrInit, clock.now(), transitionOptions);
    state = step.state;
    first = step;
  }
  let infraFailure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  // AbortControllers are costly to create (a DOMException on abort). An invoke that nothing in the run
  // can cancel on its own (top level, no timeout or heartbeat, no execution timeout) gets the caller's
  // signal: the only thing that can stop it is the caller. At the top level one state runs at a time, so
  // such an invoke is never a sibling the run must cancel; if the run ends while it is in flight (a
  // throwing checkpoint), its late outcome is ignored.
  const uncancellable = deps.signal ?? NEVER_ABORTED;
  const cancellable = (effect: InvokeEffect): boolean =>
    effect.timeoutSeconds !== undefined ||
    effect.heartbeatSeconds !== undefined ||
    graph.timeoutSeconds !== undefined ||
    (getPending(state, effect.id)?.loc.length ?? 0) > 0;

  /** Settles one invoke: frees its slot, starts a queued one, and queues the event unless cancelled. */
  const settle = (
    effect: InvokeEffect,
    controller: AbortController | undefined,
    event: ExecutionEvent | undefined,
    failure?: { error: unknown },
  ): void => {
    const at = running.indexOf(effect.id);
    if (at < 0 || running.controllerAt(at) !== controller) return;
    running.removeAt(at);
    const next = queued.shift();
    if (next !== undefined) start(next);
    if (controller?.signal.aborted) return;
    if (failure !== undefined) infraFailure ??= failure;
    else if (event !== undefined) events.push(event);
    notify();
  };

  /** Performs one invoke to its outcome (one async call per invoke, no closures per invoke). */
  const invokeOnce = async (effect: InvokeEffect, controller: AbortController | undefined): Promise<void> => {
    let outcome: InvokeOutcome;
    try {
      outcome = await deps.invoke(effect, controller?.signal ?? uncancellable);
    } catch (error) {
      settle(effect, controller, undefined, { error });
      return;
    }
    if ('pending' in outcome && outcome.pending === 'poll') {
      settle(effect, controller, {
        type: 'TaskPolling',
        id: effect.id,
        poll: outcome.poll,
        afterSeconds: outcome.afterSeconds,
      });
    } else if ('pending' in outcome) {
      if (callbacks === undefined) callbacks = new Set();
      callbacks.add(effect.id);
      settle(effect, controller, { type: 'TaskSubmitted', id: effect.id });
    } else if (outcome.ok) {
      settle(effect, controller, { type: 'TaskSucceeded', id: effect.id, output: outcome.output });
    } else {
      settle(effect, controller, {
        type: 'TaskFailed',
        id: effect.id,
        error: outcome.error,
        cause: outcome.cause,
      });
    }
  };

  function start(effect: InvokeEffect): void {
    const controller = cancellable(effect) ? new AbortController() : undefined;
    running.add(effect.id, controller);
    void invokeOnce(effect, controller);
  }

  const perform = (effects: readonly Effect[]): void => {
    for (const effect of effects) {
      switch (effect.type) {
        case 'invoke':
          if (running.size < maxInvokes) start(effect);
          else queued.push(effect);
          break;
        case 'timer':
          if (timers === undefined) timers = new Map();
          timers.set(effect.id, effect.dueAt);
          break;
        case 'cancel': {
          timers?.delete(effect.id);
          callbacks?.delete(effect.id);
          const at = running.indexOf(effect.id);
          if (at >= 0) {
            running.removeAt(at)?.abort();
            const next = queued.shift();
            if (next !== undefined) start(next);
          }
          const index = queued.findIndex((q) => q.id === effect.id);
          if (index >= 0) queued.splice(index, 1);
          break;
        }
      }
    }
  };

  if (isState(stateOrInit)) {
    for (const { effect, submitted } of pendingEffects(state)) {
      if (effect.type === 'timer') {
        if (timers === undefined) timers = new Map();
        timers.set(effect.id, effect.dueAt);
      } else if (submitted) {
        // A job between two polls waits on its poll timer, not on a callback.
        if (effect.poll !== undefined) continue;
        if (callbacks === undefined) callbacks = new Set();
        callbacks.add(effect.id);
      } else perform([effect]);
    }
    if (options.resumeEvents !== undefined) events.push(...options.resumeEvents);
  } else if (first !== undefined) {
    appendBounded(history, first.history, historyLimit);
    perform(first.effects);
  }

  // One sleep on the earliest timer at a time, replaced only when the earliest timer changes.
  let sleeping: { dueAt: number; controller: AbortController } | undefined;
  const stopSleep = (): void => {
    sleeping?.controller.abort();
    sleeping = undefined;
  };
  const sleepUntil = (dueAt: number, now: number): void => {
    if (sleeping?.dueAt === dueAt) return;
    stopSleep();
    const controller = new AbortController();
    sleeping = { dueAt, controller };
    void clock.sleep(dueAt - now, controller.signal).then(() => {
      if (controller.signal.aborted) return;
      if (sleeping?.controller === controller) sleeping = undefined;
      notify();
    });
  };
  const stopAll = (): void => {
    stopSleep();
    running.abortAll();
    queued.length = 0;
  };
  const earliestTimer = (): number | undefined => {
    if (timers === undefined) return undefined;
    let best: number | undefined;
    for (const due of timers.values()) if (best === undefined || due < best) best = due;
    return best;
  };

  // One listener for the whole run: adding and removing one around every wait costs more than the wait.
  deps.signal?.addEventListener('abort', notify);
  // Every way out (result, WAITING, an infrastructure failure, a throwing onStep) stops what still runs.
  try {
    for (;;) {
      if (state.status !== 'RUNNING') {
        stopAll();
        const done: RunResult = { status: state.status, state, history: trimHistory(history, historyLimit) };
        if (state.output !== undefined) done.output = state.output;
        if (state.error !== undefined) done.error = state.error;
        if (state.cause !== undefined) done.cause = state.cause;
        return done;
      }
      if (infraFailure !== undefined) {
        stopAll();
        throw infraFailure.error;
      }
      if (deps.signal?.aborted) {
        stopAll();
        const waiting: RunResult = {
          status: 'WAITING',
          state,
          waitingFor: 'interrupted',
          history: trimHistory(history, historyLimit),
        };
        const due = earliestTimer();
        if (due !== undefined) waiting.dueAt = due;
        return waiting;
      }
      const event = events.shift();
      if (event !== undefined) {
        const step = applyEvent(graph, state, event, clock.now(), transitionOptions);
        appendBounded(history, step.history, historyLimit);
        perform(step.effects);
        if (
          deps.onStep !== undefined &&
          (event.type === 'TaskSucceeded' ||
            event.type === 'TaskFailed' ||
            event.type === 'TaskPolling' ||
            step.history.some((h) => ENDS_CHILD.has(h.type)))
        ) {
          await deps.onStep(step);
        }
        continue;
      }
      const now = clock.now();
      const next = earliestTimer();
      if (next !== undefined && next <= now) {
        const due = [...(timers ?? [])]
          .filter(([, at]) => at <= now)
          .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
        for (const [id] of due) {
          timers?.delete(id);
          events.push({ type: 'TimerFired', id });
        }
        continue;
      }
      if (running.size === 0) {
        if (next === undefined || next - now > maxWait) {
          if (next === undefined && (callbacks?.size ?? 0) === 0) {
            throw new Error(
              `execution ${state.context.executionId} waits on nothing (no invoke, timer or callback) yet is still RUNNING`,
            );
          }
          const waiting: RunResult = {
            status: 'WAITING',
            state,
            waitingFor: (callbacks?.size ?? 0) > 0 ? 'callback' : 'timer',
            history: trimHistory(history, historyLimit),
          };
          if (next !== undefined) waiting.dueAt = next;
          return waiting;
        }
      }
      if (next === undefined) stopSleep();
      else sleepUntil(next, now);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    deps.signal?.removeEventListener('abort', notify);
    stopAll();
  }
}
