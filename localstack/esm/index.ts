/**
 * The Kinesis event source mapping emulator: what the local stack, the demo and the integration tests
 * use to feed the router the events Lambda would feed it.
 */
export { buildFailureRecord, failureObjectKey, type KinesisFailureRecord } from './buildFailureRecord.ts';
export {
  buildKinesisEvent,
  compareSequenceNumbers,
  type EventSource,
  type ShardRecord,
  toKinesisStreamRecord,
} from './buildKinesisEvent.ts';
export { type CheckpointStore, checkpointKey, MemoryCheckpointStore } from './CheckpointStore.ts';
export { DynamoDBCheckpointStore } from './DynamoDBCheckpointStore.ts';
export {
  EventSourceMapping,
  EventSourceMappingConfigError,
  startEventSourceMapping,
  streamNameOf,
  validateSettings,
} from './EventSourceMapping.ts';
export { type BatchOutcome, interpretBatchResponse } from './interpretBatchResponse.ts';
export type * from './types.ts';
