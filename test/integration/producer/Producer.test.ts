import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStream } from '../../../localstack/bootstrap.ts';
import { kinesisClient } from '../../../router/aws/clients.ts';
import { Producer, type PutRecordsClient } from '../../../router/producer/Producer.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack();

interface Payload {
  readonly key: string;
  readonly n: number;
}

/** Every record on the stream, per shard in sequence order. */
async function readStream(
  kinesis: KinesisClient,
  streamName: string,
): Promise<{ key: string; body: Payload }[]> {
  const out: { key: string; body: Payload }[] = [];
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of shards.Shards ?? []) {
    let { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    for (;;) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) {
        out.push({
          key: record.PartitionKey ?? '',
          body: JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')) as Payload,
        });
      }
      if ((page.Records ?? []).length === 0 || page.NextShardIterator === undefined) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

function events(count: number, keys: number): { partitionKey: string; data: Payload }[] {
  return Array.from({ length: count }, (_, n) => {
    const key = `key-${n % keys}`;
    return { partitionKey: key, data: { key, n } };
  });
}

/** Per key, the `n` values in the order they were read. */
function byKey(records: { key: string; body: Payload }[]): Map<string, number[]> {
  const map = new Map<string, number[]>();
  for (const { key, body } of records) map.set(key, [...(map.get(key) ?? []), body.n]);
  return map;
}

/**
 * Wraps the real client: the first time an entry chosen by `reject` is sent, it is taken out of the
 * request (so it really is not written) and reported back as throttled, as Kinesis reports a partial
 * failure. Everything else goes to the real stream.
 */
function rejectingOnce(
  real: KinesisClient,
  reject: (data: Payload) => boolean,
): PutRecordsClient & { injected: number } {
  const seen = new Set<number>();
  const wrapper: PutRecordsClient & { injected: number } = {
    injected: 0,
    send: (async (command: PutRecordsCommand) => {
      const entries = command.input.Records ?? [];
      const keep: typeof entries = [];
      const rejected: boolean[] = [];
      for (const entry of entries) {
        const body = JSON.parse(Buffer.from(entry.Data ?? new Uint8Array()).toString('utf8')) as Payload;
        const drop = reject(body) && !seen.has(body.n);
        if (drop) {
          seen.add(body.n);
          wrapper.injected++;
        } else {
          keep.push(entry);
        }
        rejected.push(drop);
      }
      const output =
        keep.length === 0
          ? { $metadata: {}, FailedRecordCount: 0, Records: [] }
          : await real.send(new PutRecordsCommand({ ...command.input, Records: keep }));
      const results = [...(output.Records ?? [])];
      const merged: PutRecordsResultEntry[] = rejected.map((drop) =>
        drop
          ? {
              ErrorCode: 'ProvisionedThroughputExceededException',
              ErrorMessage: 'Rate exceeded for shard (injected)',
            }
          : (results.shift() ?? {}),
      );
      return {
        ...output,
        FailedRecordCount: (output.FailedRecordCount ?? 0) + wrapper.injected,
        Records: merged,
      };
    }) as PutRecordsClient['send'],
  };
  return wrapper;
}

describe('Producer against the local stack', () => {
  let kinesis: KinesisClient;

  beforeAll(() => {
    kinesis = kinesisClient(stack().aws);
  });
  afterAll(() => {
    kinesis.destroy();
  });

  it('puts 5,000 events in batches and they read back complete and in per-key order', async () => {
    // Prepare
    const streamName = 'producer-bulk';
    await ensureStream(kinesis, streamName, 2);
    const input = events(5_000, 37);
    const progress: number[] = [];
    const producer = new Producer({ kinesis, streamName, onProgress: (p) => progress.push(p.records) });

    // Act
    const started = performance.now();
    const summary = await producer.put(input);
    const elapsedMs = performance.now() - started;
    const read = await readStream(kinesis, streamName);

    // Assess
    expect(summary).toMatchObject({
      read: 5_000,
      records: 5_000,
      batches: 10,
      retries: 0,
      failed: 0,
      writtenAhead: 0,
    });
    expect(progress.at(-1)).toBe(5_000);
    expect(read).toHaveLength(5_000);
    for (const [key, ns] of byKey(read)) {
      expect(ns, key).toEqual([...ns].sort((a, b) => a - b));
    }
    console.log(
      `producer: 5000 records in ${elapsedMs.toFixed(0)} ms (${((5000 / elapsedMs) * 1000).toFixed(0)}/s)`,
    );
  });

  it('retries only the rejected entries, with strictOrder keeping per-key order in the stream', async () => {
    // Prepare
    const streamName = 'producer-partial-strict';
    await ensureStream(kinesis, streamName, 2);
    const client = rejectingOnce(kinesis, (p) => p.n % 7 === 3);
    const delays: number[] = [];
    const producer = new Producer({
      kinesis: client,
      streamName,
      strictOrder: true,
      maxBatchRecords: 50,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });

    // Act
    const summary = await producer.put(events(600, 20));
    const read = await readStream(kinesis, streamName);

    // Assess
    expect(client.injected).toBeGreaterThan(0);
    expect(summary).toMatchObject({ records: 600, failed: 0, retries: client.injected, writtenAhead: 0 });
    expect(delays.length).toBeGreaterThan(0);
    expect(read).toHaveLength(600);
    expect(new Set(read.map((r) => r.body.n)).size).toBe(600);
    for (const [key, ns] of byKey(read)) {
      expect(ns, key).toEqual([...ns].sort((a, b) => a - b));
    }
  });

  it('holds back later same-key events until the rejected one is written, and counts same-request overtakes', async () => {
    // Prepare: key-0's first event is rejected; key-0 has later events in the same request and in later ones.
    const streamName = 'producer-partial-default';
    await ensureStream(kinesis, streamName, 1);
    const client = rejectingOnce(kinesis, (p) => p.n === 0);
    const producer = new Producer({ kinesis: client, streamName, maxBatchRecords: 4, sleep: async () => {} });

    // Act: n = 0..11 over keys key-0 / key-1; requests of 4.
    const summary = await producer.put(events(12, 2));
    const read = await readStream(kinesis, streamName);

    // Assess
    expect(summary).toMatchObject({ records: 12, retries: 1, failed: 0, writtenAhead: 1 });
    const key0 = byKey(read).get('key-0') ?? [];
    // n=2 shared the rejected request with n=0 and was written ahead of it; n=4.. waited for the retry.
    expect(key0).toEqual([2, 0, 4, 6, 8, 10]);
    expect(byKey(read).get('key-1')).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it('gives up on an entry after maxRetries and reports it with its error code', async () => {
    const streamName = 'producer-give-up';
    await ensureStream(kinesis, streamName, 1);
    const always: PutRecordsClient = {
      send: (async (command: PutRecordsCommand) => {
        const rest = (command.input.Records ?? []).slice(1);
        const output =
          rest.length === 0
            ? { $metadata: {}, Records: [] }
            : await kinesis.send(new PutRecordsCommand({ ...command.input, Records: rest }));
        return {
          ...output,
          Records: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'injected' }, ...(output.Records ?? [])],
        };
      }) as PutRecordsClient['send'],
    };
    const producer = new Producer({ kinesis: always, streamName, maxRetries: 2, sleep: async () => {} });

    const summary = await producer.put([
      { partitionKey: 'a', data: { key: 'a', n: 0 } },
      { partitionKey: 'b', data: 'plain text' },
      { partitionKey: '', data: {} },
    ]);

    expect(summary).toMatchObject({
      read: 3,
      records: 1,
      failed: 2,
      retries: 2,
      errorCodes: { InternalFailure: 1, InvalidPartitionKey: 1 },
    });
    expect(summary.failures.map((f) => [f.index, f.errorCode])).toEqual([
      [2, 'InvalidPartitionKey'],
      [0, 'InternalFailure'],
    ]);
  });

  it('puts a CloudEvent with generated id, specversion and time', async () => {
    const streamName = 'producer-cloudevent';
    await ensureStream(kinesis, streamName, 1);
    const producer = new Producer({ kinesis, streamName });

    const result = await producer.putCloudEvent({
      type: 'order.created',
      source: 'shop',
      subject: 'order/1',
      data: { n: 1 },
    });

    expect(result.records).toBe(1);
    expect(result.event).toMatchObject({ specversion: '1.0', type: 'order.created', subject: 'order/1' });
    expect(result.event.id).toMatch(/^[0-9a-f-]{36}$/);
    const [record] = await readStream(kinesis, streamName);
    expect(record?.key).toBe('order/1');
    expect(record?.body).toEqual(result.event);
  });
});
