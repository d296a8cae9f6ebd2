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
 * - payload limits are checked on the execution input and output, each Task input and result, and each
 *   Parallel / Map result (the places data grows), not on every Pass / Choice output.
 *
 * ```
 *   event ──> locate the waiting thread ──> handle (result, error, timer) ──> run the thread on
 *                                                                             │
 *   parent Parallel/Map <── child ended? <────────────────────────────────────┘  (repeat upwards)
 * ```
 */

import { isoTime } from '../../time.ts';
import { errorMatches, STATES_ERRORS, StatesError, statesFailure } from '../errors.ts';
import type { IntrinsicEnv } from '../expressions/intrinsics.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import type {
  CompiledChoice,
  CompiledFail,
  CompiledGraph,
  CompiledMachine,
  CompiledMap,
  CompiledParallel,
  CompiledPass,
  CompiledState,
  CompiledTask,
  CompiledWait,
  Evaluate,
} from './compile.ts';
import type { HistoryDetails, HistoryEvent, HistoryEventType } from './history.ts';
import { addPending as addPendingEntry, getPending, removePending } from './pending.ts';
import { executionEnv, nextRandom, taskToken } from './random.ts';
import {
  type Effect,
  EXECUTION_TIMEOUT_ID,
  type ExecutionEvent,
  type ExecutionState,
  type InvokeEffect,
  type MapBlock,
  type ParallelBlock,
  type PendingEffect,
  type TaskBlock,
  type ThreadState,
  type TimerEffect,
  type TimerReason,
} from './state.ts';

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
}

const NO_HISTORY: readonly HistoryEvent[] = Object.freeze([]);

/** A thread with the machine its states belong to and its location from the root. */
interface Frame {
  readonly thread: ThreadState;
  readonly machine: CompiledMachine;
  readonly loc: number[];
}

/** Working set of one call. */
interface Ctx {
  readonly graph: CompiledGraph;
  readonly state: ExecutionState;
  readonly now: number;
  readonly effects: Effect[];
  /** Undefined when no history is kept. */
  readonly history: HistoryEvent[] | undefined;
  env: IntrinsicEnv | undefined;
}

/** Ends the whole execution at once (transition limit, execution timeout). */
class ExecutionAbort {
  constructor(
    readonly error: string,
    readonly cause: string,
    readonly timedOut = false,
  ) {}
}

const NO_CONTEXT: JsonValue = {};
const EMPTY: JsonObject = {};

function envOf(ctx: Ctx): IntrinsicEnv {
  if (ctx.env === undefined) ctx.env = executionEnv(ctx.state);
  return ctx.env;
}

function record(
  ctx: Ctx,
  type: HistoryEventType,
  thread: string,
  stateName: string | undefined,
  details?: HistoryDetails,
): void {
  ctx.state.events += 1;
  if (ctx.history === undefined) return;
  const event: HistoryEvent = { id: ctx.state.events, type, timestamp: ctx.now, thread };
  if (stateName !== undefined) event.stateName = stateName;
  if (details !== undefined) event.details = details;
  ctx.history.push(event);
}

function historyOf(options: TransitionOptions): HistoryEvent[] | undefined {
  return options.history === false ? undefined : [];
}

function stateOf(machine: CompiledMachine, name: string): CompiledState {
  const state = machine.states.get(name);
  if (state === undefined) throw new Error(`the graph has no state named '${name}' (was it validated?)`);
  return state;
}

/** The context object `$$` for a state, built only for states whose expressions read it. */
function contextObject(
  ctx: Ctx,
  t: ThreadState,
  s: CompiledState,
  extra?: { task?: JsonObject; item?: { index: number; value: JsonValue } },
): JsonValue {
  const x = ctx.state.context;
  const execution: JsonObject = {
    Id: x.executionId,
    Input: x.input,
    Name: x.name,
    StartTime: isoTime(x.startTime),
  };
  if (x.roleArn !== undefined) execution.RoleArn = x.roleArn;
  const context: JsonObject = {
    Execution: execution,
    State: { Name: s.name, EnteredTime: isoTime(t.enteredAt), RetryCount: t.attempt },
    StateMachine: { Id: x.stateMachineId, Name: x.stateMachineName },
  };
  if (extra?.task !== undefined) context.Task = extra.task;
  if (extra?.item !== undefined) context.Map = { Item: { Index: extra.item.index, Value: extra.item.value } };
  return context;
}

function applyIo(
  path: Evaluate | null | undefined,
  value: JsonValue,
  context: JsonValue,
  ctx: Ctx,
): JsonValue {
  if (path === undefined) return value;
  if (path === null) return EMPTY;
  return path(value, context, envOf(ctx));
}

/**
 * Size bounds of arrays already walked, for the values a thread has no bound of (Parameters and
 * ResultSelector output, Map items): those are new objects, but they share the nested arrays of the
 * values they were built from, and arrays hold most of a payload's nodes. States never mutate a value
 * they produced, so a bound stays true. Objects are not remembered: a WeakMap entry per small object
 * costs more than walking it.
 */
const arrayBounds = new WeakMap<readonly JsonValue[], number>();
const REMEMBERED_ARRAY_LENGTH = 4;

/**
 * An upper bound of a value's UTF-8 JSON size, walking no further than `budget`: a string unit is at
 * most 6 bytes (`\u0000` escapes), a number at most 24. Cheaper than serialising when far below the limit,
 * it is how the payload limit (`maxPayloadBytes`) is checked.
 */
export function sizeBound(value: JsonValue, budget = Number.POSITIVE_INFINITY): number {
  if (typeof value === 'string') return value.length * 6 + 2;
  if (typeof value !== 'object' || value === null) return 24;
  let total = 2;
  if (Array.isArray(value)) {
    const remember = value.length >= REMEMBERED_ARRAY_LENGTH;
    if (remember) {
      const known = arrayBounds.get(value);
      if (known !== undefined) return known;
    }
    for (const item of value) {
      total += sizeBound(item, budget - total) + 1;
      if (total > budget) return total;
    }
    if (remember) arrayBounds.set(value, total);
    return total;
  }
  for (const key in value) {
    total += key.length * 6 + 4 + sizeBound(value[key] as JsonValue, budget - total);
    if (total > budget) return total;
  }
  return total;
}
/**
 * How much larger than its JSON text a parsed value's {@link sizeBound} can be: a number token of one byte
 * counts 24, and strings, keys and literals count at most 6 per byte of their text.
 */
export const PARSED_GROWTH = 24;

/**
 * The size bound a thread knows of one of its values (its input, then what it produced), so a value is
 * walked for the payload limit once, not once per state. Kept under hidden symbols, so checkpoints never
 * carry it.
 */
const BOUND_OF = Symbol('boundOf');
const BOUND = Symbol('bound');
type Bounded = ThreadState & { [BOUND_OF]?: JsonValue; [BOUND]?: number };

function knownBound(t: ThreadState, value: JsonValue): number {
  const b = t as Bounded;
  return b[BOUND_OF] === value ? (b[BOUND] ?? Number.NaN) : Number.NaN;
}

function setBound(t: ThreadState, value: JsonValue, bound: number): void {
  if (!Number.isFinite(bound)) return;
  const b = t as Bounded;
  if (BOUND in b) {
    b[BOUND_OF] = value;
    b[BOUND] = bound;
    return;
  }
  // Not enumerable: a thread compares and copies as the state it is, bounds or not.
  Object.defineProperty(b, BOUND_OF, { value, writable: true });
  Object.defineProperty(b, BOUND, { value: bound, writable: true });
}

/**
 * States.DataLimitExceeded above the graph's limit; else a bound of the value's size (NaN: not known).
 * A `known` bound within the limit spares the walk.
 */
function checkSize(ctx: Ctx, value: JsonValue, what: string, known = Number.NaN): number {
  const limit = ctx.graph.maxPayloadBytes;
  if (!Number.isFinite(limit)) return Number.NaN;
  const bound = known <= limit ? known : sizeBound(value, limit);
  if (bound <= limit) return bound;
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > limit) {
    throw new StatesError(
      STATES_ERRORS.DataLimitExceeded,
      `${what} is ${size} bytes, above the limit of ${limit} bytes (maxPayloadBytes)`,
    );
  }
  return size;
}

function toError(error: unknown): { error: string; cause: string } {
  if (error instanceof StatesError) return { error: error.name, cause: error.cause };
  const message = error instanceof Error ? error.message : String(error);
  return { error: STATES_ERRORS.Runtime, cause: message };
}

function newThread(path: string, keyPath: string, now: number): ThreadState {
  return { path, keyPath, state: '', input: null, enteredAt: now, visits: {}, attempt: 0 };
}

function visitOf(t: ThreadState, name: string): number {
  return t.visits[name] ?? 1;
}

function enterState(ctx: Ctx, t: ThreadState, name: string, input: JsonValue): void {
  const st = ctx.state;
  st.transitions += 1;
  if (st.transitions > ctx.graph.maxTransitions) {
    throw new ExecutionAbort(
      STATES_ERRORS.Runtime,
      `The execution exceeded the limit of ${ctx.graph.maxTransitions} state transitions (maxTransitions) when entering state '${name}'`,
    );
  }
  t.state = name;
  t.input = input;
  t.enteredAt = ctx.now;
  t.attempt = 0;
  if (t.retries !== undefined) t.retries = undefined;
  t.visits[name] = (t.visits[name] ?? 0) + 1;
  // The machine is known to the caller; the entered event type comes from the compiled state.
}

function enter(ctx: Ctx, f: Frame, name: string, input: JsonValue): void {
  const s = stateOf(f.machine, name);
  enterState(ctx, f.thread, name, input);
  record(ctx, s.entered, f.thread.path, name, { input });
}

function addPending(ctx: Ctx, loc: number[], effect: InvokeEffect | TimerEffect): void {
  addPendingEntry(ctx.state, { effect, loc });
  ctx.effects.push(effect);
}

function addTimer(ctx: Ctx, loc: number[], id: string, dueAt: number, reason: TimerReason): void {
  addPending(ctx, loc, { type: 'timer', id, dueAt, reason });
}

function cancelId(ctx: Ctx, id: string | undefined): void {
  if (id === undefined || !removePending(ctx.state, id)) return;
  ctx.effects.push({ type: 'cancel', id });
}

/** Cancels everything a thread (and its children) waits on. */
function cancelThread(ctx: Ctx, t: ThreadState): void {
  const b = t.block;
  if (b === undefined) return;
  switch (b.kind) {
    case 'task':
      cancelId(ctx, b.invokeId);
      cancelId(ctx, b.timeoutId);
      cancelId(ctx, b.heartbeatId);
      break;
    case 'wait':
    case 'retry':
      cancelId(ctx, b.timerId);
      break;
    case 'parallel':
    case 'map':
      for (const [index, child] of Object.entries(b.children)) {
        cancelThread(ctx, child);
        record(ctx, b.kind === 'map' ? 'MapIterationAborted' : 'ParallelBranchAborted', child.path, t.state, {
          index: Number(index),
        });
      }
      break;
  }
  t.block = undefined;
}

/** Leaves a state with its output: to Next, or ends the thread. */
function finishState(ctx: Ctx, f: Frame, s: CompiledState, output: JsonValue, next?: string): void {
  record(ctx, s.exited, f.thread.path, s.name, { output });
  const target = next ?? s.next;
  if (s.type === 'Succeed' || s.end || target === undefined) {
    f.thread.end = { status: 'SUCCEEDED', output };
    return;
  }
  enter(ctx, f, target, output);
}

/** Result of a Task / Parallel / Map: ResultSelector -> ResultPath -> OutputPath, then leave the state. */
function succeedWithResult(
  ctx: Ctx,
  f: Frame,
  s: CompiledTask | CompiledParallel | CompiledMap,
  result: JsonValue,
): void {
  const t = f.thread;
  let output: JsonValue;
  try {
    const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
    const resultBound = checkSize(ctx, result, `The result of state '${s.name}'`);
    const inputBound = knownBound(t, t.input);
    const selected = s.resultSelector === undefined ? result : s.resultSelector(result, context, envOf(ctx));
    const merged = s.resultPath(t.input, selected);
    output = applyIo(s.outputPath, merged, context, ctx);
    const outputBound =
      output === merged && selected === result ? s.resultBound(inputBound, resultBound) : Number.NaN;
    if (s.type === 'Task') setBound(t, output, outputBound);
    else setBound(t, output, checkSize(ctx, output, `The output of state '${s.name}'`, outputBound));
  } catch (error) {
    if (error instanceof ExecutionAbort) throw error;
    const e = toError(error);
    failState(ctx, f, s, e.error, e.cause);
    return;
  }
  finishState(ctx, f, s, output);
}

/** An error in a state: the first matching Retrier, else the first matching Catcher, else the thread fails. */
function failState(ctx: Ctx, f: Frame, s: CompiledState, error: string, cause: string): void {
  const t = f.thread;
  if (s.type === 'Task' || s.type === 'Parallel' || s.type === 'Map') {
    const retriers = s.retry;
    for (let i = 0; i < retriers.length; i++) {
      const r = retriers[i];
      if (r === undefined || !errorMatches(error, r.errorEquals, true)) continue;
      const used = t.retries?.[i] ?? 0;
      if (used < r.maxAttempts) {
        let delay = r.intervalMs * r.backoffRate ** used;
        if (r.maxDelayMs !== undefined && delay > r.maxDelayMs) delay = r.maxDelayMs;
        if (r.jitter) delay *= nextRandom(ctx.state);
        delay = Math.round(delay);
        const retries = t.retries ?? retriers.map(() => 0);
        retries[i] = used + 1;
        t.retries = retries;
        t.attempt += 1;
        const visit = visitOf(t, s.name);
        const timerId = `${t.path}${s.name}#${visit}.${t.attempt}:retry`;
        const dueAt = ctx.now + delay;
        t.block = { kind: 'retry', timerId };
        addTimer(ctx, f.loc, timerId, dueAt, 'retry');
        record(ctx, 'TaskRetry', t.path, s.name, { error, cause, attempt: t.attempt, dueAt });
        return;
      }
      break;
    }
    for (const c of s.catch) {
      if (!errorMatches(error, c.errorEquals, false)) continue;
      let output: JsonValue;
      try {
        output = c.resultPath(t.input, { Error: error, Cause: cause });
      } catch (failure) {
        const e = toError(failure);
        t.end = { status: 'FAILED', error: e.error, cause: e.cause };
        return;
      }
      record(ctx, s.exited, t.path, s.name, { output, error, cause });
      enter(ctx, f, c.next, output);
      return;
    }
  }
  t.end = { status: 'FAILED', error, cause };
}

/** Runs a thread until it is blocked or ends. */
function advance(ctx: Ctx, f: Frame): void {
  const t = f.thread;
  while (t.block === undefined && t.end === undefined) {
    const s = stateOf(f.machine, t.state);
    try {
      execute(ctx, f, s);
    } catch (error) {
      if (error instanceof ExecutionAbort) throw error;
      const e = toError(error);
      failState(ctx, f, s, e.error, e.cause);
    }
  }
}

function execute(ctx: Ctx, f: Frame, s: CompiledState): void {
  switch (s.type) {
    case 'Task':
      executeTask(ctx, f, s);
      return;
    case 'Pass':
      executePass(ctx, f, s);
      return;
    case 'Choice':
      executeChoice(ctx, f, s);
      return;
    case 'Wait':
      executeWait(ctx, f, s);
      return;
    case 'Succeed': {
      const context = s.usesContext ? contextObject(ctx, f.thread, s) : NO_CONTEXT;
      const effective = applyIo(s.inputPath, f.thread.input, context, ctx);
      finishState(ctx, f, s, applyIo(s.outputPath, effective, context, ctx));
      return;
    }
    case 'Fail':
      executeFail(ctx, f, s);
      return;
    case 'Parallel':
      executeParallel(ctx, f, s);
      return;
    case 'Map':
      executeMap(ctx, f, s);
      return;
  }
}

function executePass(ctx: Ctx, f: Frame, s: CompiledPass): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx);
  let result = s.parameters === undefined ? effective : s.parameters(effective, context, envOf(ctx));
  if (s.result !== undefined) result = s.result;
  const output = applyIo(s.outputPath, s.resultPath(t.input, result), context, ctx);
  finishState(ctx, f, s, output);
}

function executeChoice(ctx: Ctx, f: Frame, s: CompiledChoice): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx);
  let next: string | undefined;
  for (const choice of s.choices) {
    if (choice.test(effective, context)) {
      next = choice.next;
      break;
    }
  }
  if (next === undefined) next = s.default;
  if (next === undefined) {
    throw statesFailure(
      STATES_ERRORS.NoChoiceMatched,
      `No Choice rule of state '${s.name}' matched the input and it has no Default`,
    );
  }
  finishState(ctx, f, s, applyIo(s.outputPath, effective, context, ctx), next);
}

function waitDueAt(ctx: Ctx, s: CompiledWait, effective: JsonValue, context: JsonValue): number {
  if (s.seconds !== undefined) return ctx.now + s.seconds * 1000;
  let timestamp = s.timestamp;
  if (s.secondsPath !== undefined) {
    const seconds = s.secondsPath(effective, context, envOf(ctx));
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `Wait state '${s.name}': SecondsPath must select a non-negative integer, got ${JSON.stringify(seconds)}`,
      );
    }
    return ctx.now + seconds * 1000;
  }
  if (s.timestampPath !== undefined) {
    const value = s.timestampPath(effective, context, envOf(ctx));
    if (typeof value !== 'string') {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `Wait state '${s.name}': TimestampPath must select an RFC 3339 timestamp string, got ${JSON.stringify(value)}`,
      );
    }
    timestamp = value;
  }
  const due = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  if (Number.isNaN(due)) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `Wait state '${s.name}': '${String(timestamp)}' is not an RFC 3339 timestamp`,
    );
  }
  return due;
}

function executeWait(ctx: Ctx, f: Frame, s: CompiledWait): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx);
  const dueAt = waitDueAt(ctx, s, effective, context);
  if (dueAt <= ctx.now) {
    finishState(ctx, f, s, applyIo(s.outputPath, effective, context, ctx));
    return;
  }
  const timerId = `${t.path}${s.name}#${visitOf(t, s.name)}:wait`;
  t.block = { kind: 'wait', timerId };
  addTimer(ctx, f.loc, timerId, dueAt, 'wait');
  record(ctx, 'WaitStarted', t.path, s.name, { dueAt });
}

function executeFail(ctx: Ctx, f: Frame, s: CompiledFail): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const text = (value: string | Evaluate | undefined, field: string): string => {
    if (value === undefined || typeof value === 'string') return value ?? '';
    const result = value(t.input, context, envOf(ctx));
    if (typeof result !== 'string') {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `Fail state '${s.name}': ${field} must produce a string, got ${JSON.stringify(result)}`,
      );
    }
    return result;
  };
  t.end = { status: 'FAILED', error: text(s.error, 'ErrorPath'), cause: text(s.cause, 'CausePath') };
}

function positiveSeconds(
  ctx: Ctx,
  s: CompiledState,
  value: number | Evaluate | undefined,
  field: string,
  effective: JsonValue,
  context: JsonValue,
): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const seconds = value(effective, context, envOf(ctx));
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds <= 0) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `State '${s.name}': ${field} must select a positive integer, got ${JSON.stringify(seconds)}`,
    );
  }
  return seconds;
}

function executeTask(ctx: Ctx, f: Frame, s: CompiledTask): void {
  const t = f.thread;
  const x = ctx.state.context;
  const visit = visitOf(t, s.name);
  const invokeId = `${t.path}${s.name}#${visit}.${t.attempt}`;
  const idempotencyKey = `${x.executionId}:${t.keyPath}${s.name}#${visit}`;
  let token: string | undefined;
  if (s.callback) {
    const secret = ctx.graph.taskTokenSecret;
    if (secret === undefined) {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `Task state '${s.name}' waits for a task token but no taskTokenSecret was given to compileGraph`,
      );
    }
    token = taskToken(secret, x.executionId, invokeId, x.startTime);
  }
  let context = NO_CONTEXT;
  if (s.usesContext) {
    const task: JsonObject = { IdempotencyKey: idempotencyKey };
    if (token !== undefined) task.Token = token;
    context = contextObject(ctx, t, s, { task });
  }
  const effective = applyIo(s.inputPath, t.input, context, ctx);
  const input = s.parameters === undefined ? effective : s.parameters(effective, context, envOf(ctx));
  checkSize(ctx, input, `The input of Task state '${s.name}'`, knownBound(t, input));
  const timeoutSeconds = positiveSeconds(ctx, s, s.timeoutSeconds, 'TimeoutSecondsPath', effective, context);
  const heartbeatSeconds = positiveSeconds(
    ctx,
    s,
    s.heartbeatSeconds,
    'HeartbeatSecondsPath',
    effective,
    context,
  );
  const effect: InvokeEffect = {
    type: 'invoke',
    id: invokeId,
    resource: s.resource,
    input,
    idempotencyKey,
    stateName: s.name,
    attempt: t.attempt,
  };
  if (token !== undefined) effect.taskToken = token;
  if (timeoutSeconds !== undefined) effect.timeoutSeconds = timeoutSeconds;
  if (heartbeatSeconds !== undefined) effect.heartbeatSeconds = heartbeatSeconds;
  const block: TaskBlock = { kind: 'task', invokeId, heartbeats: 0 };
  t.block = block;
  addPending(ctx, f.loc, effect);
  if (timeoutSeconds !== undefined) {
    block.timeoutSeconds = timeoutSeconds;
    block.timeoutId = `${invokeId}:timeout`;
    addTimer(ctx, f.loc, block.timeoutId, ctx.now + timeoutSeconds * 1000, 'timeout');
  }
  if (heartbeatSeconds !== undefined) {
    block.heartbeatSeconds = heartbeatSeconds;
    block.heartbeatId = `${invokeId}:hb0`;
    addTimer(ctx, f.loc, block.heartbeatId, ctx.now + heartbeatSeconds * 1000, 'heartbeat');
  }
  if (ctx.history !== undefined) {
    const details: HistoryDetails = { resource: s.resource, input };
    if (timeoutSeconds !== undefined) details.timeoutSeconds = timeoutSeconds;
    if (heartbeatSeconds !== undefined) details.heartbeatSeconds = heartbeatSeconds;
    record(ctx, 'TaskScheduled', t.path, s.name, details);
  }
}

/** Prefixes of a Parallel branch / Map item thread: the parent state with its visit (and attempt for ids). */
function childPaths(t: ThreadState, s: CompiledState, index: number): [string, string] {
  const visit = visitOf(t, s.name);
  return [`${t.path}${s.name}#${visit}.${t.attempt}[${index}]/`, `${t.keyPath}${s.name}#${visit}[${index}]/`];
}

function executeParallel(ctx: Ctx, f: Frame, s: CompiledParallel): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx);
  const input = s.parameters === undefined ? effective : s.parameters(effective, context, envOf(ctx));
  const block: ParallelBlock = {
    kind: 'parallel',
    children: {},
    results: s.branches.map(() => null),
    remaining: s.branches.length,
  };
  t.block = block;
  record(ctx, 'ParallelStateStarted', t.path, s.name);
  for (let i = 0; i < s.branches.length; i++) {
    if (t.block !== block) return;
    const machine = s.branches[i] as CompiledMachine;
    const [path, keyPath] = childPaths(t, s, i);
    const child = newThread(path, keyPath, ctx.now);
    block.children[i] = child;
    const frame: Frame = { thread: child, machine, loc: [...f.loc, i] };
    enter(ctx, frame, machine.startAt, input);
    advance(ctx, frame);
    if (child.end !== undefined) parallelChildEnded(ctx, f, s, block, i);
  }
}

function parallelChildEnded(
  ctx: Ctx,
  f: Frame,
  s: CompiledParallel,
  block: ParallelBlock,
  index: number,
): void {
  const t = f.thread;
  const child = block.children[index];
  const end = child?.end;
  if (child === undefined || end === undefined) return;
  delete block.children[index];
  if (end.status === 'SUCCEEDED') {
    record(ctx, 'ParallelBranchSucceeded', child.path, s.name, { index, output: end.output });
    block.results[index] = end.output;
    block.remaining -= 1;
    if (block.remaining > 0) return;
    t.block = undefined;
    record(ctx, 'ParallelStateSucceeded', t.path, s.name, { output: block.results });
    succeedWithResult(ctx, f, s, block.results);
    return;
  }
  record(ctx, 'ParallelBranchFailed', child.path, s.name, { index, error: end.error, cause: end.cause });
  cancelThread(ctx, t);
  record(ctx, 'ParallelStateFailed', t.path, s.name, { index, error: end.error, cause: end.cause });
  failState(ctx, f, s, end.error, end.cause);
}

function countOrPercent(
  ctx: Ctx,
  s: CompiledMap,
  value: number | Evaluate | undefined,
  field: string,
  effective: JsonValue,
  context: JsonValue,
): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const n = value(effective, context, envOf(ctx));
  if (typeof n !== 'number' || n < 0 || !Number.isFinite(n)) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `Map state '${s.name}': ${field} must select a non-negative number, got ${JSON.stringify(n)}`,
    );
  }
  return n;
}

function executeMap(ctx: Ctx, f: Frame, s: CompiledMap): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx);
  const items = s.itemsPath === undefined ? effective : s.itemsPath(effective, context, envOf(ctx));
  if (!Array.isArray(items)) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `Map state '${s.name}': ItemsPath must select an array, got ${items === null ? 'null' : typeof items}`,
    );
  }
  const maxConcurrency =
    countOrPercent(ctx, s, s.maxConcurrency, 'MaxConcurrencyPath', effective, context) ?? 0;
  const block: MapBlock = {
    kind: 'map',
    input: effective,
    items,
    next: 0,
    running: 0,
    remaining: items.length,
    failed: 0,
    maxConcurrency: Math.floor(maxConcurrency),
    children: {},
    results: items.map(() => null),
  };
  const count = countOrPercent(
    ctx,
    s,
    s.toleratedFailureCount,
    'ToleratedFailureCountPath',
    effective,
    context,
  );
  const percent = countOrPercent(
    ctx,
    s,
    s.toleratedFailurePercentage,
    'ToleratedFailurePercentagePath',
    effective,
    context,
  );
  if (count !== undefined) block.toleratedFailureCount = count;
  if (percent !== undefined) block.toleratedFailurePercentage = percent;
  t.block = block;
  record(ctx, 'MapStateStarted', t.path, s.name, { length: items.length });
  if (items.length === 0) {
    t.block = undefined;
    record(ctx, 'MapStateSucceeded', t.path, s.name, { output: [] });
    succeedWithResult(ctx, f, s, []);
    return;
  }
  pumpMap(ctx, f, s, block);
}

/** Starts Map items while the concurrency bound allows; items that end at once are settled in the loop. */
function pumpMap(ctx: Ctx, f: Frame, s: CompiledMap, block: MapBlock): void {
  const t = f.thread;
  while (
    t.block === block &&
    block.next < block.items.length &&
    (block.maxConcurrency === 0 || block.running < block.maxConcurrency)
  ) {
    const index = block.next;
    block.next += 1;
    const value = block.items[index] as JsonValue;
    let input = value;
    if (s.itemSelector !== undefined) {
      try {
        const context = contextObject(ctx, t, s, { item: { index, value } });
        input = s.itemSelector(block.input, context, envOf(ctx));
      } catch (error) {
        const e = toError(error);
        cancelThread(ctx, t);
        record(ctx, 'MapStateFailed', t.path, s.name, { index, error: e.error, cause: e.cause });
        failState(ctx, f, s, e.error, e.cause);
        return;
      }
    }
    const [path, keyPath] = childPaths(t, s, index);
    const child = newThread(path, keyPath, ctx.now);
    block.children[index] = child;
    block.running += 1;
    record(ctx, 'MapIterationStarted', child.path, s.name, { index });
    const frame: Frame = { thread: child, machine: s.processor, loc: [...f.loc, index] };
    enter(ctx, frame, s.processor.startAt, input);
    advance(ctx, frame);
    if (child.end !== undefined) mapChildEnded(ctx, f, s, block, index);
  }
}

function mapChildEnded(ctx: Ctx, f: Frame, s: CompiledMap, block: MapBlock, index: number): void {
  const t = f.thread;
  const child = block.children[index];
  const end = child?.end;
  if (child === undefined || end === undefined) return;
  delete block.children[index];
  block.running -= 1;
  block.remaining -= 1;
  if (end.status === 'SUCCEEDED') {
    block.results[index] = end.output;
    record(ctx, 'MapIterationSucceeded', child.path, s.name, { index, output: end.output });
  } else {
    block.failed += 1;
    block.results[index] = { Error: end.error, Cause: end.cause };
    record(ctx, 'MapIterationFailed', child.path, s.name, { index, error: end.error, cause: end.cause });
    const count = block.toleratedFailureCount;
    const percent = block.toleratedFailurePercentage;
    const tolerant = count !== undefined || percent !== undefined;
    const exceeded =
      !tolerant ||
      (count !== undefined && block.failed > count) ||
      (percent !== undefined && block.failed * 100 > percent * block.items.length);
    if (exceeded) {
      cancelThread(ctx, t);
      const error = tolerant ? STATES_ERRORS.ExceedToleratedFailureThreshold : end.error;
      const cause = tolerant
        ? `Map state '${s.name}': ${block.failed} of ${block.items.length} items failed, above the tolerated failures`
        : end.cause;
      record(ctx, 'MapStateFailed', t.path, s.name, { index, error, cause });
      failState(ctx, f, s, error, cause);
      return;
    }
  }
  if (block.remaining > 0) return;
  t.block = undefined;
  record(ctx, 'MapStateSucceeded', t.path, s.name, { output: block.results });
  succeedWithResult(ctx, f, s, block.results);
}

/** A child thread ended: let its Parallel / Map parent settle it (and start queued Map items). */
function childEnded(ctx: Ctx, parent: Frame, index: number): void {
  const s = stateOf(parent.machine, parent.thread.state);
  const block = parent.thread.block;
  if (block?.kind === 'parallel' && s.type === 'Parallel') {
    parallelChildEnded(ctx, parent, s, block, index);
  } else if (block?.kind === 'map' && s.type === 'Map') {
    mapChildEnded(ctx, parent, s, block, index);
    if (parent.thread.block === block) pumpMap(ctx, parent, s, block);
  }
}

/** The frames from the root to the thread at `loc`, or undefined if that thread no longer exists. */
function locate(graph: CompiledGraph, state: ExecutionState, loc: readonly number[]): Frame[] | undefined {
  const frames: Frame[] = [{ thread: state.root, machine: graph.root, loc: [] }];
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
    frames.push({ thread: child, machine, loc: loc.slice(0, k + 1) });
  }
  return frames;
}

function finishExecution(ctx: Ctx): void {
  const st = ctx.state;
  const end = st.root.end;
  if (end === undefined || st.status !== 'RUNNING') return;
  for (const p of [...st.pending]) cancelId(ctx, p.effect.id);
  if (end.status === 'SUCCEEDED') {
    try {
      checkSize(ctx, end.output, 'The execution output', knownBound(st.root, end.output));
    } catch (error) {
      const e = toError(error);
      failExecution(ctx, e.error, e.cause, false);
      return;
    }
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
  const ctx: Ctx = { graph, state, now, effects: [], history: historyOf(options), env: undefined };
  record(ctx, 'ExecutionStarted', '', undefined, { input: init.input });
  return run(ctx, () => {
    try {
      const hinted = init.inputBytes === undefined ? Number.NaN : init.inputBytes * PARSED_GROWTH;
      setBound(state.root, init.input, checkSize(ctx, init.input, 'The execution input', hinted));
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
    const root: Frame = { thread: state.root, machine: graph.root, loc: [] };
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
    if (b.kind !== 'task' || b.invokeId !== event.id || s.type !== 'Task') return false;
    switch (event.type) {
      case 'TaskSubmitted':
        pending.submitted = true;
        record(ctx, 'TaskSubmitted', t.path, s.name);
        return false;
      case 'TaskHeartbeat':
        if (b.heartbeatId !== undefined && b.heartbeatSeconds !== undefined) {
          cancelId(ctx, b.heartbeatId);
          b.heartbeats += 1;
          b.heartbeatId = `${b.invokeId}:hb${b.heartbeats}`;
          addTimer(ctx, f.loc, b.heartbeatId, ctx.now + b.heartbeatSeconds * 1000, 'heartbeat');
        }
        return false;
      case 'TaskSucceeded':
        removePending(ctx.state, b.invokeId);
        cancelId(ctx, b.timeoutId);
        cancelId(ctx, b.heartbeatId);
        t.block = undefined;
        record(ctx, 'TaskSucceeded', t.path, s.name, { output: event.output });
        succeedWithResult(ctx, f, s, event.output);
        return true;
      case 'TaskFailed':
        removePending(ctx.state, b.invokeId);
        cancelId(ctx, b.timeoutId);
        cancelId(ctx, b.heartbeatId);
        t.block = undefined;
        record(ctx, 'TaskFailed', t.path, s.name, { error: event.error, cause: event.cause });
        failState(ctx, f, s, event.error, event.cause);
        return true;
      default:
        return false;
    }
  }
  if (event.type !== 'TimerFired') return false;
  switch (effect.reason) {
    case 'wait': {
      if (b.kind !== 'wait' || b.timerId !== event.id) return false;
      removePending(ctx.state, event.id);
      t.block = undefined;
      const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
      try {
        const effective = applyIo(s.inputPath, t.input, context, ctx);
        finishState(ctx, f, s, applyIo(s.outputPath, effective, context, ctx));
      } catch (error) {
        if (error instanceof ExecutionAbort) throw error;
        const e = toError(error);
        failState(ctx, f, s, e.error, e.cause);
      }
      return true;
    }
    case 'retry':
      if (b.kind !== 'retry' || b.timerId !== event.id) return false;
      removePending(ctx.state, event.id);
      t.block = undefined;
      return true;
    case 'timeout':
    case 'heartbeat': {
      if (b.kind !== 'task') return false;
      const heartbeat = effect.reason === 'heartbeat';
      if ((heartbeat ? b.heartbeatId : b.timeoutId) !== event.id) return false;
      removePending(ctx.state, event.id);
      cancelThread(ctx, t);
      const error = heartbeat ? STATES_ERRORS.HeartbeatTimeout : STATES_ERRORS.Timeout;
      const cause = heartbeat
        ? `Task state '${s.name}' sent no heartbeat for ${b.heartbeatSeconds ?? 0} seconds`
        : `Task state '${s.name}' did not finish within ${b.timeoutSeconds ?? 0} seconds (TimeoutSeconds)`;
      record(ctx, 'TaskTimedOut', t.path, s.name, { error, cause });
      failState(ctx, f, s, error, cause);
      return true;
    }
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
  const ctx: Ctx = { graph, state, now, effects: [], history: historyOf(options), env: undefined };
  if (state.status !== 'RUNNING') return { state, effects: ctx.effects, history: NO_HISTORY };
  const pending = getPending(state, event.id);
  if (pending === undefined) return { state, effects: ctx.effects, history: NO_HISTORY };
  return run(ctx, () => {
    if (pending.effect.type === 'timer' && pending.effect.reason === 'execution-timeout') {
      if (event.type !== 'TimerFired') return;
      removePending(state, event.id);
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
