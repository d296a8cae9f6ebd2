/**
 * Builds the `KinesisStreamEvent` exactly as Lambda's Kinesis event source mapping does, so a handler
 * tested locally sees the same fields, encodings and units it will see in AWS.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** One record read from a shard, as the emulator keeps it between GetRecords and the invocation. */
export interface ShardRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** ApproximateArrivalTimestamp, epoch milliseconds. */
  readonly arrivalMs: number;
}

/** What every record of one shard's events shares. */
export interface EventSource {
  readonly shardId: string;
  readonly streamArn: string;
  readonly region: string;
  /** The function's execution role in AWS; any stable ARN locally. */
  readonly invokeIdentityArn: string;
}

/** Lambda's record: base64 data, arrival in epoch seconds with millisecond fraction, `shard:sequence` id. */
export function toKinesisStreamRecord(record: ShardRecord, source: EventSource): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString(
        'base64',
      ),
      approximateArrivalTimestamp: record.arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
}

/**
 * The event for one invocation: records in shard order, all from one shard.
 *
 * @example
 * const event = buildKinesisEvent(batch, { shardId, streamArn, region: 'us-east-1', invokeIdentityArn });
 * await handler(event, context);
 */
export function buildKinesisEvent(records: readonly ShardRecord[], source: EventSource): KinesisStreamEvent {
  return { Records: records.map((record) => toKinesisStreamRecord(record, source)) };
}

/** Orders Kinesis sequence numbers, which are decimal strings too long for a double. */
export function compareSequenceNumbers(a: string, b: string): number {
  const left = BigInt(a);
  const right = BigInt(b);
  return left < right ? -1 : left > right ? 1 : 0;
}
