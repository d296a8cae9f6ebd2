/**
 * The graph interpreter: compile a validated graph once, run executions as a pure transition function
 * over a plain, checkpointable state, and perform its effects with a small runtime.
 */
export { type Clock, MAX_TIMER_MS, systemClock, VirtualClock } from './clock.ts';
export {
  type CompiledGraph,
  type CompiledMachine,
  type CompiledState,
  type CompileOptions,
  compileGraph,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_TRANSITIONS,
} from './compile.ts';
export type { HistoryDetails, HistoryEvent, HistoryEventType } from './history.ts';
export { parseTaskToken, type TaskTokenLocator, taskToken } from './random.ts';
export {
  type InvokeOutcome,
  type RunOptions,
  type RunResult,
  type RuntimeDeps,
  runExecution,
  SharedSignal,
} from './runtime.ts';
export {
  type Block,
  type CancelEffect,
  type Effect,
  EXECUTION_TIMEOUT_ID,
  type ExecutionContext,
  type ExecutionEvent,
  type ExecutionState,
  type ExecutionStatus,
  type InvokeEffect,
  type PendingEffect,
  type ThreadEnd,
  type ThreadState,
  type TimerEffect,
  type TimerReason,
} from './state.ts';
export {
  applyEvent,
  type ExecutionInit,
  invokeIdForToken,
  jsonSize,
  PARSED_GROWTH,
  PendingIndex,
  pendingEffects,
  SizeBounds,
  type Step,
  sizeBound,
  startExecution,
  type TransitionOptions,
} from './transition.ts';
