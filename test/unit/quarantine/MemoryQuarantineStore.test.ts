import { describe, expect, it } from 'vitest';
import { decodeRecords, quarantineRecordOf } from '../../../router/pipeline/decode.ts';
import { MemoryQuarantineStore } from '../../../router/quarantine/MemoryQuarantineStore.ts';
import {
  type QuarantinedRecord,
  quarantineId,
  quarantineObjectKey,
} from '../../../router/quarantine/QuarantineStore.ts';
import { aggregatedRecordFactory, kinesisRecordFactory } from '../../support/records.ts';

function record(sequenceNumber: string, arrivedAt: string, subSequence?: number): QuarantinedRecord {
  return {
    data: Buffer.from('not json').toString('base64'),
    partitionKey: 'pk',
    sequenceNumber,
    shardId: 'shardId-000000000001',
    arrivedAt,
    ...(subSequence === undefined ? {} : { subSequence }),
  };
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('quarantine keys', () => {
  it('dates the object by arrival and names shard, sequence and sub-sequence', () => {
    expect(quarantineObjectKey(record('77', '2026-02-03T04:05:06.000Z'))).toBe(
      'quarantine/2026/02/03/shardId-000000000001/77.json',
    );
    expect(quarantineObjectKey(record('77', '2026-02-03T04:05:06.000Z', 2))).toBe(
      'quarantine/2026/02/03/shardId-000000000001/77-2.json',
    );
    expect(quarantineId(record('77', '2026-02-03T04:05:06.000Z', 2))).toBe(
      '2026-02-03T04:05:06.000Z#shardId-000000000001#77#2',
    );
    expect(() => quarantineObjectKey(record('1', 'soon'))).toThrow("arrivedAt 'soon' is not a valid time");
  });

  it('keeps the exact bytes of a rejected record and re-serialises an accepted sub-record', () => {
    const plain = kinesisRecordFactory('garbage', { sequenceNumber: '5', arrivalMs: Date.UTC(2026, 0, 2) });
    const aggregate = aggregatedRecordFactory(
      [
        { partitionKey: 'a', data: { n: 1 } },
        { partitionKey: 'b', data: { n: 2 } },
      ],
      { sequenceNumber: '6' },
    );

    const [bad, , second] = decodeRecords([plain, aggregate]);
    if (bad === undefined || second === undefined) throw new Error('expected three decoded records');

    expect(quarantineRecordOf(bad)).toEqual({
      data: Buffer.from('garbage').toString('base64'),
      partitionKey: 'pk-1',
      sequenceNumber: '5',
      shardId: 'shardId-000000000000',
      arrivedAt: '2026-01-02T00:00:00.000Z',
    });
    expect(quarantineRecordOf(second)).toMatchObject({
      partitionKey: 'b',
      sequenceNumber: '6',
      subSequence: 1,
    });
    expect(Buffer.from(quarantineRecordOf(second).data, 'base64').toString()).toBe('{"n":2}');
  });
});

describe('MemoryQuarantineStore', () => {
  it('stores an entry once per record and lists by arrival time, engine, reason and limit', async () => {
    // Prepare
    const store = new MemoryQuarantineStore({ now: () => new Date('2026-05-01T00:00:00Z') });

    // Act
    const first = await store.put({
      record: record('2', '2026-04-02T00:00:00.000Z'),
      reason: 'no-route',
      message: 'm',
      engine: 'orders',
    });
    const again = await store.put({
      record: record('2', '2026-04-02T00:00:00.000Z'),
      reason: 'no-route',
      message: 'm',
    });
    await store.put({ record: record('1', '2026-04-01T00:00:00.000Z'), reason: 'bad-json', message: 'm' });
    await store.put({
      record: record('3', '2026-04-03T00:00:00.000Z'),
      reason: 'max-attempts',
      message: 'm',
      attempts: 5,
    });

    // Assess
    expect(first.created).toBe(true);
    expect(again).toEqual({ ...first, created: false });
    expect(store.size).toBe(3);
    expect((await all(store.list())).map((e) => e.record.sequenceNumber)).toEqual(['1', '2', '3']);
    expect((await all(store.list({ since: '2026-04-02T00:00:00Z' }))).map((e) => e.reason)).toEqual([
      'no-route',
      'max-attempts',
    ]);
    expect((await all(store.list({ engine: 'orders' }))).map((e) => e.id)).toEqual([first.id]);
    expect((await all(store.list({ reason: 'bad-json' }))).map((e) => e.record.sequenceNumber)).toEqual([
      '1',
    ]);
    expect(await all(store.list({ reason: 'no-route', engine: 'billing' }))).toEqual([]);
    expect(await all(store.list({ limit: 1 }))).toHaveLength(1);
    expect(await store.get(first.id)).toMatchObject({
      quarantinedAt: '2026-05-01T00:00:00.000Z',
      engine: 'orders',
      record: { data: Buffer.from('not json').toString('base64') },
    });
    expect(await store.get('missing')).toBeUndefined();
  });
});
