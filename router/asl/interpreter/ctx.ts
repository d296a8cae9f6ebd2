/**
 * The working set of one transition call (graph, execution state, clock reading, effects and history
 * being collected) and the few things every state type uses with it: the history recorder, the context
 * object `$$`, InputPath / OutputPath, and how an error becomes a spec error name and cause.
 */
import { isoTime } from '../../time.ts';
import { STATES_ERRORS, StatesError } from '../errors.ts';
import type { IntrinsicEnv } from '../expressions/intrinsics.ts';
import type { Variables } from '../expressions/paths.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../types.ts';
import type { CompiledGraph, CompiledMachine, CompiledState, Evaluate } from './compiled.ts';
import type { HistoryDetails, HistoryEvent, HistoryEventType } from './history.ts';
import type { SizeBounds } from './payload-limit.ts';
import type { PendingIndex } from './pending.ts';
import { executionEnv } from './random.ts';
import type { Effect, ExecutionState, ThreadState } from './state.ts';

/** A thread with the machine its states belong to and its location from the root. */
export interface Frame {
  readonly thread: ThreadState;
  readonly machine: CompiledMachine;
  readonly loc: number[];
  /** The frame of the Parallel / Map whose branch or item this thread is; undefined at the root. */
  readonly parent: Frame | undefined;
}

/** Runs a thread until it is blocked or ends. */
export type Advance = (ctx: Ctx, f: Frame) => void;

/** Working set of one call. */
export interface Ctx {
  readonly graph: CompiledGraph;
  readonly state: ExecutionState;
  readonly now: number;
  readonly effects: Effect[];
  /** Undefined when no history is kept. */
  readonly history: HistoryEvent[] | undefined;
  env: IntrinsicEnv | undefined;
  /** The sizes the run knows of its values, for the payload limit. */
  readonly sizes: SizeBounds;
  /** Finds, records and forgets the state's pending invokes and timers. */
  readonly pendingIndex: PendingIndex;
  /**
   * The dispatcher that runs a thread's states: Parallel and Map start their child threads with it, so
   * the state-type modules need not import the dispatcher that imports them.
   */
  readonly advance: Advance;
}

/** Ends the whole execution at once (transition limit, execution timeout). */
export class ExecutionAbort {
  constructor(
    readonly error: string,
    readonly cause: string,
    readonly timedOut = false,
  ) {}
}

/** The context object of a state whose expressions do not read `$$`. */
export const NO_CONTEXT: JsonValue = {};
const EMPTY: JsonObject = {};

/** The intrinsic environment (MathRandom, UUID) of the execution, made on first use. */
export function envOf(ctx: Ctx): IntrinsicEnv {
  if (ctx.env === undefined) ctx.env = executionEnv(ctx.state);
  return ctx.env;
}

/** Counts a history event, and keeps it when the call keeps history. */
export function record(
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

/** The compiled state of that name; a graph that names a missing state was not validated. */
export function stateOf(machine: CompiledMachine, name: string): CompiledState {
  const state = machine.states.get(name);
  if (state === undefined) throw new Error(`the graph has no state named '${name}' (was it validated?)`);
  return state;
}

/** The context object `$$` for a state, built only for states whose expressions read it. */
export function contextObject(
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
    RoleArn: x.roleArn ?? ctx.graph.roleArn,
    StartTime: isoTime(x.startTime),
    RedriveCount: x.redriveCount ?? 0,
  };
  if (x.redriveTime !== undefined) execution.RedriveTime = isoTime(x.redriveTime);
  const context: JsonObject = {
    Execution: execution,
    State: { Name: s.name, EnteredTime: isoTime(t.enteredAt), RetryCount: t.attempt },
    StateMachine: { Id: x.stateMachineId, Name: x.stateMachineName },
  };
  if (x.contextOverlay !== undefined) overlay(context, x.contextOverlay);
  if (extra?.task !== undefined) context.Task = extra.task;
  if (extra?.item !== undefined) context.Map = { Item: { Index: extra.item.index, Value: extra.item.value } };
  return context;
}

/** Lays `fields` over `context`: an object over an object merges one level deep, anything else replaces. */
function overlay(context: JsonObject, fields: JsonObject): void {
  for (const [key, value] of Object.entries(fields)) {
    const under = context[key];
    context[key] = isJsonObject(value) && isJsonObject(under) ? { ...under, ...value } : value;
  }
}

/**
 * An error raised by the expression of a state's field (`Parameters`, `ItemsPath`, `Choices[2]`...):
 * the same name and cause, with the field, so the cause of a path that found nothing can name it.
 */
export class FieldError extends StatesError {
  constructor(
    error: StatesError,
    readonly field: string,
  ) {
    super(error.name, error.cause, {
      ...(error.specError === undefined ? {} : { specError: error.specError }),
      ...(error.miss === undefined ? {} : { miss: error.miss }),
    });
  }
}

/** Tags a path that found nothing with the field it sits in; any other error passes as it is. */
export function inField(error: unknown, field: string): unknown {
  if (!(error instanceof StatesError) || error.miss === undefined || error instanceof FieldError)
    return error;
  return new FieldError(error, field);
}

const NO_VARIABLES: Variables = Object.freeze({});

/** The variables a frame's states read: its own scope over its parents' (see `query.ts`). */
export function variablesOf(f: Frame): Variables {
  if (f.parent === undefined) return f.thread.vars ?? NO_VARIABLES;
  const chain: Variables[] = [];
  for (let frame: Frame | undefined = f; frame !== undefined; frame = frame.parent) {
    const own = frame.thread.vars;
    if (own !== undefined) chain.push(own);
  }
  if (chain.length === 0) return NO_VARIABLES;
  if (chain.length === 1) return chain[0] as Variables;
  return Object.assign({}, ...chain.reverse()) as Variables;
}

/**
 * Evaluates the expression of a state's field (a path, template or intrinsic) against `$`, `$$` and the
 * variables of frame `f`.
 */
export function evaluate(
  ctx: Ctx,
  f: Frame,
  field: string,
  expression: Evaluate,
  input: JsonValue,
  context: JsonValue,
): JsonValue {
  try {
    return expression(input, context, envOf(ctx), variablesOf(f));
  } catch (error) {
    throw inField(error, field);
  }
}

/** What a numeric field's path may select, and how a cause names it. */
export interface NumberRule {
  readonly accepts: (n: number) => boolean;
  /** e.g. `a positive integer`. */
  readonly expected: string;
}

/**
 * A numeric field given either as a literal or as a path (`TimeoutSecondsPath`, `MaxConcurrencyPath`,
 * ...): the literal as it is, the path's selection checked against `rule` (States.Runtime otherwise).
 */
export function numberField(
  ctx: Ctx,
  f: Frame,
  value: number | Evaluate | undefined,
  field: string,
  rule: NumberRule,
  effective: JsonValue,
  context: JsonValue,
): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const n = evaluate(ctx, f, field, value, effective, context);
  if (typeof n !== 'number' || !rule.accepts(n)) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `${field} must select ${rule.expected}, got ${JSON.stringify(n)}`,
    );
  }
  return n;
}

/** InputPath / OutputPath (`field`): undefined is the identity, null the spec's empty object. */
export function applyIo(
  path: Evaluate | null | undefined,
  value: JsonValue,
  context: JsonValue,
  ctx: Ctx,
  field: 'InputPath' | 'OutputPath',
  f: Frame,
): JsonValue {
  if (path === undefined) return value;
  if (path === null) return EMPTY;
  return evaluate(ctx, f, field, path, value, context);
}

/** A thrown error as the spec's error name and cause (anything not a StatesError is States.Runtime). */
export function toError(error: unknown): { error: string; cause: string } {
  if (error instanceof StatesError) return { error: error.name, cause: error.cause };
  const message = error instanceof Error ? error.message : String(error);
  return { error: STATES_ERRORS.Runtime, cause: message };
}
