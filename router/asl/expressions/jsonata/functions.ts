/**
 * The functions Step Functions adds to JSONata (`$partition`, `$range`, `$hash`, `$random` with a seed,
 * `$uuid`, `$parse`) and the one it takes away (`$eval`). They are bound per evaluation, so `$random()`
 * and `$uuid()` draw from the execution's deterministic stream and a replayed execution repeats them.
 *
 * A function fails by throwing an error with a `code`, as the library's own functions do, so the
 * cause reads the same way: `threw an error during evaluation. <code>: <message>`.
 */
import { createHash } from 'node:crypto';
import { ARRAY_RANGE_LIMIT, HASH_ALGORITHMS, type IntrinsicEnv, seededRandom } from '../intrinsics.ts';

function fail(name: string, message: string): Error {
  return Object.assign(new Error(`$${name}: ${message}`), { code: 'States.QueryEvaluationError' });
}

function integer(name: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw fail(name, `the ${what} must be an integer, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

/** `$partition(array, size)`: the array in chunks of `size` (the last may be shorter). */
function partition(array: unknown, size: unknown): unknown[] {
  if (!Array.isArray(array)) throw fail('partition', 'the first argument must be an array');
  const n = integer('partition', 'chunk size', size);
  if (n <= 0) throw fail('partition', `the chunk size must be a positive integer, got ${n}`);
  const chunks: unknown[] = [];
  for (let k = 0; k < array.length; k += n) chunks.push(array.slice(k, k + n));
  return chunks;
}

/** `$range(start, end, step)`: integers from start to end inclusive, at most 1000 of them. */
function range(start: unknown, end: unknown, step: unknown): number[] {
  const from = integer('range', 'start', start);
  const to = integer('range', 'end', end);
  const by = integer('range', 'step', step);
  if (by === 0) throw fail('range', 'the step must not be 0');
  const count = Math.max(0, Math.floor((to - from) / by) + 1);
  if (count > ARRAY_RANGE_LIMIT) {
    throw fail('range', `the range would hold ${count} items; at most ${ARRAY_RANGE_LIMIT} are allowed`);
  }
  return Array.from({ length: count }, (_, k) => from + k * by);
}

/** `$hash(data, algorithm)`: the hex digest of a string (other data as its JSON text). */
function hash(data: unknown, algorithm: unknown): string {
  if (data === undefined) throw fail('hash', 'the data is missing');
  const name = typeof algorithm === 'string' ? HASH_ALGORITHMS[algorithm] : undefined;
  if (name === undefined) {
    throw fail(
      'hash',
      `unknown algorithm ${JSON.stringify(algorithm) ?? 'nothing'} (use one of ${Object.keys(HASH_ALGORITHMS).join(', ')})`,
    );
  }
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return createHash(name).update(text, 'utf8').digest('hex');
}

/** `$parse(text)`: a JSON string as data (Step Functions' replacement for `$eval`). */
function parse(text: unknown): unknown {
  if (typeof text !== 'string') throw fail('parse', 'the argument must be a JSON string');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw fail('parse', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A seed of any JSON value as a 32-bit integer, so `$random(seed)` takes numbers and strings alike. */
function seedOf(seed: unknown): number {
  if (typeof seed === 'number' && Number.isInteger(seed)) return seed | 0;
  return createHash('sha256')
    .update(JSON.stringify(seed) ?? '')
    .digest()
    .readInt32BE(0);
}

/**
 * The bindings that add Step Functions' functions to one evaluation, drawing randomness from `env`.
 * `$eval` is bound to nothing, so calling it fails as calling any non-function does.
 */
export function stepFunctionsBindings(env: IntrinsicEnv): Record<string, unknown> {
  return {
    partition,
    range,
    hash,
    parse,
    random: (seed?: unknown) => (seed === undefined ? env.random() : seededRandom(seedOf(seed))),
    uuid: () => env.uuid(),
    eval: undefined,
  };
}
