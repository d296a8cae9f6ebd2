/**
 * One state run on its own, as Step Functions' TestState API runs it: an engine author gives a state of a
 * graph, its input, the variables and context object it sees, and (optionally) what its work answers (a
 * mocked result or error), and gets back what the state does with them: its output, the next state, the
 * error it raised and whether a Retrier or Catcher handled it, the variables it assigned, and the data at
 * each step of its data flow (TestState's inspectionLevel DEBUG).
 *
 * It runs the state with the interpreter's own code, in a machine where the state stands alone: every
 * other state of its machine is replaced by a stand-in that ends the run when entered, so the state's
 * transition is observed and nothing after it runs.
 *
 * ```
 *   input, variables, context ──> [ the state ] ──> output, next state ──> stand-in (run ends)
 *                                     │  work: mocked, or invoked (Task), or run (Map / Parallel items)
 *                                     └──> Retrier matches: RETRIABLE   Catcher: CAUGHT_ERROR   else FAILED
 * ```
 *
 * The status follows TestState: SUCCEEDED (the state left normally), CAUGHT_ERROR (a Catcher took the
 * error; the next state is its Next), RETRIABLE (a Retrier has attempts left; the next state is the state
 * itself), FAILED (nothing handled the error).
 */

import { InputError } from '../../errors.ts';
import { errorMatches } from '../errors.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../types.ts';
import { advance } from './advance.ts';
import { stateError } from './causes.ts';
import type { Clock } from './clock.ts';
import type { CompiledGraph, CompiledMachine, CompiledState, CompiledSucceed } from './compiled.ts';
import { applyIo, type Ctx, contextObject, ExecutionAbort, evaluate, type Frame, NO_CONTEXT } from './ctx.ts';
import type { HistoryEvent } from './history.ts';
import { SizeBounds } from './payload-limit.ts';
import { PendingIndex } from './pending.ts';
import { succeedWithResult } from './result.ts';
import { failState } from './retry-catch.ts';
import { type InvokeOutcome, type RunResult, type RuntimeDeps, runExecution } from './runtime.ts';
import type { ExecutionContext, ExecutionState, ThreadState } from './state.ts';
import { enter, newThread } from './threads.ts';

/** What the state's work answers instead of running: a Task's invoke, or a Map's or Parallel's iterations. */
export type StateTestMock =
  | { readonly ok: true; readonly output: JsonValue }
  | { readonly ok: false; readonly error: string; readonly cause: string };

/** What a single-state run is given (TestState's request). */
export interface StateTest {
  /** The state to run, wherever it sits (inside Parallel branches and Map item processors too). */
  readonly stateName: string;
  readonly input: JsonValue;
  /** The variables in scope when the state is entered. */
  readonly variables?: Readonly<Record<string, JsonValue>>;
  /**
   * A context object, or part of one (`Execution`, `State`, `StateMachine`, `Map`, `Task`), laid over the
   * one the runtime builds. `Execution.Id` also keys the state's invokes.
   */
  readonly context?: JsonObject;
  /**
   * Retries already made by the Retrier that matches the state's error (TestState's `retrierRetryCount`);
   * also `$$.State.RetryCount`. Defaults to the context's `State.RetryCount`, else 0.
   */
  readonly retrierRetryCount?: number;
  /** The Map iteration the state runs in: `$$.Map.Item.Index` and `Value`. */
  readonly mapItem?: { readonly index: number; readonly value: JsonValue };
  /** The state's work answered without running it (Task, Map and Parallel states). */
  readonly mock?: StateTestMock;
}

/** How the state ended (TestState's status). */
export type StateTestStatus = 'SUCCEEDED' | 'FAILED' | 'RETRIABLE' | 'CAUGHT_ERROR';

/**
 * The data at each step of the state's data flow, with TestState's field names; a field is present when
 * the state has that step and got that far. Values are JSON, not JSON text.
 */
export interface StateInspection {
  /** The raw state input. */
  input: JsonValue;
  afterInputPath?: JsonValue;
  afterParameters?: JsonValue;
  /** JSONata: the input after Arguments (what a Task invokes its resource with). */
  afterArguments?: JsonValue;
  /** The raw result of the work (the invoke's answer, the iterations' outputs, a Pass state's Result). */
  result?: JsonValue;
  afterResultSelector?: JsonValue;
  afterResultPath?: JsonValue;
  /** The variables in scope once the state has left (the given ones with its assignments). */
  variables: Record<string, JsonValue>;
  /** What the state's (or its Catcher's, or its Choice rule's) Assign set. */
  assignedVariables?: Record<string, JsonValue>;
  /** Which Retrier (with its back-off) or Catcher handled the error. */
  errorDetails?: { retryIndex?: number; retryBackoffIntervalSeconds?: number; catchIndex?: number };
}

/** The data-flow steps of the inspection, gathered as the state runs. */
type DataFlow = Omit<StateInspection, 'variables' | 'assignedVariables' | 'errorDetails'>;

/** What the state did. */
export interface StateTestResult {
  status: StateTestStatus;
  /** The state's output (SUCCEEDED), or the Catcher's (CAUGHT_ERROR). */
  output?: JsonValue;
  /** Absent when the state ends its machine or failed. */
  nextState?: string;
  error?: string;
  cause?: string;
  inspectionData: StateInspection;
  /** The history events of the state. */
  history: HistoryEvent[];
}

/** What a single-state run needs: the invoker of the state's work when it is not mocked, and a clock. */
export interface StateTestDeps {
  readonly invoke: RuntimeDeps['invoke'];
  readonly clock: Clock;
}

/** A state that cannot be run on its own as asked (no such state, or it waits for a task token). */
export class StateTestError extends InputError {
  override readonly name = 'StateTestError';
}

/** The machine (top level, branch or item processor) holding the state of that name. */
function locateState(
  machine: CompiledMachine,
  name: string,
): { state: CompiledState; machine: CompiledMachine } | undefined {
  const state = machine.states.get(name);
  if (state !== undefined) return { state, machine };
  for (const s of machine.states.values()) {
    const inner = s.type === 'Parallel' ? s.branches : s.type === 'Map' ? [s.processor] : [];
    for (const sub of inner) {
      const found = locateState(sub, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Every state name of a machine and the machines inside it, for the error naming a missing state. */
function stateNames(machine: CompiledMachine, into: string[] = []): string[] {
  for (const s of machine.states.values()) {
    into.push(s.name);
    if (s.type === 'Parallel') for (const b of s.branches) stateNames(b, into);
    if (s.type === 'Map') stateNames(s.processor, into);
  }
  return into;
}

/** A stand-in for a state the tested one may go to: entering it ends the run with its input. */
function standIn(name: string, of: CompiledState): CompiledSucceed {
  return {
    name,
    type: 'Succeed',
    next: undefined,
    end: true,
    inputPath: undefined,
    outputPath: undefined,
    usesContext: false,
    jsonata: false,
    output: undefined,
    assign: undefined,
    entered: of.entered,
    exited: 'SucceedStateExited',
  };
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The execution identity and the context overlay of the test. */
function executionContext(graph: CompiledGraph, test: StateTest, now: number): ExecutionContext {
  const given = test.context ?? {};
  const execution = isJsonObject(given.Execution) ? given.Execution : {};
  const machine = isJsonObject(given.StateMachine) ? given.StateMachine : {};
  const executionId = text(execution.Id) ?? 'state-test';
  const started = text(execution.StartTime);
  const context: ExecutionContext = {
    executionId,
    name: text(execution.Name) ?? executionId,
    startTime: started === undefined || Number.isNaN(Date.parse(started)) ? now : Date.parse(started),
    input: execution.Input ?? test.input,
    stateMachineName: text(machine.Name) ?? graph.stateMachineName,
    stateMachineId: text(machine.Id) ?? text(machine.Name) ?? graph.stateMachineId,
  };
  const roleArn = text(execution.RoleArn);
  if (roleArn !== undefined) context.roleArn = roleArn;
  const overlay: JsonObject = { ...given };
  if (test.mapItem !== undefined) {
    const map = isJsonObject(given.Map) ? given.Map : {};
    overlay.Map = { ...map, Item: { Index: test.mapItem.index, Value: test.mapItem.value } };
  }
  if (Object.keys(overlay).length > 0) context.contextOverlay = overlay;
  return context;
}

/** Evaluates `compute`, or gives undefined when it throws: inspection values never fail the test. */
function attempt(compute: () => JsonValue): JsonValue | undefined {
  try {
    return compute();
  } catch {
    return undefined;
  }
}

/** The Map or Parallel state's iterations answered by the mock: its result, or its error. */
function mockedWork(ctx: Ctx, f: Frame, s: CompiledState, mock: StateTestMock): void {
  if (s.type !== 'Map' && s.type !== 'Parallel') return;
  try {
    // The effective input is still computed, so an InputPath that finds nothing fails as it would.
    if (!s.jsonata) {
      const context = s.usesContext ? contextObject(ctx, f.thread, s) : NO_CONTEXT;
      applyIo(s.inputPath, f.thread.input, context, ctx, 'InputPath', f);
    }
  } catch (error) {
    if (error instanceof ExecutionAbort) throw error;
    const e = stateError(f, s, error);
    failState(ctx, f, s, e.error, e.cause);
    return;
  }
  if (mock.ok) succeedWithResult(ctx, f, s, mock.output);
  else failState(ctx, f, s, mock.error, mock.cause);
}

/** The last event of `type` for the tested state at the top level. */
function lastEvent(history: readonly HistoryEvent[], type: string, name: string): HistoryEvent | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i] as HistoryEvent;
    if (h.type === type && h.stateName === name && h.thread === '') return h;
  }
  return undefined;
}

/** The JSONPath data flow steps the history does not hold, from the state's own expressions. */
function jsonPathSteps(ctx: Ctx, frame: Frame, s: CompiledState, context: JsonValue, into: DataFlow): void {
  const input = frame.thread.input;
  const effective = attempt(() => applyIo(s.inputPath, input, context, ctx, 'InputPath', frame));
  if (s.inputPath !== undefined && effective !== undefined) into.afterInputPath = effective;
  if (effective === undefined) return;
  if ((s.type === 'Pass' || s.type === 'Parallel') && s.parameters !== undefined) {
    const parameters = s.parameters;
    const shaped = attempt(() => evaluate(ctx, frame, 'Parameters', parameters, effective, context));
    if (shaped !== undefined) into.afterParameters = shaped;
  }
  if (s.type === 'Pass') into.result = s.result ?? into.afterParameters ?? effective;
}

/** ResultSelector and ResultPath applied to the result, as the state applied them. */
function resultSteps(ctx: Ctx, frame: Frame, s: CompiledState, context: JsonValue, into: DataFlow): void {
  const result = into.result;
  if (result === undefined || s.jsonata) return;
  if (s.type !== 'Task' && s.type !== 'Pass' && s.type !== 'Map' && s.type !== 'Parallel') return;
  let selected: JsonValue | undefined = result;
  if (s.type !== 'Pass' && s.resultSelector !== undefined) {
    const selector = s.resultSelector;
    selected = attempt(() => evaluate(ctx, frame, 'ResultSelector', selector, result, context));
    if (selected !== undefined) into.afterResultSelector = selected;
  }
  if (selected !== undefined) {
    const merge = s.resultPath;
    const kept = selected;
    const merged = attempt(() => merge(frame.thread.input, kept));
    if (merged !== undefined) into.afterResultPath = merged;
  }
}

/** The history event that carries the raw result of a state's work. */
const RESULT_EVENT: Partial<Record<CompiledState['type'], string>> = {
  Task: 'TaskSucceeded',
  Map: 'MapStateSucceeded',
  Parallel: 'ParallelStateSucceeded',
};

/**
 * The graph with the tested state standing alone in its machine: the state under a key of its own (so a
 * transition back to its own name reaches a stand-in rather than running it again), every other state of
 * its machine a stand-in.
 */
function standAlone(
  graph: CompiledGraph,
  s: CompiledState,
  machine: CompiledMachine,
): { single: CompiledGraph; key: string } {
  const key = `${s.name}\u0000`;
  const states = new Map<string, CompiledState>([[key, s]]);
  for (const [name, other] of machine.states) states.set(name, standIn(name, other));
  return { single: { ...graph, root: { startAt: key, states }, timeoutSeconds: undefined }, key };
}

/**
 * A new execution state whose one thread has entered the tested state with the test's input, variables,
 * context and retry count. Returns the working set, the thread's frame and the retries each Retrier had
 * made before the state ran (to tell which one takes its error).
 */
function enterState(
  graph: CompiledGraph,
  single: CompiledGraph,
  key: string,
  s: CompiledState,
  test: StateTest,
  now: number,
): { ctx: Ctx; frame: Frame; retriesBefore: number[] } {
  const state: ExecutionState = {
    format: 1,
    context: executionContext(graph, test, now),
    status: 'RUNNING',
    transitions: 0,
    events: 0,
    draws: 0,
    root: newThread('', '', now),
    pending: [],
  };
  const ctx: Ctx = {
    graph: single,
    state,
    now,
    effects: [],
    history: [],
    env: undefined,
    sizes: new SizeBounds(),
    pendingIndex: new PendingIndex(),
    advance,
  };
  const t = state.root;
  const frame: Frame = { thread: t, machine: single.root, loc: [], parent: undefined };
  enter(ctx, frame, key, test.input);
  if (test.variables !== undefined) t.vars = { ...test.variables };
  const given = isJsonObject(test.context?.State) ? test.context.State : {};
  const entered = text(given.EnteredTime);
  if (entered !== undefined && !Number.isNaN(Date.parse(entered))) t.enteredAt = Date.parse(entered);
  const retryCount = test.retrierRetryCount ?? (typeof given.RetryCount === 'number' ? given.RetryCount : 0);
  const retriers = s.type === 'Task' || s.type === 'Parallel' || s.type === 'Map' ? s.retry : [];
  if (retryCount > 0) {
    t.attempt = retryCount;
    if (retriers.length > 0) t.retries = retriers.map(() => retryCount);
  }
  return { ctx, frame, retriesBefore: [...(t.retries ?? retriers.map(() => 0))] };
}

/**
 * Performs the work the state waits on (its invoke, a Wait timer, Map items or Parallel branches) with
 * the runtime, stopping at a retry (a Retrier took the error) or when the state is left; returns the
 * history it made. The state's own invoke is answered by the mock when there is one.
 */
async function performWork(
  single: CompiledGraph,
  state: ExecutionState,
  s: CompiledState,
  mock: StateTestMock | undefined,
  deps: StateTestDeps,
): Promise<HistoryEvent[]> {
  const stop = new AbortController();
  const run: RunResult = await runExecution(single, state, {
    invoke: (effect, signal) =>
      mock !== undefined && effect.stateName === s.name && effect.id.startsWith(`${s.name}#`)
        ? Promise.resolve<InvokeOutcome>(mock)
        : deps.invoke(effect, signal),
    clock: deps.clock,
    maxInProcessWaitMs: Number.POSITIVE_INFINITY,
    signal: stop.signal,
    onStep: (step) => {
      if (step.state.root.block?.kind === 'retry') stop.abort();
    },
  });
  if (run.status === 'WAITING' && run.waitingFor === 'callback') {
    throw new StateTestError(
      `state '${s.name}' waits for a task token, which a single-state run cannot receive: mock its result or error`,
    );
  }
  const t = state.root;
  if (run.status === 'FAILED' && t.end === undefined) {
    t.end = { status: 'FAILED', error: run.error ?? '', cause: run.cause ?? '' };
  }
  return run.history;
}

/** How the state ended, read from its history and its thread. */
interface Outcome {
  status: StateTestStatus;
  /** nextState, output, error, cause: the fields a result shows, in TestState's order. */
  shown: Pick<StateTestResult, 'nextState' | 'output' | 'error' | 'cause'>;
  assigned: Record<string, JsonValue> | undefined;
  errorDetails: StateInspection['errorDetails'];
  /** The state's events, up to the next state's entry. */
  history: HistoryEvent[];
}

function outcomeOf(
  s: CompiledState,
  t: ThreadState,
  events: HistoryEvent[],
  retriesBefore: readonly number[],
): Outcome {
  if (t.block?.kind === 'retry') {
    const retry = lastEvent(events, 'TaskRetry', s.name);
    const index = (t.retries ?? []).findIndex((n, i) => n > (retriesBefore[i] ?? 0));
    const backoff = retry?.details?.dueAt === undefined ? 0 : (retry.details.dueAt - retry.timestamp) / 1000;
    return {
      status: 'RETRIABLE',
      shown: { nextState: s.name, error: retry?.details?.error ?? '', cause: retry?.details?.cause ?? '' },
      assigned: undefined,
      errorDetails: { retryIndex: index, retryBackoffIntervalSeconds: backoff },
      history: events,
    };
  }
  const exited = lastEvent(events, s.exited, s.name);
  if (exited === undefined) {
    const end = t.end;
    const shown = end?.status === 'FAILED' ? { error: end.error, cause: end.cause } : {};
    return { status: 'FAILED', shown, assigned: undefined, errorDetails: undefined, history: events };
  }
  const details = exited.details ?? {};
  const after = events.slice(events.indexOf(exited) + 1);
  const next = after.find((h) => h.thread === '' && h.type.endsWith('StateEntered'));
  const shown: Outcome['shown'] = {};
  if (next?.stateName !== undefined) shown.nextState = next.stateName;
  if (details.output !== undefined) shown.output = details.output;
  const history = next === undefined ? events : events.slice(0, events.indexOf(next) + 1);
  const error = details.error;
  if (error === undefined) {
    return {
      status: 'SUCCEEDED',
      shown,
      assigned: details.assignedVariables,
      errorDetails: undefined,
      history,
    };
  }
  shown.error = error;
  shown.cause = details.cause ?? '';
  const catchers = s.type === 'Task' || s.type === 'Parallel' || s.type === 'Map' ? s.catch : [];
  return {
    status: 'CAUGHT_ERROR',
    shown,
    assigned: details.assignedVariables,
    errorDetails: { catchIndex: catchers.findIndex((c) => errorMatches(error, c.errorEquals, false)) },
    history,
  };
}

/**
 * Runs one state of a compiled graph on its own and reports what it did.
 *
 * @example
 * const result = await testState(compiled, {
 *   stateName: 'Charge',
 *   input: { order: 7 },
 *   variables: { customer: 'c-1' },
 *   mock: { ok: false, error: 'Payment.Declined', cause: 'card expired' },
 *   retrierRetryCount: 2,
 * }, { invoke, clock: new VirtualClock(Date.now()) });
 * // { status: 'CAUGHT_ERROR', nextState: 'Refuse', inspectionData: { errorDetails: { catchIndex: 0 } } ... }
 */
export async function testState(
  graph: CompiledGraph,
  test: StateTest,
  deps: StateTestDeps,
): Promise<StateTestResult> {
  const found = locateState(graph.root, test.stateName);
  if (found === undefined) {
    throw new StateTestError(
      `the graph has no state named '${test.stateName}' (states: ${stateNames(graph.root)
        .map((n) => `'${n}'`)
        .join(', ')})`,
    );
  }
  const s = found.state;
  const { single, key } = standAlone(graph, s, found.machine);
  const { ctx, frame, retriesBefore } = enterState(graph, single, key, s, test, deps.clock.now());
  const t = frame.thread;
  const history = ctx.history ?? [];
  const variables: Record<string, JsonValue> = { ...test.variables };

  // What the state's expressions read as it is entered: the inspection recomputes with the same.
  const entry: ThreadState = { ...t, visits: { ...t.visits } };
  const entryFrame: Frame = { ...frame, thread: entry };
  const context = s.usesContext && !s.jsonata ? contextObject(ctx, entry, s) : NO_CONTEXT;
  const flow: DataFlow = { input: test.input };
  if (!s.jsonata) jsonPathSteps(ctx, entryFrame, s, context, flow);

  try {
    if (test.mock !== undefined && (s.type === 'Map' || s.type === 'Parallel')) {
      mockedWork(ctx, frame, s, test.mock);
    }
    advance(ctx, frame);
  } catch (error) {
    if (!(error instanceof ExecutionAbort)) throw error;
    t.end = { status: 'FAILED', error: error.error, cause: error.cause };
  }
  if (t.end === undefined && t.block !== undefined && t.block.kind !== 'retry') {
    history.push(...(await performWork(single, ctx.state, s, test.mock, deps)));
  }

  const events = history.map((h) => (h.stateName === key ? { ...h, stateName: s.name } : h));
  const scheduled = s.type === 'Task' ? lastEvent(events, 'TaskScheduled', s.name) : undefined;
  if (scheduled?.details?.input !== undefined) {
    if (s.jsonata) flow.afterArguments = scheduled.details.input;
    else flow.afterParameters = scheduled.details.input;
  }
  const succeeded = RESULT_EVENT[s.type];
  const worked = succeeded === undefined ? undefined : lastEvent(events, succeeded, s.name);
  if (test.mock?.ok === true && (s.type === 'Map' || s.type === 'Parallel')) flow.result = test.mock.output;
  else if (worked?.details?.output !== undefined) flow.result = worked.details.output;
  resultSteps(ctx, entryFrame, s, context, flow);

  const outcome = outcomeOf(s, t, events, retriesBefore);
  const { assigned, errorDetails, shown } = outcome;
  const inspectionData: StateInspection = {
    ...flow,
    variables: assigned === undefined ? variables : { ...variables, ...assigned },
  };
  if (assigned !== undefined) inspectionData.assignedVariables = assigned;
  if (errorDetails !== undefined) inspectionData.errorDetails = errorDetails;
  return { status: outcome.status, ...shown, inspectionData, history: outcome.history };
}
