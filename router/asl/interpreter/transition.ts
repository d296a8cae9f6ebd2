/**
 * The pure transition function: (graph, execution state, event, now) -> (next state, effects, history).
 * It runs every state that does not have to wait (Pass, Choice, Succeed, Fail, data flow, entering
 * Parallel and Map) until every thread is blocked on an invoke, a timer or its children, and returns
 * what the runtime must do next. It performs no I/O and reads no clock or randomness of its own, so the
 * Amazon States Language semantics are tested without mocks and an execution replays exactly.
 *
 * Ownership: for speed, `applyEvent` updates the state object it is given and returns it (no copy per
 * transition). The state stays plain JSON; a caller that needs the previous state keeps a serialised copy
 * (which is what checkpointing does anyway).
 *
 * Where the spec is silent, this runtime chooses (and the tests pin down):
 * - a Map with ToleratedFailureCount/Percentage keeps `{ Error, Cause }` in the slot of a failed item;
 *   without either field the first failed item fails the Map with that item's error (as inline Map does);
 * - a Fail state without Error / Cause reports empty strings;
 * - TimeoutSecondsPath / HeartbeatSecondsPath / MaxConcurrencyPath / ToleratedFailure*Path read the
 *   state's effective input (after InputPath); a Wait whose time has already passed does not wait;
 * - every state's input, result and output is held to the payload limit (`maxPayloadBytes`) as it is
 *   produced, at a cost bounded by the limit (`payload-limit.ts`); States.ALL does not catch it.
 *
 * ```
 *   event ──> locate the waiting thread ──> handle (result, error, timer) ──> run the thread on
 *                                                                             │
 *   parent Parallel/Map <── child ended? <────────────────────────────────────┘  (repeat upwards)
 * ```
 *
 * This module is the entry; the rest lives by concept: `advance.ts` runs a thread state by state, one
 * module per state type under `states/`, `result.ts` (ResultSelector, ResultPath, OutputPath of a
 * result), `retry-catch.ts`, `threads.ts` (entering states, pending invokes and timers, cancelling),
 * `payload-limit.ts`, `causes.ts` (how an error in a state reads), and `ctx.ts` (the working set of one
 * call, history, the context object).
 */

import { STATES_ERRORS } from '../errors.ts';
import type { JsonValue } from '../types.ts';
import { advance, childEnded } from './advance.ts';
import type { CompiledGraph } from './compiled.ts';
import { type Ctx, ExecutionAbort, type Frame, record, stateOf, toError } from './ctx.ts';
import type { HistoryEvent } from './history.ts';
import { checkSize, PARSED_GROWTH, SizeBounds } from './payload-limit.ts';
import { PendingIndex } from './pending.ts';
import { retryTimerFired } from './retry-catch.ts';
import {
  type Effect,
  EXECUTION_TIMEOUT_ID,
  type ExecutionEvent,
  type ExecutionState,
  type InvokeEffect,
  type PendingEffect,
  type TimerEffect,
} from './state.ts';
import { mapRunEvent } from './states/distributedMap.ts';
import { pumpMap, settleItem } from './states/map.ts';
import { taskEvent, taskPollFired, taskTimerFired } from './states/task.ts';
import { waitTimerFired } from './states/wait.ts';
import { addTimer, cancelId, enter, newThread } from './threads.ts';

export { jsonSize, PARSED_GROWTH, SizeBounds, sizeBound } from './payload-limit.ts';
export { PendingIndex } from './pending.ts';

/** What starts an execution. */
export interface ExecutionInit {
  readonly executionId: string;
  /** `$$.Execution.Name`; defaults to the execution id. */
  readonly name?: string;
  readonly input: JsonValue;
  /**
   * Bytes of the JSON text the input was parsed from (or of a text holding it): bounds its size, so a
   * small input passes the payload limit without a walk.
   */
  readonly inputBytes?: number;
  /** Epoch milliseconds. */
  readonly startTime: number;
  /** Overrides the graph's `$$.StateMachine.Name`. */
  readonly stateMachineName?: string;
  readonly stateMachineId?: string;
  readonly roleArn?: string;
}

/** The result of one transition: the state (same object, updated), effects to perform, new history. */
export interface Step {
  state: ExecutionState;
  effects: Effect[];
  /** Empty (and shared) when the transition was asked to keep no history. */
  history: readonly HistoryEvent[];
}

/** Options of {@link startExecution} and {@link applyEvent}. */
export interface TransitionOptions {
  /**
   * False to record no history events: an express execution keeps none, and building them is a good
   * part of a short run's cost. Default true.
   */
  readonly history?: boolean;
  /**
   * What the run knows of its values' sizes, so the payload limit walks each value once per run rather
   * than once per state. One per run, kept by the caller from one transition to the next (never in the
   * state); without it each call learns afresh.
   */
  readonly sizes?: SizeBounds;
  /**
   * The run's index of the state's pending invokes and timers (a wide Map or Parallel has many), kept
   * like `sizes` by the caller from one transition to the next; without it each call indexes afresh.
   */
  readonly pendingIndex?: PendingIndex;
}

const NO_HISTORY: readonly HistoryEvent[] = Object.freeze([]);

function historyOf(options: TransitionOptions): HistoryEvent[] | undefined {
  return options.history === false ? undefined : [];
}

function newCtx(graph: CompiledGraph, state: ExecutionState, now: number, options: TransitionOptions): Ctx {
  return {
    graph,
    state,
    now,
    effects: [],
    history: historyOf(options),
    env: undefined,
    sizes: options.sizes ?? new SizeBounds(),
    pendingIndex: options.pendingIndex ?? new PendingIndex(),
    advance,
  };
}

/** The frames from the root to the thread at `loc`, or undefined if that thread no longer exists. */
function locate(graph: CompiledGraph, state: ExecutionState, loc: readonly number[]): Frame[] | undefined {
  const frames: Frame[] = [{ thread: state.root, machine: graph.root, loc: [], parent: undefined }];
  for (let k = 0; k < loc.length; k++) {
    const f = frames[k] as Frame;
    const index = loc[k] as number;
    const b = f.thread.block;
    if (b === undefined || (b.kind !== 'parallel' && b.kind !== 'map')) return undefined;
    const child = b.children[index];
    if (child === undefined) return undefined;
    const s = stateOf(f.machine, f.thread.state);
    const machine = s.type === 'Parallel' ? s.branches[index] : s.type === 'Map' ? s.processor : undefined;
    if (machine === undefined) return undefined;
    frames.push({ thread: child, machine, loc: loc.slice(0, k + 1), parent: f });
  }
  return frames;
}

function finishExecution(ctx: Ctx): void {
  const st = ctx.state;
  const end = st.root.end;
  if (end === undefined || st.status !== 'RUNNING') return;
  for (const p of [...st.pending]) cancelId(ctx, p.effect.id);
  if (end.status === 'SUCCEEDED') {
    st.status = 'SUCCEEDED';
    st.output = end.output;
    record(ctx, 'ExecutionSucceeded', '', undefined, { output: end.output });
    return;
  }
  failExecution(ctx, end.error, end.cause, false);
}

function failExecution(ctx: Ctx, error: string, cause: string, timedOut: boolean): void {
  const st = ctx.state;
  for (const p of [...st.pending]) cancelId(ctx, p.effect.id);
  st.status = 'FAILED';
  st.error = error;
  st.cause = cause;
  record(ctx, timedOut ? 'ExecutionTimedOut' : 'ExecutionFailed', '', undefined, { error, cause });
}

function run(ctx: Ctx, body: () => void): Step {
  try {
    body();
    finishExecution(ctx);
  } catch (error) {
    if (!(error instanceof ExecutionAbort)) throw error;
    failExecution(ctx, error.error, error.cause, error.timedOut);
  }
  return { state: ctx.state, effects: ctx.effects, history: ctx.history ?? NO_HISTORY };
}

/**
 * Starts an execution: records ExecutionStarted, runs the graph until every thread waits, and returns
 * the first effects. Deterministic: the same graph, init and `now` give the same step.
 *
 * @example
 * const step = startExecution(compiled, { executionId: 'e-1', input: { n: 1 }, startTime: now }, now);
 * for (const effect of step.effects) schedule(effect);
 */
export function startExecution(
  graph: CompiledGraph,
  init: ExecutionInit,
  now: number,
  options: TransitionOptions = {},
): Step {
  const context: ExecutionState['context'] = {
    executionId: init.executionId,
    name: init.name ?? init.executionId,
    startTime: init.startTime,
    input: init.input,
    stateMachineName: init.stateMachineName ?? graph.stateMachineName,
    stateMachineId: init.stateMachineId ?? graph.stateMachineId,
  };
  if (init.roleArn !== undefined) context.roleArn = init.roleArn;
  const state: ExecutionState = {
    format: 1,
    context,
    status: 'RUNNING',
    transitions: 0,
    events: 0,
    draws: 0,
    root: newThread('', '', now),
    pending: [],
  };
  const ctx = newCtx(graph, state, now, options);
  record(ctx, 'ExecutionStarted', '', undefined, { input: init.input });
  return run(ctx, () => {
    try {
      const hinted = init.inputBytes === undefined ? Number.NaN : init.inputBytes * PARSED_GROWTH;
      ctx.sizes.carry(
        state.root,
        init.input,
        checkSize(ctx, init.input, 'The execution input', undefined, hinted),
      );
    } catch (error) {
      const e = toError(error);
      throw new ExecutionAbort(e.error, e.cause);
    }
    if (graph.timeoutSeconds !== undefined) {
      addTimer(
        ctx,
        [],
        EXECUTION_TIMEOUT_ID,
        init.startTime + graph.timeoutSeconds * 1000,
        'execution-timeout',
      );
    }
    const root: Frame = { thread: state.root, machine: graph.root, loc: [], parent: undefined };
    enter(ctx, root, graph.root.startAt, init.input);
    advance(ctx, root);
  });
}

/** Handles an event on the thread waiting for it; returns false when nothing changed in the thread. */
function handleEvent(ctx: Ctx, f: Frame, pending: PendingEffect, event: ExecutionEvent): boolean {
  const t = f.thread;
  const s = stateOf(f.machine, t.state);
  const b = t.block;
  if (b === undefined) return false;
  const effect = pending.effect;
  if (effect.type === 'invoke') {
    if (b.kind === 'map' && s.type === 'Map') return mapRunEvent(ctx, f, s, b, event, pumpMap, settleItem);
    if (b.kind !== 'task' || b.invokeId !== event.id || s.type !== 'Task') return false;
    return taskEvent(ctx, f, s, b, pending, event);
  }
  if (event.type !== 'TimerFired') return false;
  switch (effect.reason) {
    case 'wait':
      return b.kind === 'wait' && waitTimerFired(ctx, f, s, b, event.id);
    case 'retry':
      return b.kind === 'retry' && retryTimerFired(ctx, f, b, event.id);
    case 'timeout':
    case 'heartbeat':
      return b.kind === 'task' && taskTimerFired(ctx, f, s, b, effect.reason === 'heartbeat', event.id);
    case 'poll':
      return b.kind === 'task' && taskPollFired(ctx, b, event.id);
    default:
      return false;
  }
}

/**
 * Applies one event (an invoke's result, a timer, a heartbeat) and runs the execution until every
 * thread waits again. Events for invokes or timers that are no longer awaited (cancelled, already
 * answered) change nothing. Updates `state` in place and returns it in the step (see the module note).
 *
 * @example
 * const next = applyEvent(compiled, step.state, { type: 'TaskSucceeded', id: invoke.id, output }, now);
 */
export function applyEvent(
  graph: CompiledGraph,
  state: ExecutionState,
  event: ExecutionEvent,
  now: number,
  options: TransitionOptions = {},
): Step {
  const ctx = newCtx(graph, state, now, options);
  if (state.status !== 'RUNNING') return { state, effects: ctx.effects, history: NO_HISTORY };
  const pending = ctx.pendingIndex.get(state, event.id);
  if (pending === undefined) return { state, effects: ctx.effects, history: NO_HISTORY };
  return run(ctx, () => {
    if (pending.effect.type === 'timer' && pending.effect.reason === 'execution-timeout') {
      if (event.type !== 'TimerFired') return;
      ctx.pendingIndex.remove(state, event.id);
      throw new ExecutionAbort(
        STATES_ERRORS.Timeout,
        `The execution did not finish within the state machine's TimeoutSeconds (${graph.timeoutSeconds ?? 0})`,
        true,
      );
    }
    const frames = locate(graph, state, pending.loc);
    const target = frames?.[frames.length - 1];
    if (frames === undefined || target === undefined) return;
    if (!handleEvent(ctx, target, pending, event)) return;
    advance(ctx, target);
    for (let k = frames.length - 1; k > 0; k--) {
      const child = frames[k] as Frame;
      const parent = frames[k - 1] as Frame;
      if (child.thread.end === undefined) return;
      childEnded(ctx, parent, child.loc[child.loc.length - 1] as number);
      advance(ctx, parent);
    }
  });
}

/**
 * The invokes and timers an execution still waits on, to re-issue after a resume: invokes that were in
 * flight at the checkpoint run again with the same id and idempotency key; submitted callback invokes
 * are not re-issued (their result arrives by task token).
 */
export function pendingEffects(
  state: ExecutionState,
): { effect: InvokeEffect | TimerEffect; submitted: boolean }[] {
  return state.pending.map((p) => ({ effect: p.effect, submitted: p.submitted === true }));
}

/** The invoke id a task token belongs to, so a task-success / task-failure message can become an event. */
export function invokeIdForToken(state: ExecutionState, token: string): string | undefined {
  for (const p of state.pending) {
    if (p.effect.type === 'invoke' && p.effect.taskToken === token) return p.effect.id;
  }
  return undefined;
}
