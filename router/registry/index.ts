/** The registry folder's surface: what the rest of the runtime imports from it. */
export type { EngineIndex } from './EngineIndex.ts';
export type { AliasSnapshot, GraphLoader, LoadedEngine } from './EngineResolver.ts';
export { EngineResolver } from './EngineResolver.ts';
export { ENGINES_TABLE_SCHEMA } from './enginesTable.ts';
export type { Registry } from './fromEnv.ts';
export { registryFromEnv } from './fromEnv.ts';
export type { GraphStore } from './GraphStore.ts';
export {
  canaryVersion,
  PublishValidationError,
  promoteVersion,
  publishEngine,
  rollbackAlias,
} from './publish.ts';
export type { AliasRecord } from './types.ts';
