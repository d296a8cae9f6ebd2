/** The pipeline folder's surface: what the rest of the runtime imports from it. */

export type { CallbackDeps } from './callback.ts';
export { decideCallback, locateTask, tokenLabel } from './callback.ts';
export type { ClaimCandidate } from './claim.ts';
export { admit, precheck } from './claim.ts';
export type { DecodedOk, DecodedRecord } from './decode.ts';
export { decodeRecords } from './decode.ts';
export { Disposer } from './dispose.ts';
export type { Envelope } from './envelope.ts';
export { EnvelopeError, toEnvelope } from './envelope.ts';
export type { ExecuteContext } from './execute.ts';
export { describe, executeMessage, refOf } from './execute.ts';
export type { BatchSummary, CacheDelta } from './report.ts';
export { emitCounts, emptySummary, isEmpty, logBatch, recordOutcome, tally } from './report.ts';
export type { BatchAliases } from './resolve.ts';
export { AliasRoutes, isPublished, modeOf, resolveVersion } from './resolve.ts';
export type { RouteMatch } from './route.ts';
export { parseIdPath, readPath } from './route.ts';
export type { Outcome } from './schedule.ts';
export { processInOrder } from './schedule.ts';
