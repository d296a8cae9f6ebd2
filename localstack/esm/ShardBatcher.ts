/**
 * The per-shard bookkeeping of the event source mapping, kept free of I/O so the retry, bisect and
 * age rules can be tested record by record: which records form the next batch, what a result means
 * for the checkpoint, and when a range is given up on.
 *
 * ```
 *  checkpoint ─┐
 *              ▼
 *  shard:  ... │ r1 r2 r3 r4 r5 r6 r7 r8 │ r9 ...          buffer = fetched, not yet done
 *              └── planned[0] ──┘└─ [1] ─┘                  planned = sizes forced by a retry / bisect
 * ```
 * A success removes the batch from the buffer's front (the caller checkpoints its last record). A
 * thrown error with bisect on replaces the batch by its two halves (no retry consumed). Any other
 * failure retries the same records (from the lowest reported failure for a partial response) until
 * `maximumRetryAttempts` is spent, then the range is discarded.
 */
import type { ShardRecord } from './buildKinesisEvent.ts';
import type { BatchOutcome } from './interpretBatchResponse.ts';
import type { DiscardCondition } from './types.ts';

/** The limits the batcher enforces (already validated). */
export interface BatcherLimits {
  readonly batchSize: number;
  readonly bisectBatchOnFunctionError: boolean;
  /** -1 = infinite. */
  readonly maximumRetryAttempts: number;
  /** -1 = infinite. */
  readonly maximumRecordAgeInSeconds: number;
}

/** Records given up on, to be written to the on-failure destination before the checkpoint moves past them. */
export interface Discard {
  readonly records: readonly ShardRecord[];
  readonly condition: DiscardCondition;
  /** Invocations that included these records. */
  readonly attempts: number;
}

/** What the caller must do after a batch settled. */
export interface Settlement {
  /** Records now done (a prefix of the batch). */
  readonly completed: readonly ShardRecord[];
  readonly discard?: Discard;
  /** Last record the checkpoint may move to (completed or discarded), if any. */
  readonly checkpoint?: string;
  readonly bisected: boolean;
}

/** See the module comment: the buffer of one shard and the rules that move through it. */
export class ShardBatcher {
  readonly #limits: BatcherLimits;
  #buffer: ShardRecord[] = [];
  /** Sizes of the next batches when a retry or bisect fixed them; empty means "up to batchSize". */
  #planned: number[] = [];
  /** Failed invocations of the batch at the front (reset when the front moves or a bisect happens). */
  #failures = 0;

  constructor(limits: BatcherLimits) {
    this.#limits = limits;
  }

  /** Fetched records not yet done, oldest first. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Failed invocations counted against the batch at the front. */
  get failures(): number {
    return this.#failures;
  }

  /** How many records the next batch wants; the poller fetches until the buffer holds that many. */
  nextBatchSize(): number {
    return this.#planned[0] ?? this.#limits.batchSize;
  }

  /** True when the next batch is fixed by a retry or a bisect (no batching window applies). */
  get replaying(): boolean {
    return this.#planned.length > 0;
  }

  /** Appends records just read from the shard. */
  push(records: readonly ShardRecord[]): void {
    for (const record of records) this.#buffer.push(record);
  }

  /**
   * Removes the records at the front that are older than the age limit and returns them as a discard,
   * because Lambda never delivers (nor re-delivers) a record past MaximumRecordAgeInSeconds.
   */
  takeExpired(nowMs: number): Discard | undefined {
    const maxAge = this.#limits.maximumRecordAgeInSeconds;
    if (maxAge < 0) return undefined;
    let count = 0;
    while (count < this.#buffer.length) {
      const record = this.#buffer[count];
      if (record === undefined || nowMs - record.arrivalMs <= maxAge * 1000) break;
      count += 1;
    }
    if (count === 0) return undefined;
    const attempts = this.#failures;
    const records = this.#removeFront(count);
    return { records, condition: 'RecordAgeExceeded', attempts };
  }

  /** The records of the next invocation (without removing them: they stay until settled). */
  peekBatch(): readonly ShardRecord[] {
    return this.#buffer.slice(0, this.nextBatchSize());
  }

  /** Applies an invocation's outcome to the batch `peekBatch()` returned. */
  settle(batch: readonly ShardRecord[], outcome: BatchOutcome): Settlement {
    const size = batch.length;
    if (outcome.kind === 'success') {
      const completed = this.#removeFront(size);
      return withCheckpoint({ completed, bisected: false });
    }
    const replay = this.#planned.length > 0;
    if (outcome.kind === 'partial' && outcome.failedIndex > 0) {
      const completed = this.#removeFront(outcome.failedIndex);
      // A replayed batch's planned size already shrank to the remainder; a fresh one needs a plan.
      if (!replay) this.#planned.unshift(size - outcome.failedIndex);
      this.#failures = 1;
      return withCheckpoint({ completed, bisected: false, ...this.#discardIfExhausted() });
    }
    if (
      outcome.kind === 'failure' &&
      outcome.functionError &&
      this.#limits.bisectBatchOnFunctionError &&
      size > 1
    ) {
      const first = Math.ceil(size / 2);
      this.#planned.shift();
      this.#planned.unshift(first, size - first);
      this.#failures = 0;
      return { completed: [], bisected: true };
    }
    this.#failures += 1;
    if (!replay) this.#planned.unshift(size);
    return withCheckpoint({ completed: [], bisected: false, ...this.#discardIfExhausted() });
  }

  #discardIfExhausted(): { discard?: Discard } {
    const max = this.#limits.maximumRetryAttempts;
    if (max < 0 || this.#failures <= max) return {};
    const attempts = this.#failures;
    const records = this.#removeFront(this.nextBatchSize());
    return { discard: { records, condition: 'RetryAttemptsExhausted', attempts } };
  }

  /** Removes `count` records from the front, consuming the planned sizes they covered. */
  #removeFront(count: number): ShardRecord[] {
    const removed = this.#buffer.splice(0, count);
    let left = removed.length;
    while (left > 0 && this.#planned.length > 0) {
      const head = this.#planned[0] ?? 0;
      if (head <= left) {
        this.#planned.shift();
        left -= head;
      } else {
        this.#planned[0] = head - left;
        left = 0;
      }
    }
    if (removed.length > 0) this.#failures = 0;
    return removed;
  }
}

function withCheckpoint(settlement: Omit<Settlement, 'checkpoint'>): Settlement {
  const last = settlement.discard?.records.at(-1) ?? settlement.completed.at(-1);
  return last === undefined ? settlement : { ...settlement, checkpoint: last.sequenceNumber };
}
