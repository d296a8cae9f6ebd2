/** The executions folder's surface: what the rest of the runtime imports from it. */
export { DynamoDBExecutionStore } from './DynamoDBExecutionStore.ts';
export type { ExpressCompletion, LifecycleDeps, RunOutcome, StartingMessage } from './ExecutionLifecycle.ts';
export { ExecutionLifecycle } from './ExecutionLifecycle.ts';
export type { ExecutionKey, ExecutionRecord, ExecutionStatus, ExecutionStore } from './ExecutionStore.ts';
export {
  executionMapKey,
  hasAppliedCallback,
  isExpired,
  listingSortKey,
  TERMINAL_STATUSES,
} from './ExecutionStore.ts';
export type { RunDeps } from './execute.ts';
export { RunScope, SAFETY_MARGIN_MS } from './execute.ts';
export { EXECUTIONS_TABLE_SCHEMA } from './executionsTable.ts';
export { appendHistory, decodeHistory } from './history.ts';
export { linkLines, traceLines } from './historyTrace.ts';
export { executionGraph, mapProcessorOf, withMapChildren } from './MapChildren.ts';
export {
  childStartAttributes,
  createNestedExecutions,
  isChildEnd,
  settlementRecord,
  streamPut,
  withNestedExecutions,
} from './NestedExecutions.ts';
export type { ParentLink } from './parentLink.ts';
export { S3PayloadStore } from './S3PayloadStore.ts';
