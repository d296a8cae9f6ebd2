/**
 * Task callbacks: a `router.task.success | failure | heartbeat` record on the stream answers a
 * `.waitForTaskToken` task. The token carries a signed locator (see `taskToken` in the interpreter), so
 * the execution is found with one index lookup and no token table; the token must still be one the
 * execution waits for in its checkpoint, so an answered, timed-out or foreign token changes nothing.
 *
 * ```
 * token ──mac ok?──> find(executionId, startTime) ──> status?
 *   no: unknown-task-token     absent: unknown-task-token   SUCCEEDED/FAILED/...: task-not-waiting
 *                                                           RUNNING, live lease: retry later
 *                                                           WAITING or abandoned ──token pending?──> claim (wake)
 *                                                              no: task-not-waiting   yes: resume with the event
 * ```
 */

import type { ExecutionEvent, ExecutionState } from '../asl/index.ts';
import { invokeIdForToken, readTaskTokenLocator } from '../asl/index.ts';
import { disposition, errorMessage, LeaseLostError } from '../errors.ts';
import {
  type ExecutionRecord,
  type ExecutionStore,
  hasAppliedCallback,
  isExpired,
  TERMINAL_STATUSES,
} from '../executions/index.ts';
import type { TaskTokenVerifier } from '../security/index.ts';
import type { TaskCallback } from './envelope.ts';

/**
 * Why a callback is refused; the quarantine reason. `unprocessable`: the execution it answers cannot be
 * resumed for a reason a redelivery would not heal (its graph version no longer loads, say).
 */
export type CallbackRejection = 'unknown-task-token' | 'task-not-waiting' | 'unprocessable';

/** Where a token leads: the execution waiting for it, or why it leads nowhere. */
export type TaskLocation =
  | { readonly kind: 'waiting'; readonly record: ExecutionRecord; readonly invokeId: string }
  | { readonly kind: 'busy'; readonly record: ExecutionRecord }
  | {
      readonly kind: 'rejected';
      readonly reason: CallbackRejection;
      readonly message: string;
      /** The execution the token names, when there is one (it may have applied this very message). */
      readonly record?: ExecutionRecord;
    };

/** The default error of a task-failure callback that names none (Step Functions' generic task error). */
export const DEFAULT_CALLBACK_ERROR = 'States.TaskFailed';

/** Shortens a token for messages: enough to recognise it, not enough to replay it. */
export function tokenLabel(token: string): string {
  return token.length <= 16 ? token : `${token.slice(0, 12)}...`;
}

/**
 * Finds the execution a token belongs to and checks that it still waits for it. Reads at most one index
 * entry; shared by the router and `router task`, which refuses a callback it can tell will be rejected.
 * Without `verify` the mac is not checked here (the full-token comparison with the checkpoint still is).
 */
export async function locateTask(
  token: string,
  executions: Pick<ExecutionStore, 'find'>,
  verify: TaskTokenVerifier | undefined,
  now: number,
): Promise<TaskLocation> {
  const label = tokenLabel(token);
  const locator = verify === undefined ? readTaskTokenLocator(token) : await verify(token);
  if ('invalid' in locator) {
    return {
      kind: 'rejected',
      reason: 'unknown-task-token',
      message: `task token ${label}: ${locator.invalid}`,
    };
  }
  const record = await executions.find(locator.executionId, locator.startTime);
  if (record === undefined || isExpired(record, now)) {
    return {
      kind: 'rejected',
      reason: 'unknown-task-token',
      message: `task token ${label}: no execution ${locator.executionId} started at ${new Date(locator.startTime).toISOString()} (never existed or expired)`,
    };
  }
  if (TERMINAL_STATUSES.has(record.status)) {
    return {
      kind: 'rejected',
      reason: 'task-not-waiting',
      message: `task token ${label}: execution ${record.executionId} is ${record.status}; its task '${locator.invokeId}' no longer waits`,
      record,
    };
  }
  if (record.status === 'RUNNING' && record.leaseExpiresAt !== undefined && record.leaseExpiresAt > now) {
    return { kind: 'busy', record };
  }
  const state =
    record.checkpoint === undefined ? undefined : (JSON.parse(record.checkpoint) as ExecutionState);
  const invokeId = state === undefined ? undefined : invokeIdForToken(state, token);
  if (invokeId === undefined) {
    return {
      kind: 'rejected',
      reason: 'task-not-waiting',
      message: `task token ${label}: execution ${record.executionId} does not wait for task '${locator.invokeId}' (answered, timed out or cancelled)`,
      record,
    };
  }
  return { kind: 'waiting', record, invokeId };
}

/** The event a callback feeds into the execution. */
export function callbackEvent(callback: TaskCallback, invokeId: string): ExecutionEvent {
  switch (callback.action) {
    case 'success':
      return { type: 'TaskSucceeded', id: invokeId, output: callback.output };
    case 'failure':
      return {
        type: 'TaskFailed',
        id: invokeId,
        error: callback.error ?? DEFAULT_CALLBACK_ERROR,
        cause: callback.cause ?? '',
      };
    case 'heartbeat':
      return { type: 'TaskHeartbeat', id: invokeId };
  }
}

/** What deciding a callback needs: the store and the check of the deployment's token secrets. */
export interface CallbackDeps {
  readonly executions: ExecutionStore;
  /** Checks a token's mac against the deployment's current, then previous, task-token secrets. */
  readonly verifyToken: TaskTokenVerifier;
  readonly now: () => number;
  readonly leaseMs: number;
  readonly newOwner: () => string;
}

/** What to do with one callback record; the batch loop performs it. */
export type CallbackDecision =
  /** The execution is claimed: run it, feeding `events` first; its first checkpoint records `messageKey`. */
  | {
      readonly kind: 'resume';
      readonly record: ExecutionRecord;
      readonly events: readonly ExecutionEvent[];
      readonly messageKey: string;
    }
  /** A redelivery of a callback message the execution already applied. */
  | { readonly kind: 'duplicate'; readonly record: ExecutionRecord }
  /** The token leads nowhere: quarantine the record with this reason. */
  | { readonly kind: 'reject'; readonly reason: CallbackRejection; readonly message: string }
  /** The execution is running elsewhere, or the store failed: deliver the record again. */
  | { readonly kind: 'retry'; readonly error: unknown };

/**
 * Decides one callback record: finds the execution its token names and, when it waits for that token,
 * claims it (waking it before its due time); otherwise says why not. `messageKey` is the callback
 * message's own dedup key.
 *
 * @example
 * const decision = await decideCallback(envelope.callback, envelope.dedupKey, callbackDeps);
 * if (decision.kind === 'resume') await lifecycle.resumeWith(decision.record, decision.events, decision.messageKey, run);
 */
export async function decideCallback(
  callback: TaskCallback,
  messageKey: string,
  deps: CallbackDeps,
): Promise<CallbackDecision> {
  try {
    const found = await locateTask(callback.taskToken, deps.executions, deps.verifyToken, deps.now());
    if (found.kind === 'rejected') {
      if (found.record !== undefined && applied(found.record, messageKey)) {
        return { kind: 'duplicate', record: found.record };
      }
      return { kind: 'reject', reason: found.reason, message: found.message };
    }
    if (found.kind === 'busy') return busy(found.record);
    const { record, invokeId } = found;
    const claim = await deps.executions.claim(
      {
        engine: record.engine,
        dedupKey: record.dedupKey,
        executionId: record.executionId,
        version: record.version,
        mode: record.mode,
        owner: deps.newOwner(),
        leaseMs: deps.leaseMs,
        now: deps.now(),
        wake: true,
      },
      record,
    );
    if (claim.kind === 'duplicate') {
      if (applied(claim.record, messageKey)) return { kind: 'duplicate', record: claim.record };
      return {
        kind: 'reject',
        reason: 'task-not-waiting',
        message: `task token ${tokenLabel(callback.taskToken)}: execution ${record.executionId} is ${claim.record.status}`,
      };
    }
    if (claim.kind !== 'resumed') return busy(claim.record);
    return { kind: 'resume', record: claim.record, events: [callbackEvent(callback, invokeId)], messageKey };
  } catch (error) {
    if (disposition(error).kind !== 'give-up') return { kind: 'retry', error };
    return {
      kind: 'reject',
      reason: 'unprocessable',
      message: `task token ${tokenLabel(callback.taskToken)}: ${errorMessage(error)}`,
    };
  }
}

/** True when the execution already holds the result of this callback message (a redelivery of it). */
function applied(record: ExecutionRecord, messageKey: string): boolean {
  return hasAppliedCallback(record, messageKey);
}

function busy(record: ExecutionRecord): CallbackDecision {
  return {
    kind: 'retry',
    error: new LeaseLostError(
      `execution ${record.executionId} is running elsewhere; the callback is redelivered once it parks`,
    ),
  };
}
