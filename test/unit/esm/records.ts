/** Record factory for the ESM unit tests: sequence numbers grow like a shard's, arrival one second apart. */
import type { ShardRecord } from '../../../localstack/esm/buildKinesisEvent.ts';

const BASE_SEQUENCE = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/** `count` records of one shard, starting at `from`, with data `record-N` and partition key `key-N`. */
export function shardRecords(count: number, from = 0, arrivalStartMs = 1_700_000_000_000): ShardRecord[] {
  return Array.from({ length: count }, (_, offset) => {
    const n = from + offset;
    return {
      sequenceNumber: (BASE_SEQUENCE + BigInt(n) * 1_000n).toString(),
      partitionKey: `key-${n}`,
      data: new TextEncoder().encode(`record-${n}`),
      arrivalMs: arrivalStartMs + n * 1_000,
    };
  });
}
