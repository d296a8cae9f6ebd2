/**
 * The payload limit (`maxPayloadBytes`, 256 KiB by default): States.DataLimitExceeded for a value whose
 * UTF-8 JSON is larger. Checked with a cheap upper bound of the size, carried from state to state so a
 * value is walked once rather than once per state.
 */
import { STATES_ERRORS, StatesError } from '../errors.ts';
import type { JsonValue } from '../types.ts';
import type { Ctx } from './ctx.ts';
import type { ThreadState } from './state.ts';

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

/** The bound the thread knows of `value`, or NaN. */
export function knownBound(t: ThreadState, value: JsonValue): number {
  const b = t as Bounded;
  return b[BOUND_OF] === value ? (b[BOUND] ?? Number.NaN) : Number.NaN;
}

/** Remembers a bound of the thread's latest value (a non-finite bound is not kept). */
export function setBound(t: ThreadState, value: JsonValue, bound: number): void {
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
export function checkSize(ctx: Ctx, value: JsonValue, what: string, known = Number.NaN): number {
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
