/**
 * Time as the runtime sees it. Production uses the system clock; tests and `router engine run` use a
 * virtual clock on which an hour-long Wait or a retry back-off passes instantly, so timing semantics
 * (exact due times, timeouts racing results) are checked without waiting.
 */

/** Cancels a timer that has not fired yet; does nothing once it has. */
export type CancelTimer = () => void;

/** A source of time the runtime can sleep on. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fire` after `ms` unless the returned function is called first. The runtime arms one on an
   * execution's earliest timer and cancels it whenever that timer is answered first (a Task's timeout
   * when the Task ends), which through `sleep` costs an AbortController and an abort each time.
   * Optional: {@link startTimer} falls back to `sleep`.
   */
  timer?(ms: number, fire: () => void): CancelTimer;
}

/** Longest delay a Node timer takes; a longer one would fire at once. Sleeps are cut to it (callers loop). */
export const MAX_TIMER_MS = 2_147_483_647;

function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}

/** Real time. A sleep or timer longer than {@link MAX_TIMER_MS} ends early, after that long. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timeout);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timeout = setTimeout(done, timerDelay(ms));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
  timer: (ms, fire) => {
    const timeout = setTimeout(fire, timerDelay(ms));
    return () => clearTimeout(timeout);
  },
};

/** Arms a timer on `clock`: its own `timer` when it has one, else a `sleep` cancelled through a signal. */
export function startTimer(clock: Clock, ms: number, fire: () => void): CancelTimer {
  if (clock.timer !== undefined) return clock.timer(ms, fire);
  const controller = new AbortController();
  void clock.sleep(ms, controller.signal).then(() => {
    if (!controller.signal.aborted) fire();
  });
  return () => controller.abort();
}

interface Sleeper {
  readonly dueAt: number;
  readonly seq: number;
  readonly fire: () => void;
}

/**
 * A clock whose time moves only when something waits on it: once the process is otherwise idle (no
 * pending promise work in this turn of the event loop), it jumps to the earliest sleeper's due time and
 * wakes it. Work that uses real timers (setTimeout) is not seen as pending; drive such work with
 * `advance` and `{ auto: false }`.
 *
 * @example
 * const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
 * await clock.sleep(3_600_000); // returns at once, clock.now() is one hour later
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly sleepers: Sleeper[] = [];
  private seq = 0;
  private scheduled = false;
  private readonly auto: boolean;

  constructor(start = 0, options: { readonly auto?: boolean } = {}) {
    this.current = start;
    this.auto = options.auto ?? true;
  }

  now(): number {
    return this.current;
  }

  /** Number of sleepers not yet woken. */
  get pending(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (signal === undefined) {
        this.timer(ms, resolve);
        return;
      }
      const cancel = this.timer(ms, () => {
        signal.removeEventListener('abort', stop);
        resolve();
      });
      const stop = (): void => {
        cancel();
        resolve();
      };
      signal.addEventListener('abort', stop, { once: true });
    });
  }

  timer(ms: number, fire: () => void): CancelTimer {
    const sleeper: Sleeper = { dueAt: this.current + Math.max(0, ms), seq: this.seq++, fire };
    this.sleepers.push(sleeper);
    this.schedule();
    return () => {
      const index = this.sleepers.indexOf(sleeper);
      if (index >= 0) this.sleepers.splice(index, 1);
    };
  }

  /** Moves time forward by `ms`, waking every sleeper due by then, in due order. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  /** Moves time to `time` (never backwards), waking every sleeper due by then, in due order. */
  advanceTo(time: number): void {
    for (;;) {
      const next = this.earliest();
      if (next === undefined || next.dueAt > time) break;
      this.wake(next);
    }
    if (time > this.current) this.current = time;
  }

  private earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (best === undefined || s.dueAt < best.dueAt || (s.dueAt === best.dueAt && s.seq < best.seq))
        best = s;
    }
    return best;
  }

  private wake(sleeper: Sleeper): void {
    this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
    if (sleeper.dueAt > this.current) this.current = sleeper.dueAt;
    sleeper.fire();
  }

  /** After the current turn settles, wakes the earliest sleeper (and every one due at the same time). */
  private schedule(): void {
    if (!this.auto || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const next = this.earliest();
      if (next === undefined) return;
      this.advanceTo(next.dueAt);
      if (this.sleepers.length > 0) this.schedule();
    });
  }
}
