/** The pipeline folder's surface: what the rest of the runtime imports from it. */

export type { CallbackDeps } from './callback.ts';
export { decideCallback, locateTask, tokenLabel } from './callback.ts';
export { admit, precheck } from './claim.ts';
export type { DecodedOk } from './decode.ts';
export { decodeRecords } from './decode.ts';
export { Disposer } from './dispose.ts';
export type { Envelope } from './envelope.ts';
export { EnvelopeError, toEnvelope } from './envelope.ts';
export type { ExecuteContext } from './execute.ts';
export { describe, executeMessage, refOf } from './execute.ts';
export { completeExpress, type ExpressWriteState } from './expressWrites.ts';
export type { BatchSummary, CacheDelta } from './report.ts';
export { emitCounts, emptySummary, isEmpty, logBatch, recordOutcome, tally } from './report.ts';
export type { BatchAliases } from './resolve.ts';
export { AliasRoutes, modeOf, resolveVersion } from './resolve.ts';
export { parseIdPath, readPath } from './route.ts';
export type { WorkItem } from './routeItem.ts';
export { noRouteDetail, routeItem } from './routeItem.ts';
export type { Outcome } from './schedule.ts';
export { processInOrder } from './schedule.ts';
export { stopAbandonedWork } from './stopWork.ts';
