import { describe, expect, it } from 'vitest';
import { buildFailureRecord, failureObjectKey } from '../../../localstack/esm/buildFailureRecord.ts';
import { buildKinesisEvent } from '../../../localstack/esm/buildKinesisEvent.ts';
import { shardRecords } from './records.ts';

const source = {
  shardId: 'shardId-000000000001',
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/router-events',
  region: 'us-east-1',
  invokeIdentityArn: 'arn:aws:iam::000000000000:role/router',
};

describe('buildFailureRecord', () => {
  it("describes the discarded range in Lambda's invocation record shape", () => {
    // Prepare
    const records = shardRecords(3, 0, Date.UTC(2026, 0, 2, 3, 4, 5, 600));
    const payload = buildKinesisEvent(records, source);

    // Act
    const record = buildFailureRecord(
      { records, condition: 'RetryAttemptsExhausted', attempts: 3 },
      {
        shardId: source.shardId,
        streamArn: source.streamArn,
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:router',
        requestId: 'req-1',
        nowMs: Date.UTC(2026, 0, 2, 3, 5, 0),
        functionError: true,
        payload,
      },
    );

    // Assess
    expect(record).toEqual({
      requestContext: {
        requestId: 'req-1',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:router',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-01-02T03:05:00.000Z',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000001',
        startSequenceNumber: records[0]?.sequenceNumber,
        endSequenceNumber: records[2]?.sequenceNumber,
        approximateArrivalOfFirstRecord: '2026-01-02T03:04:05.600Z',
        approximateArrivalOfLastRecord: '2026-01-02T03:04:07.600Z',
        batchSize: 3,
        streamArn: source.streamArn,
      },
      payload: JSON.stringify(payload),
    });
  });

  it('leaves functionError out when the handler did not throw, and refuses an empty range', () => {
    const context = {
      shardId: source.shardId,
      streamArn: source.streamArn,
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:router',
      requestId: 'req-2',
      nowMs: 0,
      functionError: false,
      payload: { Records: [] },
    };
    const record = buildFailureRecord(
      { records: shardRecords(1), condition: 'RecordAgeExceeded', attempts: 0 },
      context,
    );
    expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(() =>
      buildFailureRecord({ records: [], condition: 'RecordAgeExceeded', attempts: 0 }, context),
    ).toThrow(/shard shardId-000000000001: the discarded range is empty/);
  });
});

describe('failureObjectKey', () => {
  it('groups objects by shard and day and sorts them by time', () => {
    expect(
      failureObjectKey('esm-failures/', 'shardId-000000000001', Date.UTC(2026, 10, 23, 8, 9, 10, 11), 'abc'),
    ).toBe('esm-failures/shardId-000000000001/2026/11/23/2026-11-23T08.09.10.011Z-abc.json');
  });
});
