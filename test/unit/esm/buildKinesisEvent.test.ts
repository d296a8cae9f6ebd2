import { describe, expect, it } from 'vitest';
import { buildKinesisEvent, compareSequenceNumbers } from '../../../localstack/esm/buildKinesisEvent.ts';
import { shardRecords } from './records.ts';

const source = {
  shardId: 'shardId-000000000000',
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/router-events',
  region: 'us-east-1',
  invokeIdentityArn: 'arn:aws:iam::000000000000:role/router',
};

describe('buildKinesisEvent', () => {
  it('builds every field as Lambda does', () => {
    // Prepare
    const [record] = shardRecords(1, 0, 1_545_084_650_987);
    if (record === undefined) throw new Error('factory returned no record');

    // Act
    const event = buildKinesisEvent([record], source);

    // Assess
    expect(event).toEqual({
      Records: [
        {
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: 'key-0',
            sequenceNumber: record.sequenceNumber,
            data: Buffer.from('record-0').toString('base64'),
            approximateArrivalTimestamp: 1_545_084_650.987,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `shardId-000000000000:${record.sequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: source.invokeIdentityArn,
          awsRegion: 'us-east-1',
          eventSourceARN: source.streamArn,
        },
      ],
    });
  });

  it('keeps shard order and encodes binary data without loss', () => {
    // Prepare
    const bytes = new Uint8Array([0, 255, 10, 13, 128]);
    const [first, second, third] = shardRecords(3);
    if (first === undefined || second === undefined || third === undefined)
      throw new Error('factory too short');

    // Act
    const event = buildKinesisEvent([first, second, { ...third, data: bytes.subarray(1, 4) }], source);

    // Assess
    expect(event.Records.map((r) => r.kinesis.partitionKey)).toEqual(['key-0', 'key-1', 'key-2']);
    expect(Buffer.from(event.Records[2]?.kinesis.data ?? '', 'base64')).toEqual(Buffer.from([255, 10, 13]));
  });
});

describe('compareSequenceNumbers', () => {
  it('orders numbers longer than a double holds exactly', () => {
    expect(
      compareSequenceNumbers(
        '49590338271490256608559692538361571095921575989136588898',
        '49590338271490256608559692538361571095921575989136588899',
      ),
    ).toBe(-1);
    expect(compareSequenceNumbers('100', '99')).toBe(1);
    expect(compareSequenceNumbers('42', '42')).toBe(0);
  });
});
