/**
 * The graph language's public surface: what the registry, the CLI and the interpreter import from
 * `router/asl`. Internals (the scanner, the checker) stay behind it.
 */
export {
  isFunctionAllowed,
  isResourceAllowed,
  LAMBDA_INVOKE_RESOURCES,
  type ResourceAllowlist,
} from './allowlist.ts';
export * from './errors.ts';
export * from './expressions/index.ts';
export * from './interpreter/index.ts';
export { compileLegacyGraph, isLegacyGraph, type LegacyCompilation } from './legacy.ts';
export {
  formatProblems,
  GraphError,
  type LoadedGraph,
  type LoadGraphOptions,
  loadGraph,
  loadGraphFile,
} from './load.ts';
export { describeRule, renderMermaid } from './mermaid.ts';
export {
  MAX_ARRAY_ELEMENTS,
  MAX_DEPTH,
  MAX_SOURCE_BYTES,
  type ParsedSource,
  type Position,
  parseGraphSource,
  pointerJoin,
} from './parse.ts';
export { parseVariables, substituteVariables, type Variables } from './substitute.ts';
export { isRfc3339, type ValidateOptions, validateGraph } from './validate/index.ts';
