/**
 * What a state's expressions read besides its data: the variables in scope (`$name`) and, in a JSONata
 * state, `$states`; and Assign, which computes a state's new variables from the values they had when the
 * state was entered and hands them to `finishState`, which sets them as the state is left.
 *
 * Scopes: the top level is one scope; each Parallel branch and each Map iteration has its own, which
 * reads the scopes around it and writes only its own (the validator refuses an Assign in a branch to a
 * name an outer scope assigns, so an outer variable is read-only there).
 *
 * ```
 *   root.vars ── Parallel branch 0 .vars ── Map item 3 .vars      lookup: innermost first
 * ```
 */
import { STATES_ERRORS, StatesError } from '../errors.ts';
import type { StatesBinding } from '../expressions/index.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import type { CompiledAssign, CompiledState, Query } from './compiled.ts';
import { type Ctx, contextObject, envOf, type Frame, inField, NO_CONTEXT, variablesOf } from './ctx.ts';
import { jsonSize } from './payload-limit.ts';

/** Extra context of one evaluation: the Map item an ItemSelector shapes, a Task's token and key. */
export interface QueryExtra {
  readonly item?: { index: number; value: JsonValue };
  readonly task?: JsonObject;
}

/** Evaluates a JSONata field of state `s` with `$states` (its context added when the state reads it). */
export function runQuery(
  ctx: Ctx,
  f: Frame,
  s: CompiledState,
  q: Query,
  states: StatesBinding,
  extra?: QueryExtra,
): JsonValue {
  const bound: StatesBinding =
    s.usesContext || extra?.item !== undefined
      ? { ...states, context: contextObject(ctx, f.thread, s, contextExtra(extra)) }
      : states;
  return q({ states: bound, variables: variablesOf(f), env: envOf(ctx), now: ctx.now });
}

function contextExtra(extra: QueryExtra | undefined): Parameters<typeof contextObject>[3] {
  if (extra === undefined) return undefined;
  return {
    ...(extra.item === undefined ? {} : { item: extra.item }),
    ...(extra.task === undefined ? {} : { task: extra.task }),
  };
}

/** A JSONata field that must yield a non-negative number (Seconds, MaxConcurrency, ToleratedFailure*). */
export function queryCount(
  ctx: Ctx,
  f: Frame,
  s: CompiledState,
  q: Query,
  field: string,
  states: StatesBinding,
  integer: boolean,
  extra?: QueryExtra,
): number {
  const n = runQuery(ctx, f, s, q, states, extra);
  if (typeof n !== 'number' || n < 0 || (integer && !Number.isInteger(n))) {
    throw new StatesError(
      STATES_ERRORS.QueryEvaluationError,
      `An error occurred while executing the state '${s.name}'. The field '${field}' must be a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(n)}`,
    );
  }
  return n;
}

/** What an Assign reads: `$` in a JSONPath state, `$states` in a JSONata one. */
export interface AssignData {
  /** JSONPath: the result (Task, Parallel, Map, Pass), the effective input (Choice, Wait) or the error output (Catch). */
  readonly value: JsonValue;
  /** JSONata: `$states.input`, and `$states.result` / `$states.errorOutput` when the state has one. */
  readonly states: StatesBinding;
}

/**
 * The assignments of an Assign, computed from the variables at state entry, each variable and the whole
 * assignment held to the payload limit (States.DataLimitExceeded). Undefined when there is no Assign.
 */
export function assignments(
  ctx: Ctx,
  f: Frame,
  s: CompiledState,
  assign: CompiledAssign | undefined,
  data: AssignData,
): JsonObject | undefined {
  if (assign === undefined) return undefined;
  let values: JsonValue;
  if ('query' in assign) {
    values = runQuery(ctx, f, s, assign.query, data.states);
  } else {
    const context = s.usesContext ? contextObject(ctx, f.thread, s) : NO_CONTEXT;
    try {
      values = assign.path(data.value, context, envOf(ctx), variablesOf(f));
    } catch (error) {
      throw inField(error, 'Assign');
    }
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `Assign of state '${s.name}' must be an object of variables`,
    );
  }
  const limit = ctx.graph.maxPayloadBytes;
  let total = 0;
  for (const [name, value] of Object.entries(values)) {
    const size = jsonSize(value);
    if (size > limit) {
      throw new StatesError(
        STATES_ERRORS.DataLimitExceeded,
        `The variable '${name}' assigned by state '${s.name}' has ${size} bytes, above the limit of ${limit}`,
      );
    }
    total += size;
  }
  if (total > limit) {
    throw new StatesError(
      STATES_ERRORS.DataLimitExceeded,
      `The variables assigned by state '${s.name}' have ${total} bytes together, above the limit of ${limit}`,
    );
  }
  return values;
}
