/**
 * The demo's output: statements on their own lines and one progress line. On a terminal the progress
 * line is rewritten in place and cleared before any statement, so the two never run together; anywhere
 * else (a pipe, a CI log) it is printed as a plain line at most once per interval, so a reader still
 * sees the demo move.
 */

/** Where the demo writes; `isTTY` decides how progress is shown. */
export interface DemoOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Options of {@link Terminal}. */
export interface TerminalOptions {
  /** Least time between two progress lines off a terminal. Default 1,000 ms. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/** See the module comment. */
export class Terminal {
  readonly #out: DemoOutput;
  readonly #tty: boolean;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #shown = false;
  #lastPrinted = Number.NEGATIVE_INFINITY;

  constructor(out: DemoOutput, options: TerminalOptions = {}) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  /** True when progress is rewritten in place. */
  get tty(): boolean {
    return this.#tty;
  }

  /** Prints a statement on a line of its own (after clearing the progress line). */
  say(text: string): void {
    this.clear();
    this.#out.write(`${text}\n`);
  }

  /** Shows the progress: in place on a terminal, else as a line when the interval has passed. */
  progress(text: string): void {
    if (this.#tty) {
      this.#out.write(`\r\x1b[2K  ${text}`);
      this.#shown = true;
      return;
    }
    const now = this.#now();
    if (now - this.#lastPrinted < this.#intervalMs) return;
    this.#lastPrinted = now;
    this.#out.write(`  ${text}\n`);
  }

  /** Removes the progress line from a terminal (a no-op elsewhere). */
  clear(): void {
    if (!this.#shown) return;
    this.#out.write('\r\x1b[2K');
    this.#shown = false;
  }
}
