/**
 * The producer side of the stream: batches events into PutRecords calls within Kinesis's limits and
 * retries only the entries a partial failure rejected, without letting a later event of the same
 * partition key overtake an earlier one that is waiting for its retry.
 *
 * ```
 * input:    k1a k2a k1b k1c k2b          (k1a fails with ProvisionedThroughputExceeded)
 * batch 1:  k1a k2a k1b k1c k2b    -> k1a failed; k1b, k1c were in the same request (see below)
 * batch 2:  k1a (after backoff)    -> later k1 events read after batch 1 wait for this round
 * ```
 * PutRecords itself does not order a request's entries against a failed one: entries after a failed
 * entry of the same key in the same request may be written. `strictOrder` puts at most one entry per
 * key in a request, so nothing can overtake; otherwise such overtakes are counted in `writtenAhead`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { isRetryableAwsError } from '../errors.ts';

/** One event to put. Objects are written as JSON, strings as UTF-8, buffers unchanged. */
export interface ProducerEvent {
  readonly partitionKey: string;
  readonly data: object | Buffer | Uint8Array | string;
  readonly explicitHashKey?: string;
}

/** Progress after every request, for progress bars. */
export interface ProducerProgress {
  /** Events read from the input so far. */
  readonly read: number;
  /** Events written. */
  readonly records: number;
  readonly bytes: number;
  readonly batches: number;
  readonly retries: number;
  readonly failed: number;
}

/** One event that could not be written. */
export interface ProducerFailure {
  /** Position of the event in the input (0-based). */
  readonly index: number;
  readonly partitionKey: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** What a `put` did. */
export interface ProducerSummary extends ProducerProgress {
  /** Failed events per error code. */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** The first failures (at most 100), with their input positions. */
  readonly failures: readonly ProducerFailure[];
  /** Entries written in the same request after a failed earlier entry of their key (0 with strictOrder). */
  readonly writtenAhead: number;
}

/** The one method used from the Kinesis client, so a test can wrap a real client. */
export type PutRecordsClient = Pick<KinesisClient, 'send'>;

/** Options of {@link Producer}. */
export interface ProducerOptions {
  readonly kinesis: PutRecordsClient;
  readonly streamName: string;
  /** Entries per PutRecords request, at most 500 (the service limit). Default 500. */
  readonly maxBatchRecords?: number;
  /** Bytes (data + partition keys) per request, at most 5 MiB (the service limit). Default 5 MiB. */
  readonly maxBatchBytes?: number;
  /** Retry rounds for a rejected entry before it counts as failed. Default 8. */
  readonly maxRetries?: number;
  /** First backoff in ms; doubles per round, with full jitter. Default 100. */
  readonly baseDelayMs?: number;
  /** Backoff ceiling in ms. Default 5000. */
  readonly maxDelayMs?: number;
  /** At most one entry per partition key per request, so no entry can overtake a failed one. */
  readonly strictOrder?: boolean;
  readonly onProgress?: (progress: ProducerProgress) => void;
  /** Injectable for tests: random in [0, 1) and sleep. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Kinesis limits. */
export const KINESIS_LIMITS = {
  maxBatchRecords: 500,
  maxBatchBytes: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
  maxPartitionKeyLength: 256,
} as const;

interface Entry {
  readonly index: number;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly explicitHashKey?: string;
  readonly size: number;
  attempts: number;
}

const MAX_LISTED_FAILURES = 100;

function toData(data: ProducerEvent['data']): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data), 'utf8');
}

async function* iterate<T>(events: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  yield* events;
}

/** The input to {@link Producer.putCloudEvent}: the required attributes besides the generated ones. */
export interface CloudEventInput {
  readonly type: string;
  readonly source: string;
  readonly data?: unknown;
  readonly id?: string;
  readonly subject?: string;
  readonly time?: string;
  readonly engine?: string;
  readonly [extension: string]: unknown;
}

/** Completes a CloudEvent: `specversion` 1.0, a UUID `id` and the current `time` unless given. */
export function toCloudEvent(
  input: CloudEventInput,
  now: () => Date = () => new Date(),
): Record<string, unknown> {
  return { specversion: '1.0', id: randomUUID(), time: now().toISOString(), ...input };
}

/**
 * Puts events on a stream with PutRecords, batching, retrying partial failures with jittered backoff and
 * keeping per-key order.
 *
 * @example
 * const producer = new Producer({ kinesis: kinesisClient(), streamName: 'router-events' });
 * const summary = await producer.put(events.map((e) => ({ partitionKey: e.subject, data: e })));
 * if (summary.failed > 0) console.error(summary.errorCodes);
 */
export class Producer {
  readonly #options: ProducerOptions;
  readonly #maxRecords: number;
  readonly #maxBytes: number;
  readonly #maxRetries: number;

  constructor(options: ProducerOptions) {
    this.#options = options;
    this.#maxRecords = options.maxBatchRecords ?? KINESIS_LIMITS.maxBatchRecords;
    this.#maxBytes = options.maxBatchBytes ?? KINESIS_LIMITS.maxBatchBytes;
    this.#maxRetries = options.maxRetries ?? 8;
    if (!Number.isInteger(this.#maxRecords) || this.#maxRecords < 1 || this.#maxRecords > 500) {
      throw new RangeError(`Producer: maxBatchRecords must be 1..500, got ${this.#maxRecords}`);
    }
    if (this.#maxBytes < 1 || this.#maxBytes > KINESIS_LIMITS.maxBatchBytes) {
      throw new RangeError(
        `Producer: maxBatchBytes must be 1..${KINESIS_LIMITS.maxBatchBytes}, got ${this.#maxBytes}`,
      );
    }
  }

  /** Puts one CloudEvent (completed by {@link toCloudEvent}); its partition key is `subject`, else `id`. */
  async putCloudEvent(
    input: CloudEventInput,
    options: { readonly partitionKey?: string } = {},
  ): Promise<ProducerSummary & { readonly event: Record<string, unknown> }> {
    const event = toCloudEvent(input);
    const partitionKey = options.partitionKey ?? String(event.subject ?? event.id);
    const summary = await this.put([{ partitionKey, data: event }]);
    return { ...summary, event };
  }

  /** Puts every event, reading the input lazily; resolves with the summary once all are written or given up. */
  async put(events: Iterable<ProducerEvent> | AsyncIterable<ProducerEvent>): Promise<ProducerSummary> {
    const source = iterate(events);
    const random = this.#options.random ?? Math.random;
    const pause = this.#options.sleep ?? ((ms: number) => sleep(ms));
    const baseDelay = this.#options.baseDelayMs ?? 100;
    const maxDelay = this.#options.maxDelayMs ?? 5_000;
    const state = { read: 0, records: 0, bytes: 0, batches: 0, retries: 0, failed: 0, writtenAhead: 0 };
    const errorCodes: Record<string, number> = {};
    const failures: ProducerFailure[] = [];
    const fail = (
      entry: { index: number; partitionKey: string },
      errorCode: string,
      errorMessage: string,
    ) => {
      state.failed++;
      errorCodes[errorCode] = (errorCodes[errorCode] ?? 0) + 1;
      if (failures.length < MAX_LISTED_FAILURES) {
        failures.push({ index: entry.index, partitionKey: entry.partitionKey, errorCode, errorMessage });
      }
    };

    // Pending entries in input order; retried entries are merged back by input position.
    let pending: Entry[] = [];
    let exhausted = false;
    const lookahead = this.#maxRecords * 2;
    const fill = async (): Promise<void> => {
      while (!exhausted && pending.length < lookahead) {
        const next = await source.next();
        if (next.done === true) {
          exhausted = true;
          return;
        }
        const index = state.read++;
        const event = next.value;
        const data = toData(event.data);
        const keyLength = typeof event.partitionKey === 'string' ? event.partitionKey.length : 0;
        if (keyLength < 1 || keyLength > KINESIS_LIMITS.maxPartitionKeyLength) {
          fail(
            { index, partitionKey: String(event.partitionKey) },
            'InvalidPartitionKey',
            `event ${index}: partition key must be 1 to 256 characters`,
          );
          continue;
        }
        const size = data.byteLength + Buffer.byteLength(event.partitionKey, 'utf8');
        if (size > KINESIS_LIMITS.maxRecordBytes || size > this.#maxBytes) {
          fail(
            { index, partitionKey: event.partitionKey },
            'RecordTooLarge',
            `event ${index}: ${size} bytes with its partition key, over the ${Math.min(KINESIS_LIMITS.maxRecordBytes, this.#maxBytes)}-byte limit`,
          );
          continue;
        }
        pending.push({
          index,
          partitionKey: event.partitionKey,
          data,
          size,
          attempts: 0,
          ...(event.explicitHashKey === undefined ? {} : { explicitHashKey: event.explicitHashKey }),
        });
      }
    };

    for (;;) {
      await fill();
      if (pending.length === 0) break;
      const { batch, rest } = this.#takeBatch(pending);
      pending = rest;
      const round = batch.reduce((max, e) => Math.max(max, e.attempts), 0);
      if (round > 0) {
        const ceiling = Math.min(maxDelay, baseDelay * 2 ** (round - 1));
        await pause(Math.floor(random() * ceiling));
      }
      const failed = await this.#send(batch, state);
      const retry: Entry[] = [];
      for (const { entry, errorCode, errorMessage } of failed) {
        entry.attempts++;
        if (entry.attempts > this.#maxRetries) {
          fail(entry, errorCode, errorMessage);
        } else {
          state.retries++;
          retry.push(entry);
        }
      }
      if (retry.length > 0) pending = mergeByIndex(retry, pending);
      this.#options.onProgress?.({
        read: state.read,
        records: state.records,
        bytes: state.bytes,
        batches: state.batches,
        retries: state.retries,
        failed: state.failed,
      });
    }
    return { ...state, errorCodes, failures };
  }

  /**
   * The next request: pending entries in order, skipping (and then blocking the key of) any entry that
   * does not fit, so no entry is sent ahead of an earlier pending entry of its key.
   */
  #takeBatch(pending: Entry[]): { batch: Entry[]; rest: Entry[] } {
    const batch: Entry[] = [];
    const rest: Entry[] = [];
    const blocked = new Set<string>();
    const inBatch = new Set<string>();
    let bytes = 0;
    let full = false;
    for (const entry of pending) {
      const key = entry.partitionKey;
      const fits =
        !full &&
        !blocked.has(key) &&
        !(this.#options.strictOrder === true && inBatch.has(key)) &&
        bytes + entry.size <= this.#maxBytes;
      if (fits) {
        batch.push(entry);
        inBatch.add(key);
        bytes += entry.size;
        if (batch.length >= this.#maxRecords) full = true;
      } else {
        blocked.add(key);
        rest.push(entry);
      }
    }
    return { batch, rest };
  }

  async #send(
    batch: Entry[],
    state: { records: number; bytes: number; batches: number; writtenAhead: number },
  ): Promise<{ entry: Entry; errorCode: string; errorMessage: string }[]> {
    const records: PutRecordsRequestEntry[] = batch.map((e) => ({
      PartitionKey: e.partitionKey,
      Data: e.data,
      ...(e.explicitHashKey === undefined ? {} : { ExplicitHashKey: e.explicitHashKey }),
    }));
    state.batches++;
    let output: PutRecordsCommandOutput;
    try {
      output = await this.#options.kinesis.send(
        new PutRecordsCommand({ StreamName: this.#options.streamName, Records: records }),
      );
    } catch (error) {
      if (!isRetryableAwsError(error)) throw error;
      const errorCode = error instanceof Error ? error.name : 'Error';
      const errorMessage = error instanceof Error ? error.message : String(error);
      return batch.map((entry) => ({ entry, errorCode, errorMessage }));
    }
    const results = output.Records ?? [];
    const failed: { entry: Entry; errorCode: string; errorMessage: string }[] = [];
    const failedKeys = new Set<string>();
    batch.forEach((entry, i) => {
      const result = results[i];
      if (result === undefined || result.ErrorCode !== undefined || result.SequenceNumber === undefined) {
        failed.push({
          entry,
          errorCode: result?.ErrorCode ?? 'MissingResult',
          errorMessage: result?.ErrorMessage ?? 'PutRecords returned no result for this entry',
        });
        failedKeys.add(entry.partitionKey);
        return;
      }
      if (failedKeys.has(entry.partitionKey)) state.writtenAhead++;
      state.records++;
      state.bytes += entry.data.byteLength;
    });
    return failed;
  }
}

function mergeByIndex(a: Entry[], b: Entry[]): Entry[] {
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.index < y.index)) {
      out.push(x as Entry);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}
