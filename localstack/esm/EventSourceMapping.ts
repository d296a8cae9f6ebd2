/**
 * The local stand-in for Lambda's Kinesis event source mapping: polls every shard of a stream and
 * invokes a handler in-process with the events Lambda would send, honouring the same batching, partial
 * batch responses, bisect, retry and age limits, and checkpointing per shard in DynamoDB.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import {
  awsEnvironmentFromEnv,
  dynamoDbDocumentClient,
  kinesisClient,
  s3Client,
} from '../../router/aws/index.ts';
import { resourceNamesFromEnv } from '../../router/config.ts';
import { buildFailureRecord, failureObjectKey } from './buildFailureRecord.ts';
import { type CheckpointStore, checkpointKey } from './CheckpointStore.ts';
import { DynamoDBCheckpointStore } from './DynamoDBCheckpointStore.ts';
import type { Discard } from './ShardBatcher.ts';
import { ShardPoller } from './ShardPoller.ts';
import type { EventSourceMappingCounters, EventSourceMappingOptions, KinesisBatchResult } from './types.ts';

/** Thrown for options Lambda's CreateEventSourceMapping would reject (and a few the emulator needs). */
export class EventSourceMappingConfigError extends Error {
  override readonly name = 'EventSourceMappingConfigError';
}

interface Settings {
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeInSeconds: number;
  readonly pollIntervalMs: number;
}

function integerIn(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw new EventSourceMappingConfigError(
      `event source mapping: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return chosen;
}

/** Validates the numeric options with Lambda's bounds; names the option and the value on error. */
export function validateSettings(options: EventSourceMappingOptions): Settings {
  const age = options.maximumRecordAgeInSeconds ?? -1;
  if (age !== -1 && !(Number.isFinite(age) && age > 0 && age <= 604_800)) {
    throw new EventSourceMappingConfigError(
      `event source mapping: maximumRecordAgeInSeconds must be -1 or a number of seconds in (0, 604800], got ${String(age)}`,
    );
  }
  const window = options.maximumBatchingWindowInSeconds ?? 0;
  if (!(Number.isFinite(window) && window >= 0 && window <= 300)) {
    throw new EventSourceMappingConfigError(
      `event source mapping: maximumBatchingWindowInSeconds must be from 0 to 300, got ${String(window)}`,
    );
  }
  const poll = options.pollIntervalMs ?? 1_000;
  if (!(Number.isFinite(poll) && poll > 0)) {
    throw new EventSourceMappingConfigError(
      `event source mapping: pollIntervalMs must be positive, got ${String(poll)}`,
    );
  }
  if (
    options.startingPosition !== undefined &&
    !['TRIM_HORIZON', 'LATEST'].includes(options.startingPosition)
  ) {
    throw new EventSourceMappingConfigError(
      `event source mapping: startingPosition must be TRIM_HORIZON or LATEST, got ${String(options.startingPosition)}`,
    );
  }
  if (options.stream.trim() === '')
    throw new EventSourceMappingConfigError('event source mapping: stream is empty');
  return {
    batchSize: integerIn('batchSize', options.batchSize, 100, 1, 10_000),
    batchingWindowMs: window * 1000,
    maximumRetryAttempts: integerIn('maximumRetryAttempts', options.maximumRetryAttempts, -1, -1, 10_000),
    maximumRecordAgeInSeconds: age,
    pollIntervalMs: poll,
  };
}

/** `arn:aws:kinesis:REGION:ACCOUNT:stream/NAME` or a bare name -> the name. */
export function streamNameOf(stream: string): string {
  if (!stream.startsWith('arn:')) return stream;
  const match = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/([^/]+)$/.exec(stream);
  if (match?.[1] === undefined) {
    throw new EventSourceMappingConfigError(
      `event source mapping: stream ARN ${stream} is not a Kinesis stream ARN`,
    );
  }
  return match[1];
}

function emptyCounters(): EventSourceMappingCounters {
  return {
    recordsRead: 0,
    batches: 0,
    recordsDelivered: 0,
    recordsCompleted: 0,
    failures: 0,
    retries: 0,
    bisects: 0,
    recordsDiscarded: 0,
    sentToOnFailure: 0,
  };
}

/**
 * A running mapping. Create it with {@link startEventSourceMapping}.
 *
 * Shards are polled in parallel, one batch in flight per shard; a child shard starts once its parents
 * are finished, so per-key order holds across a reshard.
 */
export class EventSourceMapping {
  readonly streamName: string;
  readonly #options: EventSourceMappingOptions;
  readonly #settings: Settings;
  readonly #kinesis: KinesisClient;
  readonly #s3: S3Client;
  readonly #store: CheckpointStore;
  readonly #counters = emptyCounters();
  readonly #abort = new AbortController();
  readonly #pollers = new Map<string, ShardPoller>();
  readonly #running = new Set<Promise<void>>();
  #streamArn = '';
  #region = '';
  #account = '';
  #stopped: Promise<void> | undefined;

  /** Builds a stopped mapping; prefer {@link startEventSourceMapping}, which also starts it. */
  constructor(options: EventSourceMappingOptions, store?: CheckpointStore) {
    this.#options = options;
    this.#settings = validateSettings(options);
    this.streamName = streamNameOf(options.stream);
    const aws = options.aws ?? awsEnvironmentFromEnv();
    const clients = options.clients ?? {
      kinesis: kinesisClient(aws),
      dynamodb: dynamoDbDocumentClient(aws),
      s3: s3Client(aws),
    };
    this.#kinesis = clients.kinesis;
    this.#s3 = clients.s3;
    this.#store =
      store ??
      new DynamoDBCheckpointStore(
        clients.dynamodb,
        options.checkpointTable ?? resourceNamesFromEnv().esmTable,
      );
  }

  /** A copy of the running totals. */
  get counters(): Readonly<EventSourceMappingCounters> {
    return { ...this.#counters };
  }

  /** The stream's ARN as Kinesis reports it (known once started). */
  get streamArn(): string {
    return this.#streamArn;
  }

  get functionName(): string {
    return this.#options.functionName ?? 'MessageEventRouter';
  }

  get functionArn(): string {
    return (
      this.#options.functionArn ??
      `arn:aws:lambda:${this.#region}:${this.#account}:function:${this.functionName}`
    );
  }

  /** Resolves the stream, prepares the checkpoint table, then starts one poller per shard and the tick loop. */
  async start(): Promise<void> {
    const { StreamDescriptionSummary } = await this.#kinesis
      .send(new DescribeStreamSummaryCommand({ StreamName: this.streamName }))
      .catch((error: unknown) => {
        throw new Error(`event source mapping: cannot read stream ${this.streamName}: ${String(error)}`, {
          cause: error,
        });
      });
    const arn = StreamDescriptionSummary?.StreamARN;
    if (arn === undefined) throw new Error(`event source mapping: stream ${this.streamName} has no ARN`);
    this.#streamArn = arn;
    [, , , this.#region = '', this.#account = ''] = arn.split(':');
    if (this.#store instanceof DynamoDBCheckpointStore && this.#options.createCheckpointTable !== false) {
      await this.#store.ensureTable();
    }
    await this.#startShards();
    this.#track(this.#tickLoop());
  }

  /** Stops polling; resolves once every batch in flight has finished and been settled. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#abort.abort();
      while (this.#running.size > 0) await Promise.all([...this.#running]);
    })();
    return this.#stopped;
  }

  /**
   * Resolves when every shard has been seen caught up with its tip after this call, with nothing in
   * flight; rejects after `timeoutMs` naming the shards that were still busy.
   */
  async waitForIdle(timeoutMs = 30_000): Promise<void> {
    const started = Date.now();
    const baseline = new Map([...this.#pollers].map(([id, poller]) => [id, poller.idlePolls]));
    for (;;) {
      const busy = [...this.#pollers].filter(
        ([id, poller]) => !poller.finished && !(poller.idle && poller.idlePolls > (baseline.get(id) ?? -1)),
      );
      if (busy.length === 0) return;
      if (this.#abort.signal.aborted)
        throw new Error(`event source mapping ${this.streamName}: stopped while waiting for idle`);
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `event source mapping ${this.streamName}: shards ${busy.map(([id]) => id).join(', ')} not idle after ${timeoutMs} ms`,
        );
      }
      await sleepFor(5);
    }
  }

  /** Alias of {@link waitForIdle}. */
  drain(timeoutMs?: number): Promise<void> {
    return this.waitForIdle(timeoutMs);
  }

  #track(promise: Promise<void>): void {
    this.#running.add(promise);
    void promise.finally(() => this.#running.delete(promise));
  }

  #onError(error: unknown): void {
    this.#options.onError?.(error);
  }

  async #listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.#kinesis.send(
        new ListShardsCommand(token === undefined ? { StreamName: this.streamName } : { NextToken: token }),
      );
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return shards;
  }

  /** Starts a poller for each shard not yet known; children wait for their parents to finish. */
  async #startShards(): Promise<void> {
    const shards = await this.#listShards();
    const known = new Set(shards.map((shard) => shard.ShardId));
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (shardId === undefined || this.#pollers.has(shardId)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (parent): parent is string => parent !== undefined && known.has(parent),
      );
      const poller = this.#newPoller(shardId);
      this.#pollers.set(shardId, poller);
      this.#track(this.#runShard(poller, parents));
    }
  }

  async #runShard(poller: ShardPoller, parents: readonly string[]): Promise<void> {
    while (!this.#abort.signal.aborted && !parents.every((id) => this.#pollers.get(id)?.finished ?? true)) {
      await this.#sleep(this.#settings.pollIntervalMs);
    }
    await poller.run();
    if (poller.finished && !this.#abort.signal.aborted) {
      // A closed shard usually means a reshard: pick up the children.
      await this.#startShards().catch((error: unknown) => this.#onError(error));
    }
  }

  #newPoller(shardId: string): ShardPoller {
    const options = this.#options;
    return new ShardPoller(shardId, {
      kinesis: this.#kinesis,
      store: this.#store,
      streamName: this.streamName,
      source: {
        shardId,
        streamArn: this.#streamArn,
        region: this.#region,
        invokeIdentityArn: `arn:aws:iam::${this.#account}:role/${this.functionName}-role`,
      },
      checkpointKey: checkpointKey(this.streamName, options.consumerName ?? this.functionName, shardId),
      limits: {
        batchSize: this.#settings.batchSize,
        bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? false,
        maximumRetryAttempts: this.#settings.maximumRetryAttempts,
        maximumRecordAgeInSeconds: this.#settings.maximumRecordAgeInSeconds,
      },
      batchingWindowMs: this.#settings.batchingWindowMs,
      pollIntervalMs: this.#settings.pollIntervalMs,
      startingPosition: options.startingPosition ?? 'TRIM_HORIZON',
      reportBatchItemFailures: options.reportBatchItemFailures ?? false,
      counters: this.#counters,
      invoke: (event) => this.#invokeHandler(event),
      discard: (discard, payload, functionError) =>
        this.#sendToOnFailure(shardId, discard, payload, functionError),
      onBatch: (report) => options.onBatch?.(report),
      onError: (error) => this.#onError(error),
      now: options.now ?? Date.now,
      signal: this.#abort.signal,
    });
  }

  #invokeHandler(event: KinesisStreamEvent): Promise<KinesisBatchResult> {
    return this.#options.handler(event, this.#context());
  }

  /** A Lambda context as the Node.js runtime passes it; the time limit is informational only. */
  #context(): Context {
    const deadline = Date.now() + 60_000;
    const unsupported = (): void => {
      throw new Error(
        'event source mapping: callback-style context methods are not supported; return a promise',
      );
    };
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: this.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.functionArn,
      memoryLimitInMB: '1024',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${this.functionName}`,
      logStreamName: `local/${this.streamName}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: unsupported,
      fail: unsupported,
      succeed: unsupported,
    };
  }

  async #sendToOnFailure(
    shardId: string,
    discard: Discard,
    payload: KinesisStreamEvent,
    functionError: boolean,
  ): Promise<void> {
    const destination = this.#options.onFailure;
    if (destination === undefined) return;
    const requestId = randomUUID();
    const nowMs = (this.#options.now ?? Date.now)();
    const record = buildFailureRecord(discard, {
      shardId,
      streamArn: this.#streamArn,
      functionArn: this.functionArn,
      requestId,
      nowMs,
      functionError,
      payload,
    });
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: destination.bucket,
        Key: failureObjectKey(destination.prefix ?? '', shardId, nowMs, requestId),
        Body: JSON.stringify(record),
        ContentType: 'application/json',
      }),
    );
    this.#counters.sentToOnFailure += 1;
  }

  async #tickLoop(): Promise<void> {
    const tick = this.#options.onIdleTick;
    if (tick === undefined) return;
    while (!this.#abort.signal.aborted) {
      await this.#sleep(this.#settings.pollIntervalMs);
      if (this.#abort.signal.aborted) return;
      try {
        await tick();
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  async #sleep(ms: number): Promise<void> {
    try {
      await sleepFor(ms, undefined, { signal: this.#abort.signal });
    } catch (error) {
      if (!(error instanceof Error && error.name === 'AbortError')) throw error;
    }
  }
}

/**
 * Starts a mapping and resolves once every shard has a poller (records may already be flowing).
 *
 * @example
 * const esm = await startEventSourceMapping({
 *   stream: 'router-events',
 *   handler: routerHandler,
 *   aws: stack.aws,
 *   batchSize: 500,
 *   reportBatchItemFailures: true,
 *   bisectBatchOnFunctionError: true,
 *   maximumRetryAttempts: 3,
 *   onFailure: { bucket: 'router-engines', prefix: 'esm-failures/' },
 * });
 * await esm.waitForIdle();
 * await esm.stop();
 */
export async function startEventSourceMapping(
  options: EventSourceMappingOptions,
  store?: CheckpointStore,
): Promise<EventSourceMapping> {
  const mapping = new EventSourceMapping(options, store);
  try {
    await mapping.start();
  } catch (error) {
    await mapping.stop();
    throw error;
  }
  return mapping;
}
