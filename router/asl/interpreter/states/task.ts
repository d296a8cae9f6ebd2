/**
 * The Task state: an invoke of its resource (with a task token for `.waitForTaskToken`), timers for
 * TimeoutSeconds and HeartbeatSeconds, and the events that answer them.
 */
import { STATES_ERRORS, StatesError } from '../../errors.ts';
import type { JsonObject, JsonValue } from '../../types.ts';
import type { CompiledState, CompiledTask, Evaluate } from '../compiled.ts';
import {
  applyIo,
  type Ctx,
  contextObject,
  evaluate,
  type Frame,
  NO_CONTEXT,
  type NumberRule,
  numberField,
  record,
} from '../ctx.ts';
import type { HistoryDetails } from '../history.ts';
import { checkSize } from '../payload-limit.ts';
import { queryCount, runQuery } from '../query.ts';
import { taskToken } from '../random.ts';
import { succeedWithResult } from '../result.ts';
import { failState } from '../retry-catch.ts';
import type { ExecutionEvent, InvokeEffect, PendingEffect, TaskBlock } from '../state.ts';
import { addPending, addTimer, cancelId, cancelThread, visitOf } from '../threads.ts';

/** Seconds selected by a path (TimeoutSecondsPath, HeartbeatSecondsPath). */
const POSITIVE_INTEGER: NumberRule = {
  accepts: (n) => Number.isInteger(n) && n > 0,
  expected: 'a positive integer',
};

function literal(value: number | Evaluate | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function positive(n: number, s: CompiledTask, field: string): number {
  if (n > 0) return n;
  throw new StatesError(
    STATES_ERRORS.QueryEvaluationError,
    `An error occurred while executing the state '${s.name}'. The field '${field}' must be a positive integer, got ${n}`,
  );
}

/** Runs a Task state up to its invoke: the thread then waits for the result. */
export function executeTask(ctx: Ctx, f: Frame, s: CompiledTask): void {
  const t = f.thread;
  const x = ctx.state.context;
  const visit = visitOf(t, s.name);
  const invokeId = `${t.path}${s.name}#${visit}.${t.attempt}`;
  const idempotencyKey = `${x.executionId}:${t.keyPath}${s.name}#${visit}`;
  let token: string | undefined;
  const secret = ctx.graph.taskTokenSecret;
  if (s.callback || (s.issuesToken && secret !== undefined)) {
    if (secret === undefined) {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        'it waits for a task token but no taskTokenSecret was given to compileGraph',
      );
    }
    token = taskToken(secret(), x.executionId, invokeId, x.startTime);
  }
  const task: JsonObject = { IdempotencyKey: idempotencyKey };
  if (token !== undefined && s.callback) task.Token = token;
  let input: JsonValue;
  let timeoutSeconds: number | undefined;
  let heartbeatSeconds: number | undefined;
  if (s.jsonata) {
    const states = { input: t.input };
    input = s.arguments === undefined ? t.input : runQuery(ctx, f, s, s.arguments, states, { task });
    timeoutSeconds =
      s.timeoutQuery === undefined
        ? literal(s.timeoutSeconds)
        : positive(
            queryCount(ctx, f, s, s.timeoutQuery, 'TimeoutSeconds', states, true),
            s,
            'TimeoutSeconds',
          );
    heartbeatSeconds =
      s.heartbeatQuery === undefined
        ? literal(s.heartbeatSeconds)
        : positive(
            queryCount(ctx, f, s, s.heartbeatQuery, 'HeartbeatSeconds', states, true),
            s,
            'HeartbeatSeconds',
          );
  } else {
    const context = s.usesContext ? contextObject(ctx, t, s, { task }) : NO_CONTEXT;
    const effective = applyIo(s.inputPath, t.input, context, ctx, 'InputPath', f);
    input =
      s.parameters === undefined
        ? effective
        : evaluate(ctx, f, 'Parameters', s.parameters, effective, context);
    timeoutSeconds = numberField(
      ctx,
      f,
      s.timeoutSeconds,
      'TimeoutSecondsPath',
      POSITIVE_INTEGER,
      effective,
      context,
    );
    heartbeatSeconds = numberField(
      ctx,
      f,
      s.heartbeatSeconds,
      'HeartbeatSecondsPath',
      POSITIVE_INTEGER,
      effective,
      context,
    );
  }
  if (input !== t.input) checkSize(ctx, input, 'The input of Task state', s.name);
  const effect: InvokeEffect = {
    type: 'invoke',
    id: invokeId,
    resource: s.resource,
    input,
    idempotencyKey,
    stateName: s.name,
    attempt: t.attempt,
  };
  if (token !== undefined) effect.taskToken = token;
  if (timeoutSeconds !== undefined) effect.timeoutSeconds = timeoutSeconds;
  if (heartbeatSeconds !== undefined) effect.heartbeatSeconds = heartbeatSeconds;
  const block: TaskBlock = { kind: 'task', invokeId, heartbeats: 0 };
  t.block = block;
  addPending(ctx, f.loc, effect);
  if (timeoutSeconds !== undefined) {
    block.timeoutSeconds = timeoutSeconds;
    block.timeoutId = `${invokeId}:timeout`;
    addTimer(ctx, f.loc, block.timeoutId, ctx.now + timeoutSeconds * 1000, 'timeout');
  }
  if (heartbeatSeconds !== undefined) {
    block.heartbeatSeconds = heartbeatSeconds;
    block.heartbeatId = `${invokeId}:hb0`;
    addTimer(ctx, f.loc, block.heartbeatId, ctx.now + heartbeatSeconds * 1000, 'heartbeat');
  }
  if (ctx.history !== undefined) {
    const details: HistoryDetails = { resource: s.resource, input };
    if (timeoutSeconds !== undefined) details.timeoutSeconds = timeoutSeconds;
    if (heartbeatSeconds !== undefined) details.heartbeatSeconds = heartbeatSeconds;
    record(ctx, 'TaskScheduled', t.path, s.name, details);
  }
}

/**
 * An event for the Task's invoke: handed over, a heartbeat, its result or its error. Returns whether
 * the thread can run on (the state was left or failed).
 */
export function taskEvent(
  ctx: Ctx,
  f: Frame,
  s: CompiledTask,
  b: TaskBlock,
  pending: PendingEffect,
  event: ExecutionEvent,
): boolean {
  const t = f.thread;
  switch (event.type) {
    case 'TaskSubmitted':
      pending.submitted = true;
      record(ctx, 'TaskSubmitted', t.path, s.name);
      return false;
    case 'TaskHeartbeat':
      if (b.heartbeatId !== undefined && b.heartbeatSeconds !== undefined) {
        cancelId(ctx, b.heartbeatId);
        b.heartbeats += 1;
        b.heartbeatId = `${b.invokeId}:hb${b.heartbeats}`;
        addTimer(ctx, f.loc, b.heartbeatId, ctx.now + b.heartbeatSeconds * 1000, 'heartbeat');
      }
      return false;
    case 'TaskPolling': {
      const polls = b.polls ?? 0;
      if (pending.effect.type === 'invoke') pending.effect.poll = event.poll;
      pending.submitted = true;
      if (polls === 0) record(ctx, 'TaskSubmitted', t.path, s.name, { output: event.poll });
      b.polls = polls + 1;
      b.pollId = `${b.invokeId}:poll${polls}`;
      addTimer(ctx, f.loc, b.pollId, ctx.now + Math.max(0, event.afterSeconds) * 1000, 'poll');
      return false;
    }
    case 'TaskSucceeded':
      ctx.pendingIndex.remove(ctx.state, b.invokeId);
      cancelId(ctx, b.timeoutId);
      cancelId(ctx, b.heartbeatId);
      cancelId(ctx, b.pollId);
      t.block = undefined;
      record(ctx, 'TaskSucceeded', t.path, s.name, { output: event.output });
      succeedWithResult(ctx, f, s, event.output);
      return true;
    case 'TaskFailed':
      ctx.pendingIndex.remove(ctx.state, b.invokeId);
      cancelId(ctx, b.timeoutId);
      cancelId(ctx, b.heartbeatId);
      cancelId(ctx, b.pollId);
      t.block = undefined;
      record(ctx, 'TaskFailed', t.path, s.name, { error: event.error, cause: event.cause });
      failState(ctx, f, s, event.error, event.cause);
      return true;
    default:
      return false;
  }
}

/**
 * A job integration's poll timer fired: the invoke is issued again, carrying the job's poll state, and
 * answers with the job's result, its failure, or another poll. Returns false for a stale timer.
 */
export function taskPollFired(ctx: Ctx, b: TaskBlock, id: string): boolean {
  if (b.pollId !== id) return false;
  ctx.pendingIndex.remove(ctx.state, id);
  b.pollId = undefined;
  const invoke = ctx.pendingIndex.get(ctx.state, b.invokeId);
  if (invoke === undefined || invoke.effect.type !== 'invoke') return false;
  invoke.submitted = false;
  ctx.effects.push(invoke.effect);
  return false;
}

/**
 * The Task's timeout or heartbeat timer fired: the invoke is abandoned and the state fails with
 * States.Timeout / States.HeartbeatTimeout. Returns false for a stale timer.
 */
export function taskTimerFired(
  ctx: Ctx,
  f: Frame,
  s: CompiledState,
  b: TaskBlock,
  heartbeat: boolean,
  id: string,
): boolean {
  const t = f.thread;
  if ((heartbeat ? b.heartbeatId : b.timeoutId) !== id) return false;
  ctx.pendingIndex.remove(ctx.state, id);
  cancelThread(ctx, t);
  const error = heartbeat ? STATES_ERRORS.HeartbeatTimeout : STATES_ERRORS.Timeout;
  const cause = heartbeat
    ? `Task state '${s.name}' sent no heartbeat for ${b.heartbeatSeconds ?? 0} seconds`
    : `Task state '${s.name}' did not finish within ${b.timeoutSeconds ?? 0} seconds (TimeoutSeconds)`;
  record(ctx, 'TaskTimedOut', t.path, s.name, { error, cause });
  failState(ctx, f, s, error, cause);
  return true;
}
