/**
 * The graph language's public surface: what the registry, the CLI and the interpreter import from
 * `router/asl`. Internals (the scanner, the checker) stay behind it.
 */
export {
  isResourceAllowed,
  type ResourceAllowlist,
} from './allowlist.ts';
export * from './errors.ts';
export * from './expressions/index.ts';
export * from './interpreter/index.ts';
export { redriveExecution } from './interpreter/redrive.ts';
export {
  type StateInspection,
  type StateTest,
  StateTestError,
  testState,
} from './interpreter/test-state.ts';
export {
  formatProblems,
  loadGraph,
} from './load.ts';
export { describeRule, renderMermaid } from './mermaid.ts';
export { createMockInvoker, MockError, parseMockConfig, selectTestCase } from './mocks.ts';
export { parseVariables, type Variables } from './substitute.ts';
export {
  type IntegrationPattern,
  isLambdaInvoke,
  parseTaskResource,
  type TaskResource,
  unsupportedReason,
} from './taskResource.ts';
export type {
  EngineGraph,
  ExecutionMode,
  GraphProblem,
  JsonObject,
  JsonValue,
  StateMachine,
} from './types.ts';
export { isJsonObject } from './types.ts';
