import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../router/errors.ts';
import { type DecodedRecord, decodeRecords, shardIdOf } from '../../../router/pipeline/decode.ts';
import { KplError } from '../../../router/pipeline/kpl.ts';
import { aggregate } from '../../support/kpl.ts';
import {
  aggregatedRecordFactory,
  cloudEventFactory,
  kinesisEventFactory,
  kinesisRecordFactory,
} from '../../support/records.ts';

function onlyFailure(decoded: DecodedRecord[]): DecodeError {
  expect(decoded).toHaveLength(1);
  const first = decoded[0];
  if (first === undefined || first.ok) throw new Error('expected one failed record');
  expect(first.error).toBeInstanceOf(DecodeError);
  expect(first.error.retryable).toBe(false);
  return first.error;
}

describe('decodeRecords', () => {
  it('decodes a CloudEvent into an envelope keyed by source and id', () => {
    // Prepare
    const record = kinesisRecordFactory(cloudEventFactory({ id: 'a-1', source: 'orders' }), {
      shardId: 'shardId-000000000003',
      partitionKey: 'order-7',
      sequenceNumber: '100',
    });

    // Act
    const [decoded] = decodeRecords(kinesisEventFactory([record]).Records);

    // Assess
    expect(decoded).toMatchObject({
      ok: true,
      shardId: 'shardId-000000000003',
      partitionKey: 'order-7',
      sequenceNumber: '100',
      envelope: { kind: 'cloudevent', dedupKey: 'orders#a-1' },
    });
    expect(decoded?.subSequence).toBeUndefined();
  });

  it('keys a non-CloudEvents object by shard and sequence number', () => {
    const record = kinesisRecordFactory(
      { orderId: 9 },
      { shardId: 'shardId-000000000001', sequenceNumber: '42' },
    );

    const [decoded] = decodeRecords([record]);

    expect(decoded).toMatchObject({
      ok: true,
      envelope: { kind: 'raw', body: { orderId: 9 }, dedupKey: 'shardId-000000000001#42' },
    });
  });

  it('tolerates a UTF-8 byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);

    const [decoded] = decodeRecords([kinesisRecordFactory(bytes)]);

    expect(decoded).toMatchObject({ ok: true, envelope: { kind: 'raw', body: { a: 1 } } });
  });

  it('reads the shard from the Lambda event id', () => {
    expect(
      shardIdOf(kinesisRecordFactory({}, { shardId: 'shardId-000000000009', sequenceNumber: '5' })),
    ).toBe('shardId-000000000009');
  });

  it('rejects data that is not base64, naming shard, sequence and reason', () => {
    const record = kinesisRecordFactory(
      {},
      { rawBase64: 'not base64!!', shardId: 'shardId-000000000002', sequenceNumber: '77' },
    );

    const error = onlyFailure(decodeRecords([record]));

    expect(error.reason).toBe('bad-base64');
    expect(error.message).toContain('shardId-000000000002');
    expect(error.message).toContain('77');
    expect(error.message).toContain('bad-base64');
  });

  it.each([
    ['a character the decoder would skip', 'eyJh!ijoxfQ=='],
    ['padding in the middle', 'eyI=eyJhIjoxfQ=='],
    ['a partial group', 'eyJhIjoxfQ='],
    ['a line break', 'eyJhIjox\nfQ=='],
  ])('rejects base64 with %s', (_what, data) => {
    const error = onlyFailure(decodeRecords([kinesisRecordFactory({}, { rawBase64: data })]));
    expect(error.reason).toBe('bad-base64');
  });

  it('rejects bytes that are not JSON', () => {
    const error = onlyFailure(decodeRecords([kinesisRecordFactory('{"unterminated": ')]));

    expect(error.reason).toBe('bad-json');
  });

  it('rejects bytes that are not UTF-8', () => {
    const error = onlyFailure(decodeRecords([kinesisRecordFactory(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))]));

    expect(error.reason).toBe('bad-json');
    expect(error.message).toContain('UTF-8');
  });

  it.each([
    ['[1,2]', 'an array'],
    ['null', 'null'],
    ['"text"', 'a string'],
    ['12', 'a number'],
  ])('rejects JSON %s as not an object', (json, what) => {
    const error = onlyFailure(decodeRecords([kinesisRecordFactory(json)]));

    expect(error.reason).toBe('not-an-object');
    expect(error.message).toContain(what);
  });

  it('rejects a payload over the size limit before parsing it', () => {
    const record = kinesisRecordFactory({ pad: 'x'.repeat(200) });

    const decoded = decodeRecords([record], { maxBytes: 100 });

    const error = onlyFailure(decoded);
    expect(error.reason).toBe('oversize');
    expect(error.message).toMatch(/\d+ bytes, the limit is 100/);
    expect(decoded[0]?.ok === false && decoded[0].raw.length).toBeGreaterThan(100);
  });

  it('rejects a malformed CloudEvent as bad-envelope', () => {
    const record = kinesisRecordFactory(cloudEventFactory({ source: '' }));

    const error = onlyFailure(decodeRecords([record]));

    expect(error.reason).toBe('bad-envelope');
    expect(error.message).toContain("'source'");
  });

  it('unpacks a KPL aggregate into its sub-records, in order, sharing the sequence number', () => {
    // Prepare
    const record = aggregatedRecordFactory(
      [
        { partitionKey: 'k1', data: cloudEventFactory({ id: 'x1' }) },
        { partitionKey: 'k2', data: cloudEventFactory({ id: 'x2' }) },
        { partitionKey: 'k1', data: { plain: true } },
      ],
      { sequenceNumber: '900', shardId: 'shardId-000000000004' },
    );

    // Act
    const decoded = decodeRecords([record]);

    // Assess
    expect(decoded.map((d) => [d.ok, d.partitionKey, d.sequenceNumber, d.subSequence])).toEqual([
      [true, 'k1', '900', 0],
      [true, 'k2', '900', 1],
      [true, 'k1', '900', 2],
    ]);
    expect(decoded[1]).toMatchObject({ envelope: { dedupKey: 'test/source#x2' } });
    expect(decoded[2]).toMatchObject({ envelope: { kind: 'raw', dedupKey: 'shardId-000000000004#900#2' } });
  });

  it('rejects one bad sub-record of an aggregate without losing the others', () => {
    const record = aggregatedRecordFactory([
      { partitionKey: 'k1', data: { ok: 1 } },
      { partitionKey: 'k1', data: 'not json' },
    ]);

    const decoded = decodeRecords([record]);

    expect(decoded.map((d) => d.ok)).toEqual([true, false]);
    const bad = decoded[1];
    expect(bad?.ok === false && bad.error.reason).toBe('bad-json');
    expect(bad?.ok === false && bad.error.message).toContain('#1');
  });

  it('rejects an aggregate whose checksum does not match', () => {
    const record = aggregatedRecordFactory([{ partitionKey: 'k1', data: { ok: 1 } }]);
    const bytes = Buffer.from(record.kinesis.data, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    const tampered = kinesisRecordFactory(bytes);

    const error = onlyFailure(decodeRecords([tampered]));

    expect(error.reason).toBe('bad-aggregate');
    expect(error.message).toContain('KPL aggregate cannot be unpacked: checksum mismatch');
    expect(error.cause).toBeInstanceOf(KplError);
  });

  it('rejects a truncated aggregate', () => {
    const bytes = Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0x0a, 0x05, 0x61]);

    const error = onlyFailure(decodeRecords([kinesisRecordFactory(bytes)]));

    expect(error.reason).toBe('bad-aggregate');
    expect(error.message).toContain('truncated');
  });

  it('rejects a whole aggregate when one record points outside the key table, keeping its bytes', () => {
    const bytes = aggregate(
      ['k1', 'k2'],
      [],
      [
        { partitionKeyIndex: 0, data: '{"n":0}' },
        { partitionKeyIndex: 2, data: '{"n":1}' },
      ],
    );

    const decoded = decodeRecords([kinesisRecordFactory(bytes, { sequenceNumber: '31' })]);

    const error = onlyFailure(decoded);
    expect(error.reason).toBe('bad-aggregate');
    expect(error.message).toContain('record 1: partition_key_index 2 is outside the table of 2 keys');
    expect(error.message).toContain('31');
    expect(decoded[0]?.ok === false && decoded[0].raw.equals(bytes)).toBe(true);
  });

  it('rejects an aggregate that holds no user records', () => {
    const error = onlyFailure(decodeRecords([kinesisRecordFactory(aggregate(['k1'], [], []))]));

    expect(error.reason).toBe('bad-aggregate');
    expect(error.message).toContain('aggregate holds no user records');
  });

  it('decodes sub-records of a hand-built aggregate with tags and explicit hash keys', () => {
    const bytes = aggregate(
      ['k1'],
      ['170141183460469231731687303715884105728'],
      [{ partitionKeyIndex: 0, explicitHashKeyIndex: 0, data: '{"n":7}', tags: [{ key: 't', value: 'v' }] }],
    );

    const decoded = decodeRecords([kinesisRecordFactory(bytes, { sequenceNumber: '5' })]);

    expect(decoded).toMatchObject([
      { ok: true, partitionKey: 'k1', subSequence: 0, bytes: 7, envelope: { kind: 'raw', body: { n: 7 } } },
    ]);
  });

  it('keeps stream order across plain and aggregated records', () => {
    const records = [
      kinesisRecordFactory({ n: 1 }, { sequenceNumber: '1' }),
      aggregatedRecordFactory(
        [
          { partitionKey: 'a', data: { n: 2 } },
          { partitionKey: 'a', data: { n: 3 } },
        ],
        { sequenceNumber: '2' },
      ),
      kinesisRecordFactory({ n: 4 }, { sequenceNumber: '3' }),
    ];

    const decoded = decodeRecords(records);

    expect(decoded.map((d) => (d.ok && d.envelope.kind === 'raw' ? d.envelope.body.n : undefined))).toEqual([
      1, 2, 3, 4,
    ]);
  });
});
