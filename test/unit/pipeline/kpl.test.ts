import { createHash } from 'node:crypto';
import kinesisAgg from 'aws-kinesis-agg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deaggregate, isAggregated, KplError, type KplUserRecord } from '../../../router/pipeline/kpl.ts';
import {
  aggregate,
  aggregateFields,
  frame,
  MAGIC,
  message,
  recordFields,
  type WireField,
} from '../../support/kpl.ts';
import { aggregateUserRecords, type UserRecordInput } from '../../support/records.ts';

interface ReferenceUserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  subSequenceNumber?: number;
  data: string;
}

/** awslabs' reader, to check that the hand-built aggregates below are what the reference accepts. */
function referenceDeaggregate(bytes: Buffer): ReferenceUserRecord[] {
  const lib = kinesisAgg as unknown as {
    deaggregateSync: (
      record: { partitionKey: string; sequenceNumber: string; data: string },
      checksums: boolean,
      done: (error: Error | null | undefined, records?: ReferenceUserRecord[]) => void,
    ) => void;
  };
  let out: ReferenceUserRecord[] = [];
  lib.deaggregateSync(
    { partitionKey: 'agg', sequenceNumber: '1', data: bytes.toString('base64') },
    true,
    (error, records) => {
      if (error) throw error;
      out = records ?? [];
    },
  );
  return out;
}

/** The reader's output in plain values, for `toEqual`. */
function plain(records: readonly KplUserRecord[]): unknown[] {
  return records.map((r) => ({ ...r, data: r.data.toString('hex') }));
}

function errorOf(bytes: Buffer): string {
  try {
    deaggregate(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(KplError);
    return (error as KplError).message;
  }
  throw new Error('expected deaggregate to throw');
}

/** A one-record aggregate whose only record has the given fields. */
function withRecord(fields: readonly WireField[], partitionKeys: readonly string[] = ['pk']): Buffer {
  return frame(
    message([...partitionKeys.map((k): WireField => ({ field: 1, bytes: k })), { field: 3, bytes: fields }]),
  );
}

describe('deaggregate', () => {
  it('reads what the reference aggregator writes, payloads as bytes', () => {
    // Prepare
    const inputs: UserRecordInput[] = [
      { partitionKey: 'order-1', data: { n: 1 } },
      {
        partitionKey: 'order-2',
        data: Buffer.from([0, 255, 1, 254]),
        explicitHashKey: '1234567890123456789',
      },
      { partitionKey: 'order-1', data: '' },
      {
        partitionKey: 'ключ-🔑',
        data: 'x'.repeat(300),
        explicitHashKey: '340282366920938463463374607431768211455',
      },
      { partitionKey: 'order-2', data: { n: 5 }, explicitHashKey: '1234567890123456789' },
    ];
    const built = aggregateUserRecords(inputs);

    // Act
    const records = deaggregate(built.data);

    // Assess
    expect(records).toHaveLength(inputs.length);
    records.forEach((record, index) => {
      const input = inputs[index];
      expect(record.subSequenceNumber).toBe(index);
      expect(record.partitionKey).toBe(input?.partitionKey);
      expect(record.explicitHashKey).toBe(input?.explicitHashKey);
      expect(Buffer.isBuffer(record.data)).toBe(true);
      const expected = Buffer.isBuffer(input?.data)
        ? input.data
        : Buffer.from(typeof input?.data === 'string' ? input.data : JSON.stringify(input?.data));
      expect(record.data.equals(expected)).toBe(true);
    });
    expect('explicitHashKey' in (records[0] ?? {})).toBe(false);
  });

  it('agrees with the reference reader on random aggregates', () => {
    // The reference aggregator keeps its key tables in plain objects: `Object.keys` puts keys that look
    // like array indexes ("0", "17") first, so it writes indexes that point at the wrong key, and
    // "__proto__" or "hasOwnProperty" as keys break the table. Such keys are left out here (real explicit
    // hash keys are 128-bit numbers, far above any array index).
    const notIndexLike = (key: string): boolean =>
      !/^(0|[1-9][0-9]{0,9})$/.test(key) && key !== '__proto__' && key !== 'hasOwnProperty';
    const userRecord = fc.record(
      {
        partitionKey: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).filter(notIndexLike),
        data: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
        explicitHashKey: fc.bigInt({ min: 2n ** 32n, max: 2n ** 128n - 1n }).map(String),
      },
      { requiredKeys: ['partitionKey', 'data'] },
    );
    fc.assert(
      fc.property(fc.array(userRecord, { minLength: 1, maxLength: 12 }), (inputs) => {
        const bytes = aggregateUserRecords(inputs).data;
        const ours = deaggregate(bytes);
        const reference = referenceDeaggregate(bytes);
        expect(ours.map((r) => [r.partitionKey, r.data.toString('base64'), r.subSequenceNumber])).toEqual(
          reference.map((r) => [r.partitionKey, r.data, r.subSequenceNumber]),
        );
        // The reference reader reads an absent explicit_hash_key_index as 0 and so gives a record without
        // an explicit hash key the table's first one; the producer's input is the truth here.
        expect(ours.map((r) => r.explicitHashKey)).toEqual(inputs.map((r) => r.explicitHashKey));
      }),
    );
  });

  it('leaves the explicit hash key out for a record that has none, unlike the reference reader', () => {
    const bytes = aggregateUserRecords([
      { partitionKey: 'a', data: 'x' },
      { partitionKey: 'a', data: 'y', explicitHashKey: '5' },
    ]).data;

    expect(deaggregate(bytes).map((r) => r.explicitHashKey)).toEqual([undefined, '5']);
    expect(referenceDeaggregate(bytes).map((r) => r.explicitPartitionKey)).toEqual(['5', '5']);
  });

  it('reads several records with explicit hash keys and tags, which the reference reader agrees with', () => {
    // Prepare
    const bytes = aggregate(
      ['a', 'b'],
      ['100', '200'],
      [
        {
          partitionKeyIndex: 1,
          explicitHashKeyIndex: 0,
          data: '{"n":0}',
          tags: [{ key: 'k', value: 'v' }, { key: 'only-key' }],
        },
        { partitionKeyIndex: 0, data: '{"n":1}' },
        { partitionKeyIndex: 0, explicitHashKeyIndex: 1, data: '{"n":2}', tags: [{ key: 'x', value: '' }] },
      ],
    );

    // Act
    const records = deaggregate(bytes);

    // Assess
    expect(plain(records)).toEqual([
      {
        partitionKey: 'b',
        explicitHashKey: '100',
        data: Buffer.from('{"n":0}').toString('hex'),
        subSequenceNumber: 0,
      },
      { partitionKey: 'a', data: Buffer.from('{"n":1}').toString('hex'), subSequenceNumber: 1 },
      {
        partitionKey: 'a',
        explicitHashKey: '200',
        data: Buffer.from('{"n":2}').toString('hex'),
        subSequenceNumber: 2,
      },
    ]);
    expect(referenceDeaggregate(bytes).map((r) => [r.partitionKey, r.data, r.subSequenceNumber])).toEqual(
      records.map((r) => [r.partitionKey, r.data.toString('base64'), r.subSequenceNumber]),
    );
  });

  it('reads keys that a table kept in a plain object would mangle', () => {
    const keys = ['1', '0', '__proto__', 'hasOwnProperty'];
    const bytes = aggregate(
      keys,
      ['1', '0'],
      keys.map((_key, index) => ({ partitionKeyIndex: index, explicitHashKeyIndex: index % 2, data: 'x' })),
    );

    expect(deaggregate(bytes).map((r) => [r.partitionKey, r.explicitHashKey])).toEqual([
      ['1', '1'],
      ['0', '0'],
      ['__proto__', '1'],
      ['hasOwnProperty', '0'],
    ]);
  });

  it('returns the payload as a view of the aggregate, not a copy', () => {
    const bytes = aggregate(['a'], [], [{ partitionKeyIndex: 0, data: 'payload' }]);

    const [record] = deaggregate(bytes);

    expect(record?.data.buffer).toBe(bytes.buffer);
    expect(record?.data.toString()).toBe('payload');
  });

  it('returns no records for an aggregate that holds none', () => {
    expect(deaggregate(frame(Buffer.alloc(0)))).toEqual([]);
    expect(deaggregate(aggregate(['a'], [], []))).toEqual([]);
  });

  it('reads tables written after the records', () => {
    const bytes = frame(
      message([
        { field: 3, bytes: recordFields({ partitionKeyIndex: 1, data: 'd' }) },
        { field: 1, bytes: 'first' },
        { field: 1, bytes: 'second' },
      ]),
    );

    expect(deaggregate(bytes).map((r) => r.partitionKey)).toEqual(['second']);
  });

  it('skips unknown fields of every wire type at every level', () => {
    // Prepare
    const unknown: WireField[] = [
      { field: 9, varint: 2n ** 64n - 1n },
      { field: 10, fixed64: 0xdeadbeefn },
      { field: 11, bytes: Buffer.from([1, 2, 3]) },
      { field: 12, fixed32: 7 },
      {
        field: 13,
        group: [
          { field: 1, varint: 5 },
          { field: 14, group: [{ field: 2, bytes: 'nested' }] },
        ],
      },
      { field: 536_870_911, varint: 1 },
    ];
    const bytes = frame(
      message([
        ...unknown,
        { field: 1, bytes: 'pk' },
        ...unknown,
        { field: 2, bytes: '42' },
        {
          field: 3,
          bytes: [
            ...unknown,
            { field: 1, varint: 0 },
            ...unknown,
            { field: 2, varint: 0 },
            { field: 3, bytes: 'data' },
            { field: 4, bytes: [...unknown, { field: 1, bytes: 'tag' }, ...unknown] },
            ...unknown,
          ],
        },
        ...unknown,
      ]),
    );

    // Act
    const records = deaggregate(bytes);

    // Assess
    expect(plain(records)).toEqual([
      {
        partitionKey: 'pk',
        explicitHashKey: '42',
        data: Buffer.from('data').toString('hex'),
        subSequenceNumber: 0,
      },
    ]);
    expect(referenceDeaggregate(bytes)).toHaveLength(1);
  });

  it('keeps the last value of a repeated singular field, as protobuf does', () => {
    const bytes = withRecord(
      [
        { field: 1, varint: 5 },
        { field: 3, bytes: 'old' },
        { field: 1, varint: 0 },
        { field: 3, bytes: 'new' },
      ],
      ['pk'],
    );

    expect(plain(deaggregate(bytes))).toEqual([
      { partitionKey: 'pk', data: Buffer.from('new').toString('hex'), subSequenceNumber: 0 },
    ]);
  });

  it('tells a KPL aggregate from a plain record by its magic number', () => {
    expect(isAggregated(aggregate(['a'], [], []))).toBe(true);
    expect(isAggregated(Buffer.from('{"a":1}'))).toBe(false);
    expect(isAggregated(MAGIC.subarray(0, 3))).toBe(false);
  });

  describe('rejects, saying what is wrong', () => {
    const good = message(aggregateFields(['a', 'b'], [], [{ partitionKeyIndex: 0, data: 'x' }]));

    it.each<[string, () => Buffer, string | RegExp]>([
      [
        'a missing magic number',
        () => Buffer.concat([Buffer.from('nope'), good]),
        'the record does not start with the KPL magic number',
      ],
      [
        'bytes too short for the checksum',
        () => Buffer.concat([MAGIC, Buffer.alloc(10)]),
        'truncated: 14 bytes cannot hold the 4-byte magic and 16-byte checksum',
      ],
      [
        'a checksum mismatch',
        () => frame(good, Buffer.alloc(16)),
        'checksum mismatch: the MD5 digest does not match the aggregated bytes',
      ],
      [
        'a body altered after the checksum',
        () => {
          const bytes = frame(good);
          bytes[6] = (bytes[6] ?? 0) ^ 1;
          return bytes;
        },
        'checksum mismatch: the MD5 digest does not match the aggregated bytes',
      ],
      ['a truncated varint', () => frame(Buffer.from([0x48, 0x80])), 'truncated varint at byte 5'],
      ['a truncated field key', () => frame(Buffer.from([0x80])), 'truncated varint at byte 4'],
      [
        'a varint longer than 64 bits',
        () => frame(Buffer.concat([Buffer.from([0x48]), Buffer.alloc(9, 0xff), Buffer.from([0x02])])),
        'varint at byte 5 is longer than 64 bits',
      ],
      [
        'a varint of 11 bytes',
        () => frame(Buffer.concat([Buffer.from([0x48]), Buffer.alloc(10, 0x80), Buffer.from([0x00])])),
        'varint at byte 5 is longer than 64 bits',
      ],
      [
        'a truncated 64-bit field',
        () => frame(Buffer.from([0x49, 1, 2, 3])),
        'truncated 64-bit field at byte 4',
      ],
      [
        'a truncated 32-bit field',
        () => frame(Buffer.from([0x4d, 1, 2, 3])),
        'truncated 32-bit field at byte 4',
      ],
      [
        'an aggregate cut short',
        () => aggregate(['a'], [], [{ partitionKeyIndex: 0, data: 'x' }]).subarray(0, -1),
        'checksum mismatch: the MD5 digest does not match the aggregated bytes',
      ],
      [
        'a record cut short under a matching checksum',
        () => frame(aggregate(['a'], [], [{ partitionKeyIndex: 0, data: 'xyz' }]).subarray(4, -18)),
        'records[0] at byte 8 is 7 bytes long, only 5 are left',
      ],
      [
        'a length past the end',
        () => frame(Buffer.concat([good, Buffer.from([0x0a, 0x05, 0x61])])),
        `partition_key_table[2] at byte ${4 + good.length + 1} is 5 bytes long, only 1 are left`,
      ],
      [
        'a record length past the end of the aggregate',
        () => frame(Buffer.from([0x1a, 0x7f, 0x08, 0x00])),
        'records[0] at byte 5 is 127 bytes long, only 2 are left',
      ],
      [
        'a data length past the end of its record',
        // The record holds 4 bytes; its data claims 10, which the bytes after the record would cover.
        () =>
          frame(
            Buffer.concat([
              message([{ field: 1, bytes: 'a' }]),
              Buffer.from([0x1a, 0x04, 0x08, 0x00, 0x1a, 0x0a]),
              Buffer.alloc(12, 0x20),
            ]),
          ),
        'record 0: data at byte 12 is 10 bytes long, only 0 are left',
      ],
      [
        'a partition key index outside the table',
        () =>
          frame(
            message(
              aggregateFields(
                ['a', 'b'],
                [],
                [0, 1, 0, 7].map((i) => ({ partitionKeyIndex: i, data: 'x' })),
              ),
            ),
          ),
        'record 3: partition_key_index 7 is outside the table of 2 keys',
      ],
      [
        'a 64-bit partition key index',
        () =>
          withRecord([
            { field: 1, varint: 2n ** 64n - 1n },
            { field: 3, bytes: 'x' },
          ]),
        'record 0: partition_key_index above 2^53 is outside the table of 1 keys',
      ],
      [
        'an explicit hash key index outside the table',
        () =>
          frame(
            message(
              aggregateFields(['a'], ['1'], [{ partitionKeyIndex: 0, explicitHashKeyIndex: 1, data: 'x' }]),
            ),
          ),
        'record 0: explicit_hash_key_index 1 is outside the table of 1 keys',
      ],
      [
        'a record without its partition key index',
        () => withRecord([{ field: 3, bytes: 'x' }]),
        'record 0: required partition_key_index is missing',
      ],
      [
        'a record without data',
        () => withRecord([{ field: 1, varint: 0 }]),
        'record 0: required data is missing',
      ],
      [
        'a tag without its key',
        () =>
          withRecord([
            { field: 1, varint: 0 },
            { field: 3, bytes: 'x' },
            { field: 4, bytes: [{ field: 1, bytes: 'k' }] },
            { field: 4, bytes: [{ field: 2, bytes: 'v' }] },
          ]),
        /^record 0: tags\[1\] at byte \d+: required key is missing$/,
      ],
      [
        'a partition key index of the wrong wire type',
        () =>
          withRecord([
            { field: 1, bytes: '0' },
            { field: 3, bytes: 'x' },
          ]),
        'record 0: partition_key_index at byte 10 has wire type 2 (length-delimited), expected 0 (varint)',
      ],
      [
        'data of the wrong wire type',
        () =>
          withRecord([
            { field: 1, varint: 0 },
            { field: 3, fixed32: 1 },
          ]),
        'record 0: data at byte 12 has wire type 5 (32-bit), expected 2 (length-delimited)',
      ],
      [
        'a partition key table entry of the wrong wire type',
        () => frame(message([{ field: 1, varint: 3 }])),
        'partition_key_table[0] at byte 4 has wire type 0 (varint), expected 2 (length-delimited)',
      ],
      [
        'a records entry of the wrong wire type',
        () => frame(message([{ field: 3, group: [] }])),
        'records[0] at byte 4 has wire type 3 (start-group), expected 2 (length-delimited)',
      ],
      [
        'a wire type protobuf does not define',
        () => frame(message([{ key: (20 << 3) | 6 }])),
        'field 20 at byte 4 has wire type 6, which protobuf does not define',
      ],
      [
        'an end of group without its start',
        () => frame(message([{ key: (20 << 3) | 4 }])),
        'end of group 20 at byte 4 without its start',
      ],
      [
        'a group that is never closed',
        () => frame(message([{ key: (20 << 3) | 3 }, { field: 1, bytes: 'a' }])),
        'group 20 opened at byte 4 is never closed',
      ],
      [
        'a group closed under another number',
        () => frame(message([{ key: (20 << 3) | 3 }, { key: (21 << 3) | 4 }])),
        'group 20 opened at byte 4 is closed as group 21 at byte 6',
      ],
      [
        'groups nested without end',
        () => frame(message(Array.from({ length: 40 }, () => ({ key: (20 << 3) | 3 })))),
        /groups nested deeper than 32/,
      ],
      ['field number 0', () => frame(message([{ key: 2 }])), 'field number 0 at byte 4'],
      [
        'a partition key that is not UTF-8',
        () => frame(message([{ field: 1, bytes: Buffer.from([0x61, 0xff]) }])),
        'partition_key_table[0] at byte 6 is not valid UTF-8',
      ],
    ])('%s', (_what, build, expected) => {
      const message = errorOf(build());
      if (typeof expected === 'string') expect(message).toBe(expected);
      else expect(message).toMatch(expected);
    });
  });

  it('throws nothing but KplError for any corruption of a valid aggregate', () => {
    const body = message(
      aggregateFields(
        ['a', 'bb'],
        ['7'],
        [
          {
            partitionKeyIndex: 1,
            explicitHashKeyIndex: 0,
            data: '{"n":1}',
            tags: [{ key: 't', value: 'v' }],
          },
          { partitionKeyIndex: 0, data: '{"n":2}' },
        ],
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(body.length),
        (edits, cut) => {
          const mutated = Buffer.from(body.subarray(0, cut));
          for (const [at, value] of edits) if (at < mutated.length) mutated[at] = value;
          // A valid checksum over the mutated body, so the parser itself meets the damage.
          const bytes = Buffer.concat([MAGIC, mutated, createHash('md5').update(mutated).digest()]);
          try {
            const records = deaggregate(bytes);
            for (const record of records) expect(Buffer.isBuffer(record.data)).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(KplError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
