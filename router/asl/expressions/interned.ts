/**
 * Compiled expressions shared by every graph that writes the same text. A router holds many versions of
 * many engines, and their paths and intrinsics repeat (`$.Payload`, `$$.Execution.Id`, a `States.Format`
 * copied from state to state): compiling each text once makes loading a version cheaper and lets the
 * cached versions share one closure per text instead of holding a copy each.
 *
 * Only what compiles is kept, and only pure closures (a compiled path or intrinsic holds no state between
 * calls), so sharing cannot leak one execution's data into another. The table is bounded: when full it
 * starts again empty, which costs a recompile, never a wrong answer.
 */
export class InternTable<T> {
  readonly #entries = new Map<string, T>();
  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  /** The value compiled earlier for `text`, if any. */
  get(text: string): T | undefined {
    return this.#entries.get(text);
  }

  /** Keeps `value` for `text` and returns it. */
  keep(text: string, value: T): T {
    if (this.#entries.size >= this.#limit) this.#entries.clear();
    this.#entries.set(text, value);
    return value;
  }
}
