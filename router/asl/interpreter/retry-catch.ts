/**
 * Retry and Catch: an error in a Task, Parallel or Map state waits for the next attempt when a Retrier
 * matches and has attempts left, else goes to the first matching Catcher's Next, else fails the thread.
 * Other state types fail their thread at once.
 */
import { errorMatches } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { stateError } from './causes.ts';
import type { CompiledState } from './compiled.ts';
import { type Ctx, type Frame, record } from './ctx.ts';
import type { HistoryDetails } from './history.ts';
import { checkSize, sizeBound } from './payload-limit.ts';
import { assignments, runQuery } from './query.ts';
import { nextRandom } from './random.ts';
import type { RetryBlock } from './state.ts';
import { addTimer, enter, visitOf } from './threads.ts';

/** An error in a state: the first matching Retrier, else the first matching Catcher, else the thread fails. */
export function failState(ctx: Ctx, f: Frame, s: CompiledState, error: string, cause: string): void {
  const t = f.thread;
  if (s.type === 'Task' || s.type === 'Parallel' || s.type === 'Map') {
    const retriers = s.retry;
    for (let i = 0; i < retriers.length; i++) {
      const r = retriers[i];
      if (r === undefined || !errorMatches(error, r.errorEquals, true)) continue;
      const used = t.retries?.[i] ?? 0;
      if (used < r.maxAttempts) {
        let delay = r.intervalMs * r.backoffRate ** used;
        if (r.maxDelayMs !== undefined && delay > r.maxDelayMs) delay = r.maxDelayMs;
        if (r.jitter) delay *= nextRandom(ctx.state);
        delay = Math.round(delay);
        const retries = t.retries ?? retriers.map(() => 0);
        retries[i] = used + 1;
        t.retries = retries;
        t.attempt += 1;
        const visit = visitOf(t, s.name);
        const timerId = `${t.path}${s.name}#${visit}.${t.attempt}:retry`;
        const dueAt = ctx.now + delay;
        t.block = { kind: 'retry', timerId };
        addTimer(ctx, f.loc, timerId, dueAt, 'retry');
        record(ctx, 'TaskRetry', t.path, s.name, { error, cause, attempt: t.attempt, dueAt });
        return;
      }
      break;
    }
    for (const c of s.catch) {
      if (!errorMatches(error, c.errorEquals, false)) continue;
      let output: JsonValue;
      let assigned: JsonObject | undefined;
      try {
        const caught = { Error: error, Cause: cause };
        // A caught state's own Assign is not applied; the Catcher's is, reading the error output.
        const states = { input: t.input, errorOutput: caught };
        assigned = assignments(ctx, f, s, c.assign, { value: caught, states });
        if (s.jsonata) {
          output = c.output === undefined ? caught : runQuery(ctx, f, s, c.output, states);
          ctx.sizes.carry(t, output, checkSize(ctx, output, 'The output of state', s.name));
        } else {
          output = c.resultPath(t.input, caught);
          const known = c.resultBound(ctx.sizes.of(t, t.input), sizeBound(caught));
          ctx.sizes.carry(t, output, checkSize(ctx, output, 'The output of state', s.name, known));
        }
      } catch (failure) {
        const e = stateError(f, s, failure);
        t.end = { status: 'FAILED', error: e.error, cause: e.cause };
        return;
      }
      const details: HistoryDetails = { output, error, cause };
      if (assigned !== undefined) {
        t.vars = { ...t.vars, ...assigned };
        details.assignedVariables = assigned;
      }
      record(ctx, s.exited, t.path, s.name, details);
      enter(ctx, f, c.next, output);
      return;
    }
  }
  t.end = { status: 'FAILED', error, cause };
}

/**
 * The retry timer fired: the thread stops waiting, and runs the state again. Returns false when the
 * thread waits on something else (a stale timer).
 */
export function retryTimerFired(ctx: Ctx, f: Frame, b: RetryBlock, id: string): boolean {
  if (b.timerId !== id) return false;
  ctx.pendingIndex.remove(ctx.state, id);
  f.thread.block = undefined;
  return true;
}
