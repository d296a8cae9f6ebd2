/**
 * Building the runtime's own records without object spread. Node 20's V8 runs an object literal that
 * begins with a spread and then adds keys the spread object lacks, or spreads a second object, through
 * its runtime: ten to thirty times slower than a copy (Node 22's does not). The records and items built
 * for every message use these instead. Not for parsed user JSON: `Object.assign` would assign an own
 * `__proto__` key where a spread copies it.
 */

/** A record type whose fields a builder sets one by one before handing it on. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** `{ ...base, ...changes }`, copied rather than spread; `changes` may only narrow a field's type. */
export function overlay<T extends object, U extends Partial<T>>(base: T, changes: U): T & U {
  return Object.assign({}, base, changes);
}
