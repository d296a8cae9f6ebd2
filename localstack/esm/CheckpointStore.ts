/**
 * Where a mapping remembers, per shard, the last record it is done with, so that a restarted mapping
 * resumes right after it. An interface so tests of the poller rules can keep checkpoints in memory.
 */

/** Per-shard checkpoints of one mapping. Keys are `${streamName}#${consumerName}#${shardId}`. */
export interface CheckpointStore {
  /** The last sequence number done on this shard, or undefined when the shard was never checkpointed. */
  get(key: string): Promise<string | undefined>;
  /** Records that every record up to and including `sequenceNumber` is done. */
  put(key: string, sequenceNumber: string): Promise<void>;
}

/** The checkpoint key of one shard of one stream for one consumer. */
export function checkpointKey(streamName: string, consumerName: string, shardId: string): string {
  return `${streamName}#${consumerName}#${shardId}`;
}

/** Checkpoints in a Map: for unit tests and throwaway mappings that need not survive the process. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #items = new Map<string, string>();

  async get(key: string): Promise<string | undefined> {
    return this.#items.get(key);
  }

  async put(key: string, sequenceNumber: string): Promise<void> {
    this.#items.set(key, sequenceNumber);
  }
}
