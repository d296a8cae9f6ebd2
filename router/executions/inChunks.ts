/**
 * Batch requests sent side by side. A batch pre-check or a bulk completion of 2,000 records is 20
 * BatchGetItem or 80 BatchWriteItem requests: one after the other, their round trips add up to most of
 * an express batch's time; a few at once keep the order of magnitude of one.
 */

/** Rounds of a bulk request's leftovers (unprocessed keys or items, throttled statements) before giving up. */
export const LEFTOVER_ROUNDS = 8;

/**
 * Waits before sending round `round` of a bulk request's leftovers again (none before the first):
 * 50 ms doubling to a second, as DynamoDB asks of what it leaves unprocessed.
 */
export function leftoverBackoff(round: number): Promise<void> {
  if (round === 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
}

/** Requests of one bulk read or write in flight at once: well inside the SDK's 50 sockets. */
export const PARALLEL_BATCH_REQUESTS = 8;

/**
 * Runs `work` on each slice of `items` of at most `size`, `parallel` slices at a time. After a failure no
 * new slice starts; the call rejects with the first failure once the slices already started have
 * settled, so nothing is left running behind it.
 */
export async function inChunks<T>(
  items: readonly T[],
  size: number,
  work: (chunk: T[]) => Promise<void>,
  parallel = PARALLEL_BATCH_REQUESTS,
): Promise<void> {
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const start = next;
      next += size;
      try {
        await work(items.slice(start, start + size));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.min(parallel, Math.ceil(items.length / size));
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure.error;
}
