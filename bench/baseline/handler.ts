/**
 * The baseline a user would write without the router: Powertools `BatchProcessor` over the Kinesis batch,
 * `processPartialResponse` for `batchItemFailures`, and `makeIdempotent` around the three steps, keyed on
 * the CloudEvent's `source` + `id` (the router's dedup key). The benchmark measures the router against it,
 * with an in-memory persistence layer (CPU cost) and with Powertools' DynamoDB layer (round trips).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { isJsonObject, type JsonObject, type JsonValue } from '../../router/asl/index.ts';
import { runSteps, type Step } from './workload.ts';

/** Options of {@link createBaselineHandler}. */
export interface BaselineOptions {
  /** Where idempotency records live (Powertools' DynamoDB layer, or the in-memory one). */
  readonly persistenceStore: BasePersistenceLayer;
  /** Steps run in order; each result is stored under the step's name, as a Task's ResultPath would. */
  readonly steps: ReadonlyArray<readonly [name: string, step: Step]>;
  /** How long a completed message is remembered. Default 7 days, the router's retention. */
  readonly expiresAfterSeconds?: number;
  /**
   * One record at a time, in batch order (Powertools' `processInParallel: false`): the way to keep
   * per-key order with `BatchProcessor`, which the router keeps while running keys concurrently.
   */
  readonly sequential?: boolean;
}

/** A Lambda handler for a Kinesis event source mapping. */
export type BaselineHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse>;

/** The CloudEvent in a Kinesis record, or an error naming the record and what is wrong with it. */
export function cloudEventOf(record: KinesisStreamRecord): JsonObject {
  const where = `record ${record.eventID}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
  } catch (error) {
    throw new Error(`${where}: data is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJsonObject(parsed as JsonValue)) throw new Error(`${where}: data is not a JSON object`);
  const event = parsed as JsonObject;
  if (typeof event.source !== 'string' || typeof event.id !== 'string') {
    throw new Error(`${where}: not a CloudEvent (needs string 'source' and 'id')`);
  }
  return event;
}

/**
 * Builds the baseline handler.
 *
 * @example
 * const handler = createBaselineHandler({ persistenceStore: new MemoryPersistenceLayer(), steps: STEPS });
 * const { batchItemFailures } = await handler(event, context);
 */
export function createBaselineHandler(options: BaselineOptions): BaselineHandler {
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[source, id]',
    expiresAfterSeconds: options.expiresAfterSeconds ?? 7 * 24 * 3600,
  });
  const run = async (event: JsonObject): Promise<JsonValue> => runSteps(options.steps, event.data);
  const processIdempotently = makeIdempotent(run, {
    persistenceStore: options.persistenceStore,
    config,
  });
  const recordHandler = (record: KinesisStreamRecord): Promise<JsonValue> =>
    processIdempotently(cloudEventOf(record));
  return async (event, context) => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, {
      context,
      throwOnFullBatchFailure: false,
      processInParallel: options.sequential !== true,
    });
  };
}

/** A Lambda context for running the handler outside Lambda, with `timeoutMs` to spend. */
export function lambdaContext(timeoutMs = 900_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'baseline',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:baseline',
    memoryLimitInMB: '1024',
    awsRequestId: 'bench',
    logGroupName: '/aws/lambda/baseline',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
