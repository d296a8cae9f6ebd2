/**
 * The per-key scheduler: runs the per-record work of a window with Kinesis ordering rules and turns the
 * outcomes into the partial batch response Lambda expects.
 *
 * ```
 * stream order:  a1  b1  a2  c1  b2  a3
 * key a:         a1 -> a2(retry) -> a3 skipped      (a2 and a3 reported, a3 never run)
 * key b:         b1 -> b2                           (concurrently with a and c)
 * key c:         c1
 * batchItemFailures: [a2, a3]  -> Lambda resumes the shard from a2; dedup absorbs b2's replay.
 * ```
 */

/** What happened to one item: finished (including quarantined), or to be redelivered. */
export type Outcome = { readonly kind: 'done' } | { readonly kind: 'retry'; readonly error: unknown };

/** The partial batch response of a Kinesis-triggered Lambda (`ReportBatchItemFailures`). */
export interface BatchItemFailure {
  readonly itemIdentifier: string;
}

/** Options of {@link processInOrder}. */
export interface ProcessOptions<T> {
  /** The ordering key (the Kinesis partition key; sub-records of an aggregate have their own). */
  keyOf(item: T): string;
  /** The identifier Lambda wants back (default: the item's `sequenceNumber`). */
  idOf?(item: T): string;
  /** How many keys run at the same time (at least 1). */
  readonly concurrency: number;
  /** The work for one item. A thrown error counts as `retry`. */
  process(item: T): Promise<Outcome>;
  /** Checked before each item starts; once true, unstarted items are reported for redelivery. */
  shouldStop?(): boolean;
  /**
   * Keys that already failed earlier in the same Lambda batch (a batch handled in windows): their items
   * are reported without being run. Keys that fail here are added.
   */
  readonly failedKeys?: Set<string>;
}

/** The result of a batch: Lambda's response plus counts for logs and metrics. */
export interface ScheduleResult {
  readonly batchItemFailures: BatchItemFailure[];
  readonly done: number;
  readonly retried: number;
  /** Items never run because an earlier item of their key failed or time ran out. */
  readonly skipped: number;
}

function defaultId(item: unknown): string {
  const id =
    typeof item === 'object' && item !== null
      ? (item as { sequenceNumber?: unknown }).sequenceNumber
      : undefined;
  if (typeof id !== 'string') throw new TypeError('processInOrder: item has no sequenceNumber; pass idOf');
  return id;
}

/**
 * Processes items so that the same key runs strictly in stream order and different keys run
 * concurrently, at most `concurrency` at a time. A `retry` outcome fails its item and every later item
 * of the same key (which are reported without being run). Only the positions of the items and the
 * failed identifiers are held, so a batch of 10,000 records costs a few arrays of integers.
 *
 * @example
 * const { batchItemFailures } = await processInOrder(decoded, {
 *   keyOf: (r) => r.partitionKey, concurrency: 8, process: (r) => runRecord(r),
 * });
 * return { batchItemFailures };
 */
export async function processInOrder<T>(
  items: readonly T[],
  options: ProcessOptions<T>,
): Promise<ScheduleResult> {
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`processInOrder: concurrency must be a positive integer, got ${concurrency}`);
  }
  const idOf = options.idOf ?? defaultId;
  // Chain items of the same key: next[i] is the following item with item i's key, or -1.
  const next = new Int32Array(items.length).fill(-1);
  const heads: number[] = [];
  const tails = new Map<string, number>();
  const { failedKeys } = options;
  for (let i = 0; i < items.length; i++) {
    const key = options.keyOf(items[i] as T);
    const tail = tails.get(key);
    if (tail === undefined) heads.push(i);
    else next[tail] = i;
    tails.set(key, i);
  }
  tails.clear();

  const failed = new Uint8Array(items.length);
  let done = 0;
  let retried = 0;
  let skipped = 0;
  let cursor = 0;

  const runChain = async (head: number): Promise<void> => {
    let i = head;
    const key = failedKeys === undefined ? undefined : options.keyOf(items[head] as T);
    while (i !== -1 && (key === undefined || !failedKeys?.has(key))) {
      const item = items[i] as T;
      if (options.shouldStop?.() === true) break;
      let outcome: Outcome;
      try {
        outcome = await options.process(item);
      } catch (error) {
        outcome = { kind: 'retry', error };
      }
      if (outcome.kind === 'retry') {
        failed[i] = 1;
        retried++;
        if (key !== undefined) failedKeys?.add(key);
        i = next[i] ?? -1;
        break;
      }
      done++;
      i = next[i] ?? -1;
    }
    if (i !== -1 && key !== undefined) failedKeys?.add(key);
    for (; i !== -1; i = next[i] ?? -1) {
      failed[i] = 1;
      skipped++;
    }
  };

  const worker = async (): Promise<void> => {
    while (cursor < heads.length) {
      const head = heads[cursor++] as number;
      await runChain(head);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, heads.length) }, worker));

  const seen = new Set<string>();
  const batchItemFailures: BatchItemFailure[] = [];
  for (let i = 0; i < items.length; i++) {
    if (failed[i] !== 1) continue;
    const id = idOf(items[i] as T);
    if (seen.has(id)) continue;
    seen.add(id);
    batchItemFailures.push({ itemIdentifier: id });
  }
  return { batchItemFailures, done, retried, skipped };
}
