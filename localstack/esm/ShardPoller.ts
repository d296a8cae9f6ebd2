/**
 * Reads one shard and drives its batches through the handler, one batch in flight at a time, as
 * Lambda's poller does for a Kinesis shard: fetch (filling the batching window), drop expired records,
 * invoke, then settle the result (checkpoint, retry, bisect or discard) before the next batch.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import {
  buildKinesisEvent,
  compareSequenceNumbers,
  type EventSource,
  type ShardRecord,
} from './buildKinesisEvent.ts';
import type { CheckpointStore } from './CheckpointStore.ts';
import { type BatchOutcome, interpretBatchResponse, thrownOutcome } from './interpretBatchResponse.ts';
import { type BatcherLimits, type Discard, ShardBatcher } from './ShardBatcher.ts';
import type {
  BatchReport,
  EventSourceMappingCounters,
  KinesisBatchResult,
  StartingPosition,
} from './types.ts';

/** What a poller shares with its mapping. */
export interface ShardPollerDeps {
  readonly kinesis: KinesisClient;
  readonly store: CheckpointStore;
  readonly streamName: string;
  readonly source: EventSource;
  readonly checkpointKey: string;
  readonly limits: BatcherLimits;
  readonly batchingWindowMs: number;
  readonly pollIntervalMs: number;
  readonly startingPosition: StartingPosition;
  readonly reportBatchItemFailures: boolean;
  readonly counters: EventSourceMappingCounters;
  /** Invokes the handler with a fresh context. */
  readonly invoke: (event: KinesisStreamEvent) => Promise<KinesisBatchResult>;
  /** Writes a discarded range to the on-failure destination (if any). */
  readonly discard: (discard: Discard, payload: KinesisStreamEvent, functionError: boolean) => Promise<void>;
  readonly onBatch: (report: BatchReport) => void;
  readonly onError: (error: unknown) => void;
  readonly now: () => number;
  /** Aborted by `stop()`: ends sleeps at once; the batch in flight still completes. */
  readonly signal: AbortSignal;
}

/** Records per GetRecords call, Kinesis' own maximum. */
const GET_RECORDS_LIMIT = 10_000;

/** One shard's loop; see the module comment. */
export class ShardPoller {
  readonly shardId: string;
  readonly #deps: ShardPollerDeps;
  readonly #batcher: ShardBatcher;
  #iterator: string | undefined;
  /** GetRecords returned no next iterator: the shard is closed and every record was read. */
  #closed = false;
  /** Last record read, where a renewed iterator resumes. */
  #lastFetched: string | undefined;
  /** Highest record ever handed to the handler, to tell retries from first deliveries. */
  #deliveredUpTo: string | undefined;
  /** The last failed invocation threw (reported as `functionError` in on-failure records). */
  #lastFunctionError = false;
  #idle = false;
  #idlePolls = 0;
  #finished = false;

  constructor(shardId: string, deps: ShardPollerDeps) {
    this.shardId = shardId;
    this.#deps = deps;
    this.#batcher = new ShardBatcher(deps.limits);
  }

  /** Caught up with the shard's tip, nothing buffered, nothing in flight. */
  get idle(): boolean {
    return this.#idle;
  }

  /** How many times the poller found the shard caught up; grows on every empty poll. */
  get idlePolls(): number {
    return this.#idlePolls;
  }

  /** The shard is closed and every record of it is done (children may start). */
  get finished(): boolean {
    return this.#finished;
  }

  /** Runs until the shard is finished or the mapping stops. Never rejects: errors go to `onError`. */
  async run(): Promise<void> {
    while (!this.#deps.signal.aborted && !this.#finished) {
      try {
        await this.#step();
      } catch (error) {
        this.#idle = false;
        this.#deps.onError(error);
        this.#iterator = undefined;
        await this.#sleep(this.#deps.pollIntervalMs);
      }
    }
  }

  /** One pass: fill a batch, drop expired records, invoke or go idle. */
  async #step(): Promise<void> {
    if (this.#iterator === undefined && !this.#closed) this.#iterator = await this.#openIterator();
    await this.#fill();
    if (this.#deps.signal.aborted) return;
    const expired = this.#batcher.takeExpired(this.#deps.now());
    if (expired !== undefined) await this.#settleDiscard(expired, undefined);
    const batch = this.#batcher.peekBatch();
    if (batch.length === 0) {
      if (this.#closed) {
        this.#finished = true;
        this.#idle = true;
        return;
      }
      this.#idle = true;
      this.#idlePolls += 1;
      await this.#sleep(this.#deps.pollIntervalMs);
      return;
    }
    this.#idle = false;
    const retry =
      this.#deliveredUpTo !== undefined &&
      compareSequenceNumbers(batch[0]?.sequenceNumber ?? '0', this.#deliveredUpTo) <= 0;
    await this.#invoke(batch, retry);
  }

  /** Reads until the next batch is full, the window closed, or the shard has nothing more now. */
  async #fill(): Promise<void> {
    const target = this.#batcher.nextBatchSize();
    let deadline: number | undefined;
    while (!this.#deps.signal.aborted && !this.#closed && this.#batcher.buffered < target) {
      const { count, behind } = await this.#fetch(target - this.#batcher.buffered);
      if (this.#batcher.buffered >= target) return;
      if (this.#batcher.buffered === 0) {
        if (count === 0 && !behind) return;
        continue;
      }
      if (this.#batcher.replaying) return;
      deadline ??= this.#deps.now() + this.#deps.batchingWindowMs;
      const left = deadline - this.#deps.now();
      if (left <= 0) return;
      if (count === 0 && !behind) await this.#sleep(Math.min(this.#deps.pollIntervalMs, left));
    }
  }

  async #fetch(wanted: number): Promise<{ count: number; behind: boolean }> {
    if (this.#iterator === undefined) return { count: 0, behind: false };
    const response = await this.#deps.kinesis.send(
      new GetRecordsCommand({ ShardIterator: this.#iterator, Limit: Math.min(wanted, GET_RECORDS_LIMIT) }),
    );
    const records: ShardRecord[] = (response.Records ?? []).map((record, index) => {
      if (record.SequenceNumber === undefined || record.PartitionKey === undefined) {
        throw new Error(
          `shard ${this.shardId}: GetRecords returned record #${index} without a sequence number or partition key`,
        );
      }
      return {
        sequenceNumber: record.SequenceNumber,
        partitionKey: record.PartitionKey,
        data: record.Data ?? new Uint8Array(),
        arrivalMs: record.ApproximateArrivalTimestamp?.getTime() ?? this.#deps.now(),
      };
    });
    this.#batcher.push(records);
    this.#deps.counters.recordsRead += records.length;
    const last = records.at(-1);
    if (last !== undefined) {
      this.#lastFetched = last.sequenceNumber;
      this.#idle = false;
    }
    if (response.NextShardIterator === undefined || response.NextShardIterator === null) {
      this.#iterator = undefined;
      this.#closed = true;
    } else {
      this.#iterator = response.NextShardIterator;
    }
    return { count: records.length, behind: (response.MillisBehindLatest ?? 0) > 0 };
  }

  /** Opens an iterator after the last record read, else after the checkpoint, else at the starting position. */
  async #openIterator(): Promise<string | undefined> {
    const after = this.#lastFetched ?? (await this.#deps.store.get(this.#deps.checkpointKey));
    const input: GetShardIteratorCommandInput =
      after === undefined
        ? {
            StreamName: this.#deps.streamName,
            ShardId: this.shardId,
            ShardIteratorType: this.#deps.startingPosition,
          }
        : {
            StreamName: this.#deps.streamName,
            ShardId: this.shardId,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
            StartingSequenceNumber: after,
          };
    const { ShardIterator } = await this.#deps.kinesis.send(new GetShardIteratorCommand(input));
    if (ShardIterator === undefined)
      throw new Error(`shard ${this.shardId}: GetShardIterator returned no iterator`);
    return ShardIterator;
  }

  async #invoke(batch: readonly ShardRecord[], retry: boolean): Promise<void> {
    const { counters } = this.#deps;
    const event = buildKinesisEvent(batch, this.#deps.source);
    counters.batches += 1;
    counters.recordsDelivered += batch.length;
    if (retry) counters.retries += 1;
    let outcome: BatchOutcome;
    try {
      outcome = interpretBatchResponse(
        await this.#deps.invoke(event),
        batch,
        this.#deps.reportBatchItemFailures,
      );
    } catch (error) {
      outcome = thrownOutcome(error);
    }
    const last = batch.at(-1)?.sequenceNumber ?? '0';
    if (this.#deliveredUpTo === undefined || compareSequenceNumbers(last, this.#deliveredUpTo) > 0)
      this.#deliveredUpTo = last;
    if (outcome.kind !== 'success') {
      counters.failures += 1;
      this.#lastFunctionError = outcome.kind === 'failure' && outcome.functionError;
    }
    const settled = this.#batcher.settle(batch, outcome);
    if (settled.bisected) counters.bisects += 1;
    counters.recordsCompleted += settled.completed.length;
    if (settled.discard !== undefined) await this.#settleDiscard(settled.discard, settled.checkpoint);
    else if (settled.checkpoint !== undefined) await this.#checkpoint(settled.checkpoint);
    this.#deps.onBatch({
      shardId: this.shardId,
      size: batch.length,
      firstSequenceNumber: batch[0]?.sequenceNumber ?? '',
      lastSequenceNumber: last,
      outcome: outcome.kind === 'success' ? 'success' : settled.completed.length > 0 ? 'partial' : 'failure',
      ...(outcome.kind === 'failure'
        ? { reason: outcome.reason }
        : outcome.kind === 'partial'
          ? { reason: `batchItemFailures restart at ${batch[outcome.failedIndex]?.sequenceNumber ?? '?'}` }
          : {}),
      completed: settled.completed.length,
    });
    // A failed batch is retried after a pause (not a bisected one), so a poison record does not spin.
    if (outcome.kind !== 'success' && !settled.bisected && this.#batcher.replaying) {
      await this.#sleep(this.#deps.pollIntervalMs);
    }
  }

  /** Hands a discarded range to the destination, then moves the checkpoint past it. */
  async #settleDiscard(discard: Discard, checkpoint: string | undefined): Promise<void> {
    const { counters } = this.#deps;
    counters.recordsDiscarded += discard.records.length;
    const payload = buildKinesisEvent(discard.records, this.#deps.source);
    try {
      await this.#deps.discard(
        discard,
        payload,
        this.#lastFunctionError && discard.condition === 'RetryAttemptsExhausted',
      );
    } catch (error) {
      this.#deps.onError(error);
    }
    this.#lastFunctionError = false;
    await this.#checkpoint(checkpoint ?? discard.records.at(-1)?.sequenceNumber);
  }

  async #checkpoint(sequenceNumber: string | undefined): Promise<void> {
    if (sequenceNumber === undefined) return;
    await this.#deps.store.put(this.#deps.checkpointKey, sequenceNumber);
  }

  async #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#deps.signal.aborted) return;
    try {
      await sleepFor(ms, undefined, { signal: this.#deps.signal });
    } catch (error) {
      if (!(error instanceof Error && error.name === 'AbortError')) throw error;
    }
  }
}
