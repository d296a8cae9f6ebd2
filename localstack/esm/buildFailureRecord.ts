/**
 * The JSON document Lambda writes to an on-failure destination when it gives up on a range of a
 * Kinesis shard, so operators' tooling (and the router's redrive) reads the same shape locally.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import type { Discard } from './ShardBatcher.ts';
import type { DiscardCondition } from './types.ts';

/** Lambda's invocation record for a discarded Kinesis batch (S3 destinations also get the payload). */
export interface KinesisFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: DiscardCondition;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
  /** The event of the discarded records, JSON-encoded, as Lambda adds it for S3 destinations. */
  readonly payload: string;
}

/** Everything a failure record is made of besides the discarded records. */
export interface FailureContext {
  readonly shardId: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly requestId: string;
  readonly nowMs: number;
  /** True when the last invocation of these records threw (Lambda's `functionError: Unhandled`). */
  readonly functionError: boolean;
  readonly payload: KinesisStreamEvent;
}

/** Builds the record for one discarded range; the range must not be empty. */
export function buildFailureRecord(discard: Discard, context: FailureContext): KinesisFailureRecord {
  const first = discard.records[0];
  const last = discard.records.at(-1);
  if (first === undefined || last === undefined) {
    throw new RangeError(`on-failure record for shard ${context.shardId}: the discarded range is empty`);
  }
  return {
    requestContext: {
      requestId: context.requestId,
      functionArn: context.functionArn,
      condition: discard.condition,
      approximateInvokeCount: discard.attempts,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(context.functionError ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: new Date(context.nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId: context.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
      batchSize: discard.records.length,
      streamArn: context.streamArn,
    },
    payload: JSON.stringify(context.payload),
  };
}

/**
 * Object key of a failure record: `PREFIX SHARD/YYYY/MM/DD/ISO-TIME-REQUESTID.json`, sortable by
 * time within a shard like the keys Lambda writes to S3 destinations.
 */
export function failureObjectKey(prefix: string, shardId: string, nowMs: number, requestId: string): string {
  const iso = new Date(nowMs).toISOString();
  const day = iso.slice(0, 10).replaceAll('-', '/');
  return `${prefix}${shardId}/${day}/${iso.replaceAll(':', '.')}-${requestId}.json`;
}
