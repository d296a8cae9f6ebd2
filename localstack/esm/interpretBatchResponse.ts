/**
 * Turns what the handler returned (or threw) into the outcome Lambda would act on, following the
 * ReportBatchItemFailures success and failure conditions: the one place those rules live.
 */
import type { ShardRecord } from './buildKinesisEvent.ts';

/** What the mapping does next with a delivered batch. */
export type BatchOutcome =
  /** Every record is done. */
  | { readonly kind: 'success' }
  /** Records before `failedIndex` are done; the batch restarts at the lowest reported failure. */
  | { readonly kind: 'partial'; readonly failedIndex: number }
  /** Nothing is done. `functionError` is true when the handler threw (only then does bisect apply). */
  | { readonly kind: 'failure'; readonly reason: string; readonly functionError: boolean };

function isRecordObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies Lambda's rules to a handler's response.
 *
 * Success: ReportBatchItemFailures off; a null/undefined response; a missing or null `batchItemFailures`;
 * an empty list. Whole-batch failure: a response that is not an object, a `batchItemFailures` that is
 * not a list, an item whose `itemIdentifier` is missing, null, empty or names no record of the batch.
 * Otherwise the batch restarts at the lowest reported sequence number.
 */
export function interpretBatchResponse(
  response: unknown,
  batch: readonly ShardRecord[],
  reportBatchItemFailures: boolean,
): BatchOutcome {
  if (!reportBatchItemFailures || response === undefined || response === null) return { kind: 'success' };
  if (!isRecordObject(response)) {
    return {
      kind: 'failure',
      reason: `response is a ${typeof response}, not an object`,
      functionError: false,
    };
  }
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'failure', reason: 'batchItemFailures is not a list', functionError: false };
  }
  const indexBySequence = new Map(batch.map((record, index) => [record.sequenceNumber, index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const [position, item] of failures.entries()) {
    const identifier: unknown = isRecordObject(item) ? item.itemIdentifier : undefined;
    const field = `batchItemFailures[${position}].itemIdentifier`;
    if (identifier === undefined || identifier === null) {
      return { kind: 'failure', reason: `${field} is missing or null`, functionError: false };
    }
    if (typeof identifier !== 'string' || identifier === '') {
      return { kind: 'failure', reason: `${field} is empty or not a string`, functionError: false };
    }
    const index = indexBySequence.get(identifier);
    if (index === undefined) {
      return {
        kind: 'failure',
        reason: `${field} "${identifier}" names no record of the batch`,
        functionError: false,
      };
    }
    lowest = Math.min(lowest, index);
  }
  if (lowest === Number.POSITIVE_INFINITY) return { kind: 'success' };
  return { kind: 'partial', failedIndex: lowest };
}

/** The outcome of a handler that threw: the whole batch failed with a function error. */
export function thrownOutcome(error: unknown): BatchOutcome {
  const reason =
    error instanceof Error
      ? `${error.name}: ${error.message}`
      : `handler threw ${JSON.stringify(error) ?? 'undefined'}`;
  return { kind: 'failure', reason, functionError: true };
}
