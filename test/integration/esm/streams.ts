/** Helpers for the ESM integration tests: fresh streams, records with readable data, S3 reads. */
import { ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { ensureBucket, ensureStream } from '../../../localstack/bootstrap.ts';
import type { KinesisFailureRecord } from '../../../localstack/esm/index.ts';
import { type AwsEnvironment, kinesisClient, s3Client } from '../../../router/aws/clients.ts';

/** A name no other test (or earlier run against a long-lived LocalStack) used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Creates a stream with `shards` shards and returns its shard ids in order. */
export async function createStream(aws: AwsEnvironment, name: string, shards = 1): Promise<string[]> {
  const kinesis = kinesisClient(aws);
  await ensureStream(kinesis, name, shards);
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: name }));
  return (Shards ?? []).map((shard) => shard.ShardId ?? '');
}

/** Puts records `r-from` .. `r-(from+count-1)`, in order, on one shard (its hash key range start). */
export async function putRecords(
  aws: AwsEnvironment,
  stream: string,
  count: number,
  from = 0,
  explicitHashKey?: string,
): Promise<void> {
  const kinesis = kinesisClient(aws);
  const { FailedRecordCount } = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: Array.from({ length: count }, (_, offset) => ({
        Data: new TextEncoder().encode(`r-${from + offset}`),
        PartitionKey: `k-${from + offset}`,
        ...(explicitHashKey === undefined ? {} : { ExplicitHashKey: explicitHashKey }),
      })),
    }),
  );
  if (FailedRecordCount !== 0)
    throw new Error(`putRecords on ${stream}: ${FailedRecordCount} records failed`);
}

/** The decoded data of an event's records, e.g. `['r-0', 'r-1']`. */
export function payloads(event: KinesisStreamEvent): string[] {
  return event.Records.map((record) => Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
}

/** Creates a bucket for on-failure records. */
export async function createBucket(aws: AwsEnvironment, bucket: string): Promise<void> {
  await ensureBucket(s3Client(aws), bucket, aws.region);
}

/** Every on-failure record under `prefix`, oldest key first. */
export async function readFailureRecords(
  aws: AwsEnvironment,
  bucket: string,
  prefix: string,
): Promise<KinesisFailureRecord[]> {
  const s3 = s3Client(aws);
  const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const keys = (Contents ?? []).map((object) => object.Key ?? '').sort();
  const records: KinesisFailureRecord[] = [];
  for (const key of keys) {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    records.push(JSON.parse((await Body?.transformToString()) ?? 'null') as KinesisFailureRecord);
  }
  return records;
}
