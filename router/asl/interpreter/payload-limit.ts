/**
 * The payload limit (`maxPayloadBytes`, 256 KiB by default): every state's input, result and output is
 * held to it as it is produced, and a larger one fails with States.DataLimitExceeded. A check costs at
 * most a walk of the value up to the limit, never more, however the value was built (values share
 * subtrees, so a small graph can build a value whose JSON is exponentially large).
 *
 * ```
 *   known bound <= limit ──> pass, no walk
 *   sizeBound walk, stopped past the limit ──> <= limit: pass
 *   exact size walk, stopped past the limit ──> <= limit: pass with the exact size; else DataLimitExceeded
 * ```
 *
 * The bounds a run learns are kept in a {@link SizeBounds} the run owns, never in the execution state.
 */
import { STATES_ERRORS, StatesError } from '../errors.ts';
import type { JsonValue } from '../types.ts';
import type { ThreadState } from './state.ts';

/** Arrays at least this long have their bound remembered (shorter ones cost less to walk than to look up). */
const REMEMBERED_ARRAY_LENGTH = 4;

/** A thread's latest value and a bound of its size. */
interface Carried {
  value: JsonValue;
  bound: number;
}

/**
 * What one run has learnt of its values' sizes, so the payload limit walks a value once rather than once
 * per state: the bound of each thread's latest value (its input, then what it produced), and the bounds
 * of arrays already walked (new values built by Parameters or ResultSelector share the arrays of the values
 * they came from, and arrays hold most of a payload's nodes). States never mutate a value they produced,
 * so a bound stays true for the run. Held by the run and handed to each transition
 * (`TransitionOptions.sizes`), so the execution state stays exactly what it serialises to; a run resumed
 * from a checkpoint starts with none and walks each value once.
 */
export class SizeBounds {
  private threads: WeakMap<ThreadState, Carried> | undefined;
  private arrays: WeakMap<readonly JsonValue[], number> | undefined;
  /** The thread asked about last, and what it carries: most runs have one thread, spared the lookup. */
  private lastThread: ThreadState | undefined;
  private lastCarried: Carried | undefined;

  /** The bound known of the thread's value, or NaN when `value` is not the one it carries. */
  of(t: ThreadState, value: JsonValue): number {
    const carried = t === this.lastThread ? this.lastCarried : this.threads?.get(t);
    return carried !== undefined && carried.value === value ? carried.bound : Number.NaN;
  }

  /** Makes `value` the thread's latest value with that bound (NaN: unknown, nothing is kept). */
  carry(t: ThreadState, value: JsonValue, bound: number): void {
    if (!Number.isFinite(bound)) return;
    let carried = t === this.lastThread ? this.lastCarried : this.threads?.get(t);
    if (carried === undefined) {
      carried = { value, bound };
      if (this.threads === undefined) this.threads = new WeakMap();
      this.threads.set(t, carried);
    } else {
      carried.value = value;
      carried.bound = bound;
    }
    this.lastThread = t;
    this.lastCarried = carried;
  }

  /** {@link sizeBound}, remembering the bounds of long arrays for the rest of the run. */
  bound(value: JsonValue, budget: number): number {
    return walkBound(value, budget, this);
  }

  /** The remembered bound of an array, if any. */
  knownArray(array: readonly JsonValue[]): number | undefined {
    return this.arrays?.get(array);
  }

  /** Remembers the bound of a fully walked array. */
  rememberArray(array: readonly JsonValue[], bound: number): void {
    if (this.arrays === undefined) this.arrays = new WeakMap();
    this.arrays.set(array, bound);
  }
}

/**
 * The longest JSON a number writes: a sign, `0.00000` and 17 significant digits
 * (`-0.0000010360000000000001`); exponent forms and large integers are shorter.
 */
const MAX_NUMBER_BYTES = 25;

function walkBound(value: JsonValue, budget: number, memo: SizeBounds | undefined): number {
  if (typeof value === 'string') return value.length * 6 + 2;
  if (typeof value !== 'object' || value === null) return MAX_NUMBER_BYTES;
  let total = 2;
  if (Array.isArray(value)) {
    const remember = memo !== undefined && value.length >= REMEMBERED_ARRAY_LENGTH;
    if (remember) {
      const known = memo.knownArray(value);
      if (known !== undefined) return known;
    }
    for (const item of value) {
      total += walkBound(item, budget - total, memo) + 1;
      if (total > budget) return total;
    }
    if (remember) memo.rememberArray(value, total);
    return total;
  }
  for (const key in value) {
    total += key.length * 6 + 4 + walkBound(value[key] as JsonValue, budget - total, memo);
    if (total > budget) return total;
  }
  return total;
}

/**
 * An upper bound of a value's UTF-8 JSON size, walking no further than `budget` (past it, the partial sum
 * is returned): a string unit is at most 6 bytes (`\u0000` escapes), a number at most 25. Each node it
 * visits adds at least a byte, so it visits at most `budget` nodes; it reads no string's content.
 */
export function sizeBound(value: JsonValue, budget = Number.POSITIVE_INFINITY): number {
  return walkBound(value, budget, undefined);
}

/**
 * How much larger than its JSON text a parsed value's {@link sizeBound} can be: a number token of one byte
 * counts {@link MAX_NUMBER_BYTES}, and strings, keys and literals count at most 6 per byte of their text.
 */
export const PARSED_GROWTH = MAX_NUMBER_BYTES;

/** UTF-8 bytes of a string as `JSON.stringify` writes it, quotes included; stops once past `budget`. */
function stringSize(text: string, budget: number): number {
  let total = text.length + 2;
  if (total > budget) return total;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) total += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5;
    else if (c === 0x22 || c === 0x5c) total += 1;
    else if (c < 0x80) continue;
    else if (c < 0x800) total += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        total += 2;
        i++;
      } else total += 5;
    } else if (c >= 0xdc00 && c <= 0xdfff) total += 5;
    else total += 2;
    if (total > budget) return total;
  }
  return total;
}

/**
 * The UTF-8 size of `JSON.stringify(value)`, walking no further than `budget`: past it, the partial sum
 * (more than `budget`) is returned. Its cost is bounded by `budget` whatever the value, so it decides
 * a value the cheaper {@link sizeBound} could not, without serialising a value that may be huge.
 */
export function jsonSize(value: JsonValue, budget = Number.POSITIVE_INFINITY): number {
  if (typeof value === 'string') return stringSize(value, budget);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4;
  if (typeof value === 'boolean') return value ? 4 : 5;
  if (value === null) return 4;
  let total = 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (i > 0) total += 1;
      total += jsonSize(value[i] as JsonValue, budget - total);
      if (total > budget) return total;
    }
    return total;
  }
  let first = true;
  for (const key in value) {
    const item = value[key];
    if (item === undefined) continue;
    if (!first) total += 1;
    first = false;
    total += stringSize(key, budget - total) + 1;
    if (total > budget) return total;
    total += jsonSize(item, budget - total);
    if (total > budget) return total;
  }
  return total;
}

/** What a check needs of the transition call: the graph's limit and the run's bounds. */
interface Limited {
  readonly graph: { readonly maxPayloadBytes: number };
  readonly sizes: SizeBounds;
}

/**
 * Holds a value to the graph's payload limit: States.DataLimitExceeded naming it (`what`, and the state
 * when given) above the limit; else a bound of its size (NaN when the graph sets no limit). A `known`
 * bound within the limit spares the walk.
 */
export function checkSize(
  ctx: Limited,
  value: JsonValue,
  what: string,
  stateName: string | undefined,
  known = Number.NaN,
): number {
  const limit = ctx.graph.maxPayloadBytes;
  if (!Number.isFinite(limit)) return Number.NaN;
  if (known <= limit) return known;
  const bound = ctx.sizes.bound(value, limit);
  if (bound <= limit) return bound;
  const size = jsonSize(value, limit);
  if (size <= limit) return size;
  const name = stateName === undefined ? what : `${what} '${stateName}'`;
  throw new StatesError(
    STATES_ERRORS.DataLimitExceeded,
    `${name} is at least ${size} bytes, above the limit of ${limit} bytes (maxPayloadBytes)`,
  );
}

/**
 * Holds a state's output to the limit and makes it the thread's carried value. An output that is the
 * state's own input passes at once: every input was held when it was produced.
 */
export function holdOutput(
  ctx: Limited,
  t: ThreadState,
  stateName: string,
  output: JsonValue,
  known: number,
): void {
  if (output === t.input) return;
  ctx.sizes.carry(t, output, checkSize(ctx, output, 'The output of state', stateName, known));
}
