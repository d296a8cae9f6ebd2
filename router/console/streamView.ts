/**
 * The Stream page: per shard, where the consumer stands (the event source mapping's checkpoint, when it
 * is kept in the deployment's checkpoint table as the local stack's mapping keeps it), how far behind
 * the newest record that is (the iterator age, read from the shard itself), and, when the console runs
 * beside the mapping, the records per second and retried batches it reported.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ShardView, StreamView } from './types.ts';

/** What one invocation of the mapping did, as the console needs it. */
export interface ShardBatch {
  readonly shardId: string;
  readonly outcome: 'success' | 'partial' | 'failure';
  readonly completed: number;
}

/** Over how long records per second are averaged. */
const RATE_WINDOW_MS = 60_000;

/**
 * Per-shard batch figures reported by an event source mapping running in the same process (the local
 * stack's): records completed over the last minute, batches, and batches that failed wholly or partly
 * and so were retried.
 */
export class StreamActivity {
  readonly #shards = new Map<string, { batches: number; retried: number; recent: [number, number][] }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Notes one batch (wire it to the mapping's `onBatch`). */
  record(batch: ShardBatch): void {
    const at = this.#now();
    const shard = this.#shards.get(batch.shardId) ?? { batches: 0, retried: 0, recent: [] };
    shard.batches += 1;
    if (batch.outcome !== 'success') shard.retried += 1;
    shard.recent.push([at, batch.completed]);
    while ((shard.recent[0]?.[0] ?? at) < at - RATE_WINDOW_MS) shard.recent.shift();
    this.#shards.set(batch.shardId, shard);
  }

  /** The figures of one shard. */
  of(shardId: string): Pick<ShardView, 'recordsPerSecond' | 'batches' | 'batchesRetried'> {
    const shard = this.#shards.get(shardId);
    if (shard === undefined) return { recordsPerSecond: 0, batches: 0, batchesRetried: 0 };
    const since = this.#now() - RATE_WINDOW_MS;
    const completed = shard.recent.filter(([at]) => at >= since).reduce((sum, [, n]) => sum + n, 0);
    return {
      recordsPerSecond: completed / (RATE_WINDOW_MS / 1000),
      batches: shard.batches,
      batchesRetried: shard.retried,
    };
  }
}

/** Where the stream page reads. */
export interface StreamSource {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly stream: string;
  /** The mapping's checkpoint table and consumer name (the local stack's layout). */
  readonly checkpointTable: string;
  readonly consumerName: string;
  readonly activity?: StreamActivity;
  readonly now: () => number;
}

async function checkpointOf(
  source: StreamSource,
  shardId: string,
): Promise<{ sequenceNumber: string; updatedAt?: string } | undefined> {
  try {
    const { Item } = await source.dynamodb.send(
      new GetCommand({
        TableName: source.checkpointTable,
        Key: { pk: `${source.stream}#${source.consumerName}#${shardId}` },
      }),
    );
    if (typeof Item?.sequenceNumber !== 'string') return undefined;
    return {
      sequenceNumber: Item.sequenceNumber,
      ...(typeof Item.updatedAt === 'string' ? { updatedAt: Item.updatedAt } : {}),
    };
  } catch (error) {
    // A deployment's mapping keeps its checkpoints inside Lambda: there is no table to read.
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** How far the first record after the checkpoint is behind the newest one on the shard. */
async function iteratorAge(
  source: StreamSource,
  shardId: string,
  after: string | undefined,
): Promise<number> {
  const { ShardIterator } = await source.kinesis.send(
    new GetShardIteratorCommand({
      StreamName: source.stream,
      ShardId: shardId,
      ...(after === undefined
        ? { ShardIteratorType: 'TRIM_HORIZON' }
        : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }),
    }),
  );
  if (ShardIterator === undefined) return 0;
  const page = await source.kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
  const arrived = page.Records?.[0]?.ApproximateArrivalTimestamp;
  if (arrived !== undefined) return Math.max(0, source.now() - arrived.getTime());
  return page.MillisBehindLatest ?? 0;
}

async function shardView(source: StreamSource, shard: Shard): Promise<ShardView> {
  const shardId = shard.ShardId ?? '';
  const checkpoint = await checkpointOf(source, shardId);
  return {
    shardId,
    ...(checkpoint === undefined
      ? {}
      : {
          checkpoint: checkpoint.sequenceNumber,
          ...(checkpoint.updatedAt === undefined ? {} : { checkpointAt: checkpoint.updatedAt }),
        }),
    iteratorAgeMs: await iteratorAge(source, shardId, checkpoint?.sequenceNumber),
    ...(source.activity === undefined ? {} : source.activity.of(shardId)),
  };
}

/** Reads the Stream page: one ListShards, then a checkpoint read and one GetRecords per shard. */
export async function readStream(source: StreamSource): Promise<StreamView> {
  const { Shards } = await source.kinesis.send(new ListShardsCommand({ StreamName: source.stream }));
  const open = (Shards ?? []).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
  return {
    stream: source.stream,
    shards: await Promise.all(open.map((shard) => shardView(source, shard))),
    activity:
      source.activity === undefined
        ? 'records per second and retried batches are reported by the event source mapping: they show when the console runs in the local stack (npm start, npm run localstack:up); in AWS read them in CloudWatch'
        : 'records per second over the last minute, and batches since the console started, as the event source mapping reported them',
  };
}
