/**
 * The graph interpreter: compile a validated graph once, run executions as a pure transition function
 * over a plain, checkpointable state, and perform its effects with a small runtime.
 */
export { type Clock, systemClock, VirtualClock } from './clock.ts';
export {
  type CompiledGraph,
  type CompileOptions,
  compileGraph,
  DEFAULT_MAX_TRANSITIONS,
} from './compile.ts';
export type { HistoryDetails, HistoryEvent, HistoryEventType } from './history.ts';
export { processorGraph } from './processor.ts';
export { parseTaskToken, readTaskTokenLocator, type TaskTokenLocator, taskToken } from './random.ts';
export { shapeRecords } from './resultShape.ts';
export {
  type InvokeOutcome,
  type RunResult,
  runExecution,
  SharedSignal,
  UNCANCELLABLE_SIGNAL,
} from './runtime.ts';
export type {
  Effect,
  ExecutionEvent,
  ExecutionState,
  InvokeEffect,
} from './state.ts';
export {
  applyEvent,
  invokeIdForToken,
  jsonSize,
  PARSED_GROWTH,
  PendingIndex,
  SizeBounds,
  type Step,
  sizeBound,
  startExecution,
} from './transition.ts';
