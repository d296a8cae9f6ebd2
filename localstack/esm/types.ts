/**
 * The public shapes of the event source mapping emulator: its options (named and bounded as Lambda's
 * CreateEventSourceMapping names them), its counters and the progress reports it emits.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { AwsEnvironment } from '../../router/aws/index.ts';

/** What a handler may resolve to: a partial batch response, or nothing (success). */
// biome-ignore lint/suspicious/noConfusingVoidType: an async handler that returns nothing resolves to void, as aws-lambda's own KinesisStreamHandler allows.
export type KinesisBatchResult = KinesisStreamBatchResponse | undefined | null | void;

/** The function the mapping invokes: the same signature as a Lambda Kinesis handler. */
export type KinesisBatchHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisBatchResult>;

/** Where a new mapping starts reading a shard that has no checkpoint yet. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

/** S3 on-failure destination: one JSON object per discarded range, under `prefix`. */
export interface OnFailureDestination {
  readonly bucket: string;
  /** Key prefix, e.g. `esm-failures/`; a trailing slash is not added for you. */
  readonly prefix?: string;
}

/** Why a range of records was discarded, as Lambda names it in the invocation record. */
export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** Options of {@link startEventSourceMapping}; defaults follow Lambda's Kinesis ESM. */
export interface EventSourceMappingOptions {
  /** Stream name or ARN. */
  readonly stream: string;
  readonly handler: KinesisBatchHandler;
  /** Clients to use; built from `aws` (or the environment) when absent. */
  readonly clients?: {
    readonly kinesis: KinesisClient;
    readonly dynamodb: DynamoDBDocumentClient;
    readonly s3: S3Client;
  };
  /** Environment for the clients when `clients` is absent. */
  readonly aws?: AwsEnvironment;
  /** Records per invocation, 1..10,000 (default 100). */
  readonly batchSize?: number;
  /** Wait up to this long to fill a batch, 0..300 seconds (default 0). */
  readonly maximumBatchingWindowInSeconds?: number;
  /**
   * Only for shards without a checkpoint. Lambda has no default; here `TRIM_HORIZON`, so records put
   * before the local poller started are not lost.
   */
  readonly startingPosition?: StartingPosition;
  /** Honour `batchItemFailures` in the handler's response (FunctionResponseTypes). Default false. */
  readonly reportBatchItemFailures?: boolean;
  /** Split a failed batch in two and retry each half. Default false. */
  readonly bisectBatchOnFunctionError?: boolean;
  /** -1 (default) retries until the record is too old; 0..10,000 otherwise. */
  readonly maximumRetryAttempts?: number;
  /**
   * -1 (default) keeps records until the stream drops them. Lambda's minimum is 60 s; the emulator
   * accepts any positive number so tests stay fast.
   */
  readonly maximumRecordAgeInSeconds?: number;
  readonly onFailure?: OnFailureDestination;
  /** Pause between polls of a shard that is caught up, in ms (default 1,000 as Lambda; tests use less). */
  readonly pollIntervalMs?: number;
  /** Shown in the event (`invokeIdentityArn`), the context and on-failure records. */
  readonly functionName?: string;
  readonly functionArn?: string;
  /** Names this mapping's checkpoints (default the function name). Two mappings with one name share them. */
  readonly consumerName?: string;
  /** Checkpoint table (default `resourceNamesFromEnv().esmTable`). */
  readonly checkpointTable?: string;
  /** Create the checkpoint table when missing (default true; idempotent). */
  readonly createCheckpointTable?: boolean;
  /** Called once per poll interval while the mapping runs; the router resumes due waits from it. */
  readonly onIdleTick?: () => Promise<void>;
  /** Progress of every invocation. */
  readonly onBatch?: (report: BatchReport) => void;
  /** Errors the mapping survives (a failed poll, a failing tick, an on-failure write). */
  readonly onError?: (error: unknown) => void;
  /** Injected clock (epoch ms) for record ages and timestamps. */
  readonly now?: () => number;
}

/** What happened to one invocation. */
export interface BatchReport {
  readonly shardId: string;
  readonly size: number;
  readonly firstSequenceNumber: string;
  readonly lastSequenceNumber: string;
  /** `success`, `partial` (some records done), or `failure` (none done). */
  readonly outcome: 'success' | 'partial' | 'failure';
  /** Why the batch failed, when it did. */
  readonly reason?: string;
  /** Records confirmed done by this invocation. */
  readonly completed: number;
}

/** Running totals, for tests, the demo and metrics. */
export interface EventSourceMappingCounters {
  /** Records read from the shards by GetRecords, before any batch is formed (a re-read counted again). */
  recordsRead: number;
  /** Handler invocations. */
  batches: number;
  /** Records handed to the handler (replays counted again). */
  recordsDelivered: number;
  /** Records acknowledged (checkpointed) as done. */
  recordsCompleted: number;
  /** Invocations that failed wholly or partly. */
  failures: number;
  /** Invocations that re-delivered records after a failure. */
  retries: number;
  /** Failed batches split in two. */
  bisects: number;
  /** Records discarded to the on-failure destination (or dropped when there is none). */
  recordsDiscarded: number;
  /** On-failure objects written. */
  sentToOnFailure: number;
}
