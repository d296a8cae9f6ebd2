import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import { dynamoDbDocumentClient, s3Client } from '../../../router/aws/clients.ts';
import { DEFAULT_RESOURCE_NAMES } from '../../../router/config.ts';
import type { QuarantinedRecord } from '../../../router/quarantine/QuarantineStore.ts';
import { S3QuarantineStore } from '../../../router/quarantine/S3QuarantineStore.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack();
const names = { ...DEFAULT_RESOURCE_NAMES, stream: 'quarantine-test-stream' };

function record(sequenceNumber: string, arrivedAt: string, subSequence?: number): QuarantinedRecord {
  return {
    data: Buffer.from('{"broken":').toString('base64'),
    partitionKey: 'order-1',
    sequenceNumber,
    shardId: 'shardId-000000000000',
    arrivedAt,
    ...(subSequence === undefined ? {} : { subSequence }),
  };
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('S3QuarantineStore', () => {
  let store: S3QuarantineStore;

  beforeAll(async () => {
    await bootstrap({ aws: stack().aws, names, shards: 1 });
    store = new S3QuarantineStore({
      dynamodb: dynamoDbDocumentClient(stack().aws),
      s3: s3Client(stack().aws),
      table: names.enginesTable,
      bucket: names.bucket,
      now: () => new Date('2026-06-01T12:00:00Z'),
      pageSize: 7,
    });
  });

  it('writes the raw record to S3 and indexes it, readable back by id', async () => {
    // Act
    const ref = await store.put({
      record: record('49590000000000000000000000000000000000000000000000000001', '2026-05-31T10:00:00.000Z'),
      reason: 'bad-json',
      message: 'record shard shardId-000000000000 sequence 4959...: bad-json: Unexpected end of JSON input',
    });

    // Assess
    expect(ref).toEqual({
      id: '2026-05-31T10:00:00.000Z#shardId-000000000000#49590000000000000000000000000000000000000000000000000001',
      objectKey:
        'quarantine/2026/05/31/shardId-000000000000/49590000000000000000000000000000000000000000000000000001.json',
      created: true,
    });
    const head = await s3Client(stack().aws).send(
      new HeadObjectCommand({ Bucket: names.bucket, Key: ref.objectKey }),
    );
    expect(head.ContentType).toBe('application/json');
    const detail = await store.get(ref.id);
    expect(detail).toMatchObject({
      reason: 'bad-json',
      quarantinedAt: '2026-06-01T12:00:00.000Z',
      record: { data: Buffer.from('{"broken":').toString('base64'), partitionKey: 'order-1' },
    });
    expect(await store.get('2020-01-01T00:00:00.000Z#none#0')).toBeUndefined();
  });

  it('does not duplicate the index entry when the same record is quarantined again', async () => {
    const input = {
      record: record('7000', '2026-05-31T11:00:00.000Z', 1),
      reason: 'no-route',
      message: 'no route',
      engine: 'orders',
    };

    const first = await store.put(input);
    const second = await store.put({ ...input, attempts: 2 });
    const concurrent = await Promise.all([store.put(input), store.put(input)]);

    expect(first.created).toBe(true);
    expect(second).toEqual({ ...first, created: false });
    expect(concurrent.map((r) => r.created)).toEqual([false, false]);
    const listed = (await all(store.list({ engine: 'orders' }))).filter((e) => e.id === first.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.record).toEqual({
      partitionKey: 'order-1',
      sequenceNumber: '7000',
      subSequence: 1,
      shardId: 'shardId-000000000000',
      arrivedAt: '2026-05-31T11:00:00.000Z',
    });
  });

  it('lists oldest first, filtered by time, engine and limit, across pages', async () => {
    const day = '2026-04-';
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.put({
          record: record(
            String(100 + i),
            `${day}${String(1 + (i % 28)).padStart(2, '0')}T00:00:${String(i).padStart(2, '0')}.000Z`,
          ),
          reason: 'max-attempts',
          message: 'too many attempts',
          engine: i % 2 === 0 ? 'even' : 'odd',
          attempts: 5,
        }),
      ),
    );

    const april = await all(store.list({ since: '2026-04-01T00:00:00Z' }));
    const even = await all(store.list({ engine: 'even' }));
    const limited = await all(store.list({ limit: 4 }));
    const late = await all(store.list({ since: '2026-04-28T00:00:00Z', engine: 'odd' }));

    const ids = april.map((e) => e.id);
    expect(ids).toEqual([...ids].sort());
    expect(april.filter((e) => e.reason === 'max-attempts')).toHaveLength(30);
    expect(even).toHaveLength(15);
    expect(limited).toHaveLength(4);
    expect(late.map((e) => e.record.sequenceNumber)).toEqual(['127']);
  });

  it('filters by reason, alone or with the engine, across pages', async () => {
    // Prepare: 20 records in March, two engines, three reasons
    const reasons = ['no-route', 'max-attempts', 'bad-kpl-checksum'];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.put({
          record: record(String(500 + i), `2026-03-${String(1 + i).padStart(2, '0')}T00:00:00.000Z`),
          reason: reasons[i % 3] ?? 'no-route',
          message: `reason ${i % 3}`,
          engine: i % 2 === 0 ? 'reasons-a' : 'reasons-b',
        }),
      ),
    );

    // Act
    const checksum = await all(store.list({ reason: 'bad-kpl-checksum' }));
    const noRouteA = await all(store.list({ reason: 'no-route', engine: 'reasons-a' }));
    const firstTwo = await all(store.list({ reason: 'max-attempts', engine: 'reasons-b', limit: 2 }));

    // Assess: i % 3 === 2 -> 2, 5, 8, 11, 14, 17; no-route and even: 0, 6, 12, 18; max-attempts and odd: 1, 7, 13, 19
    expect(checksum.map((e) => e.record.sequenceNumber)).toEqual(['502', '505', '508', '511', '514', '517']);
    expect(noRouteA.map((e) => e.record.sequenceNumber)).toEqual(['500', '506', '512', '518']);
    expect(firstTwo.map((e) => e.record.sequenceNumber)).toEqual(['501', '507']);
  });
});
