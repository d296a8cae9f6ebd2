/**
 * Redrive: restart a FAILED execution from the state that failed, the way Step Functions' RedriveExecution
 * does: the failed top-level state is entered again with its original input, and everything before it
 * (outputs, visits, the randomness drawn, the history numbering) is kept. A Map or Parallel state runs
 * again as a whole; its items and branches keep their idempotency keys, so idempotent steps that
 * already succeeded answer from their own records instead of repeating their effects.
 *
 * It is a pure function over the execution state: it parks the root thread on a retry timer due at once,
 * so the ordinary runtime, resumed from the returned state, re-enters the state as it re-enters one after
 * a Retry (with the next attempt number, hence fresh invoke ids and task tokens).
 */

import { InputError } from '../../errors.ts';
import type { CompiledGraph } from './compiled.ts';
import type { HistoryEvent } from './history.ts';
import { EXECUTION_TIMEOUT_ID, type ExecutionState } from './state.ts';

/** Why an execution cannot be redriven. */
export class RedriveError extends InputError {
  override readonly name = 'RedriveError';
}

/** The redriven state and the history event that records the redrive. */
export interface Redriven {
  readonly state: ExecutionState;
  /** `ExecutionRedriven`, numbered after the execution's last event. */
  readonly event: Omit<HistoryEvent, 'type'> & { readonly type: 'ExecutionRedriven' };
  /** The state that runs again. */
  readonly stateName: string;
}

/**
 * Returns a copy of a FAILED execution's state that, when resumed, re-enters the failed state.
 *
 * @throws RedriveError naming the execution and the reason (not FAILED, failed before its first state,
 *   or failed in a Fail state, which would fail the same way again).
 * @example
 * const { state, event } = redriveExecution(compiled, JSON.parse(record.checkpoint), Date.now());
 * await store.reopen(record, { checkpoint: JSON.stringify(state), status: 'WAITING', dueAt: now, now });
 */
export function redriveExecution(graph: CompiledGraph, failed: ExecutionState, now: number): Redriven {
  const id = failed.context.executionId;
  if (failed.status !== 'FAILED') {
    throw new RedriveError(`execution ${id} is ${failed.status}: only a FAILED execution can be redriven`);
  }
  const state = structuredClone(failed);
  const root = state.root;
  const failedState = graph.root.states.get(root.state);
  if (failedState === undefined) {
    throw new RedriveError(
      `execution ${id} failed before entering a state (${failed.error ?? 'no error'}); start it again instead`,
    );
  }
  if (failedState.type === 'Fail') {
    throw new RedriveError(
      `execution ${id} ended in Fail state '${root.state}' (${failed.error ?? 'no error'}); a redrive would fail the same way`,
    );
  }
  state.status = 'RUNNING';
  state.context.redriveCount = (state.context.redriveCount ?? 0) + 1;
  state.context.redriveTime = now;
  delete state.error;
  delete state.cause;
  delete state.output;
  delete root.end;
  root.block = undefined;
  delete root.retries;
  state.pending = [];
  root.attempt += 1;
  const timerId = `${root.path}${root.state}#${root.visits[root.state] ?? 1}.${root.attempt}:redrive`;
  root.block = { kind: 'retry', timerId };
  state.pending.push({ effect: { type: 'timer', id: timerId, dueAt: now, reason: 'retry' }, loc: [] });
  if (graph.timeoutSeconds !== undefined) {
    state.pending.push({
      effect: {
        type: 'timer',
        id: EXECUTION_TIMEOUT_ID,
        dueAt: now + graph.timeoutSeconds * 1000,
        reason: 'execution-timeout',
      },
      loc: [],
    });
  }
  state.events += 1;
  const event: Redriven['event'] = {
    id: state.events,
    type: 'ExecutionRedriven',
    timestamp: now,
    thread: '',
    stateName: root.state,
    details: {
      input: root.input,
      ...(failed.error === undefined ? {} : { error: failed.error }),
      ...(failed.cause === undefined ? {} : { cause: failed.cause }),
    },
  };
  return { state, event, stateName: root.state };
}
