/**
 * The Wait state: a timer until its due time (Seconds, Timestamp or their Path forms), then on to the
 * next state; a due time already passed does not wait.
 */
import { STATES_ERRORS, StatesError } from '../../errors.ts';
import { expectType } from '../../expressions/index.ts';
import type { JsonValue } from '../../types.ts';
import { stateError } from '../causes.ts';
import type { CompiledState, CompiledWait } from '../compiled.ts';
import {
  applyIo,
  type Ctx,
  contextObject,
  ExecutionAbort,
  evaluate,
  type Frame,
  NO_CONTEXT,
  record,
} from '../ctx.ts';
import { holdOutput } from '../payload-limit.ts';
import { assignments, queryCount, runQuery } from '../query.ts';
import { failState } from '../retry-catch.ts';
import type { WaitBlock } from '../state.ts';
import { addTimer, finishState, visitOf } from '../threads.ts';

function waitDueAt(ctx: Ctx, f: Frame, s: CompiledWait, effective: JsonValue, context: JsonValue): number {
  if (s.seconds !== undefined) return ctx.now + s.seconds * 1000;
  const states = { input: f.thread.input };
  if (s.secondsQuery !== undefined) {
    return ctx.now + queryCount(ctx, f, s, s.secondsQuery, 'Seconds', states, true) * 1000;
  }
  let timestamp = s.timestamp;
  if (s.timestampQuery !== undefined) {
    const value = runQuery(ctx, f, s, s.timestampQuery, states);
    timestamp = expectType(value, 'string', s.name, 'Timestamp', undefined) as string;
  }
  if (s.secondsPath !== undefined) {
    const seconds = evaluate(ctx, f, 'SecondsPath', s.secondsPath, effective, context);
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `SecondsPath must select a non-negative integer, got ${JSON.stringify(seconds)}`,
      );
    }
    return ctx.now + seconds * 1000;
  }
  if (s.timestampPath !== undefined) {
    const value = evaluate(ctx, f, 'TimestampPath', s.timestampPath, effective, context);
    if (typeof value !== 'string') {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `TimestampPath must select an RFC 3339 timestamp string, got ${JSON.stringify(value)}`,
      );
    }
    timestamp = value;
  }
  const due = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  if (Number.isNaN(due)) {
    throw new StatesError(STATES_ERRORS.Runtime, `'${String(timestamp)}' is not an RFC 3339 timestamp`);
  }
  return due;
}

/** Leaves a Wait state: Assign reads its effective input (JSONPath) or `$states` (JSONata). */
function leaveWait(ctx: Ctx, f: Frame, s: CompiledState, effective: JsonValue, context: JsonValue): void {
  const t = f.thread;
  const states = { input: t.input };
  const assigned = assignments(ctx, f, s, s.assign, { value: effective, states });
  const output = s.jsonata
    ? s.output === undefined
      ? t.input
      : runQuery(ctx, f, s, s.output, states)
    : applyIo(s.outputPath, effective, context, ctx, 'OutputPath', f);
  holdOutput(ctx, t, s.name, output, Number.NaN);
  finishState(ctx, f, s, output, undefined, assigned);
}

/** Runs a Wait state: sets its timer, or goes on at once when the due time has passed. */
export function executeWait(ctx: Ctx, f: Frame, s: CompiledWait): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx, 'InputPath', f);
  const dueAt = waitDueAt(ctx, f, s, effective, context);
  if (dueAt <= ctx.now) {
    leaveWait(ctx, f, s, effective, context);
    return;
  }
  const timerId = `${t.path}${s.name}#${visitOf(t, s.name)}:wait`;
  t.block = { kind: 'wait', timerId };
  addTimer(ctx, f.loc, timerId, dueAt, 'wait');
  record(ctx, 'WaitStarted', t.path, s.name, { dueAt });
}

/**
 * The Wait's timer fired: leave the state with its output. Returns false when the thread waits on
 * something else (a stale timer).
 */
export function waitTimerFired(ctx: Ctx, f: Frame, s: CompiledState, b: WaitBlock, id: string): boolean {
  const t = f.thread;
  if (b.timerId !== id) return false;
  ctx.pendingIndex.remove(ctx.state, id);
  t.block = undefined;
  const context = s.usesContext && !s.jsonata ? contextObject(ctx, t, s) : NO_CONTEXT;
  try {
    const effective = applyIo(s.inputPath, t.input, context, ctx, 'InputPath', f);
    leaveWait(ctx, f, s, effective, context);
  } catch (error) {
    if (error instanceof ExecutionAbort) throw error;
    const e = stateError(f, s, error);
    failState(ctx, f, s, e.error, e.cause);
  }
  return true;
}
