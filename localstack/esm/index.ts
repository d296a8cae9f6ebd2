/**
 * The Kinesis event source mapping emulator: what the local stack, the demo and the integration tests
 * use to feed the router the events Lambda would feed it.
 */
export type { KinesisFailureRecord } from './buildFailureRecord.ts';
export { type CheckpointStore, MemoryCheckpointStore } from './CheckpointStore.ts';
export {
  EventSourceMapping,
  startEventSourceMapping,
} from './EventSourceMapping.ts';
export type * from './types.ts';
