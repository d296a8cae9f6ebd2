/**
 * The execution history: what happened, in order, shaped like Step Functions' `GetExecutionHistory` so
 * engine authors read a familiar timeline and tests compare a whole run with the expected one.
 */
import type { JsonValue, StateType } from '../types.ts';

/**
 * Every history event type this runtime emits: Step Functions' names, plus `TaskRetry`, `WaitStarted` and
 * the `ParallelBranch*` events (the per-branch counterpart of `MapIteration*`).
 */
export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionTimedOut'
  | `${StateType}StateEntered`
  | `${StateType}StateExited`
  | 'TaskScheduled'
  | 'TaskSubmitted'
  | 'TaskSucceeded'
  | 'TaskFailed'
  | 'TaskTimedOut'
  | 'TaskRetry'
  | 'WaitStarted'
  | 'ParallelStateStarted'
  | 'ParallelStateSucceeded'
  | 'ParallelStateFailed'
  | 'ParallelBranchSucceeded'
  | 'ParallelBranchFailed'
  | 'ParallelBranchAborted'
  | 'MapStateStarted'
  | 'MapStateSucceeded'
  | 'MapStateFailed'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'MapIterationAborted'
  | 'MapRunStarted'
  | 'MapRunSucceeded'
  | 'MapRunFailed';

/** What an event carries besides its type; only the fields that event has are present. */
export interface HistoryDetails {
  input?: JsonValue;
  output?: JsonValue;
  error?: string;
  cause?: string;
  resource?: string;
  /** Map item index or Parallel branch index. */
  index?: number;
  /** Number of Map items. */
  length?: number;
  /** Retry attempt about to run (1 = first retry). */
  attempt?: number;
  /** When a wait or retry timer is due (epoch ms). */
  dueAt?: number;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** A distributed Map's run. */
  mapRunArn?: string;
  /** The variables a state set as it left (`Assign`). */
  assignedVariables?: Record<string, JsonValue>;
}

/**
 * One history event. `thread` locates the state inside Parallel branches and Map items
 * (`''` for the top level, `Fan#1.0[2]/` for branch 2 of the first visit of state `Fan`).
 */
export interface HistoryEvent {
  /** Sequence number within the execution, from 1, continuing across resumes. */
  id: number;
  type: HistoryEventType;
  /** Epoch milliseconds. */
  timestamp: number;
  thread: string;
  stateName?: string;
  details?: HistoryDetails;
}

/**
 * Keeps at most `limit` of the latest events, dropping the oldest in chunks so a long run stays cheap;
 * the runtime uses it so a 25,000-transition execution does not hold every event in memory.
 */
export function appendBounded(target: HistoryEvent[], events: readonly HistoryEvent[], limit: number): void {
  for (const event of events) target.push(event);
  if (target.length > limit * 2) target.splice(0, target.length - limit);
}

/** Trims a history built with {@link appendBounded} to its final bound. */
export function trimHistory(target: HistoryEvent[], limit: number): HistoryEvent[] {
  return target.length > limit ? target.slice(target.length - limit) : target;
}
