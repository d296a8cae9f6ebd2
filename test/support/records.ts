/**
 * Builds Kinesis records and batches exactly as Lambda delivers them to the router (field names, the
 * `shardId:sequence` event id, base64 data, seconds-with-fraction arrival time), so tests of every
 * stage start from the real input shape. Also builds KPL aggregated records with awslabs' aggregator.
 */

import kinesisAgg from 'aws-kinesis-agg';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** Anything a test wants as record data: objects become JSON, strings UTF-8, buffers stay bytes. */
export type RecordData = object | string | Buffer;

/** Overrides for one record; unspecified fields get realistic defaults. */
export interface RecordOptions {
  readonly partitionKey?: string;
  readonly sequenceNumber?: string;
  readonly shardId?: string;
  /** Arrival time in epoch milliseconds. */
  readonly arrivalMs?: number;
  readonly streamName?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** Use this exact base64 text as `kinesis.data` (to build invalid records). */
  readonly rawBase64?: string;
}

/** The bytes of record data as the producer would write them. */
export function toBytes(data: RecordData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data), 'utf8');
}

let nextSequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

/** A fresh, strictly increasing sequence number in Kinesis's 56-digit form. */
export function nextSequenceNumber(): string {
  nextSequence += 1n;
  return nextSequence.toString();
}

/**
 * One `KinesisStreamRecord` as Lambda builds it.
 *
 * @example
 * const record = kinesisRecordFactory({ specversion: '1.0', id: '1', source: 's', type: 't' });
 */
export function kinesisRecordFactory(data: RecordData, options: RecordOptions = {}): KinesisStreamRecord {
  const region = options.region ?? 'us-east-1';
  const account = options.accountId ?? '123456789012';
  const shardId = options.shardId ?? 'shardId-000000000000';
  const sequenceNumber = options.sequenceNumber ?? nextSequenceNumber();
  const arrival = options.arrivalMs ?? Date.now();
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: options.partitionKey ?? 'pk-1',
      sequenceNumber,
      data: options.rawBase64 ?? toBytes(data).toString('base64'),
      approximateArrivalTimestamp: arrival / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${account}:role/router-role`,
    awsRegion: region,
    eventSourceARN: `arn:aws:kinesis:${region}:${account}:stream/${options.streamName ?? 'router-events'}`,
  };
}

/** A whole `KinesisStreamEvent` (one Lambda invocation) from records. */
export function kinesisEventFactory(records: readonly KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: [...records] };
}

/** A CloudEvent with defaults for every required attribute; `seq` makes ids unique. */
export function cloudEventFactory(
  overrides: Record<string, unknown> = {},
  seq: number = Math.floor(Math.random() * 1e9),
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: `evt-${seq}`,
    source: 'test/source',
    type: 'test.event',
    time: '2026-01-01T00:00:00Z',
    data: { seq },
    ...overrides,
  };
}

/** A user record to aggregate. */
export interface UserRecordInput {
  readonly partitionKey: string;
  readonly data: RecordData;
  readonly explicitHashKey?: string;
}

interface Aggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer; explicitHashKey?: string }): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
}

const RecordAggregator = (kinesisAgg as unknown as { RecordAggregator: new () => Aggregator })
  .RecordAggregator;

/** KPL aggregated bytes (magic, protobuf, MD5) holding the given user records, in order. */
export function aggregateUserRecords(records: readonly UserRecordInput[]): {
  partitionKey: string;
  data: Buffer;
} {
  const aggregator = new RecordAggregator();
  for (const record of records) {
    aggregator.addUserRecord({
      partitionKey: record.partitionKey,
      data: toBytes(record.data),
      ...(record.explicitHashKey === undefined ? {} : { explicitHashKey: record.explicitHashKey }),
    });
  }
  const built = aggregator.build();
  if (built === undefined) throw new Error('aggregateUserRecords: no user records given');
  return built;
}

/** A Lambda-shaped record whose data is a KPL aggregate of the given user records. */
export function aggregatedRecordFactory(
  records: readonly UserRecordInput[],
  options: RecordOptions = {},
): KinesisStreamRecord {
  const built = aggregateUserRecords(records);
  return kinesisRecordFactory(built.data, { partitionKey: built.partitionKey, ...options });
}
