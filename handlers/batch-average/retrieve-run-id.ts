/**
 * Seed 002, Lambda 1: `{ repetitions }` -> a new run id and one (run_id, iteration_id) pair per
 * repetition, which the Map fans out over. The run id is recorded under the step's idempotency key, so a
 * retried or redelivered step hands out the same run and no values are split across two runs.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once } from '../shared/effects.ts';
import { ensureBatchTables } from './tables.ts';

const STEP = 'batch-average-retrieve-run-id';
/** More iterations than this would exceed what one Map state should fan out in this demo. */
const MAX_REPETITIONS = 1000;

/** One unit of work for write-to-db. */
export interface RunPair {
  run_id: string;
  iteration_id: number;
}

/** Reads `repetitions` from the input, rejecting anything but a whole number in range. */
export function repetitionsOf(event: unknown): number {
  const value =
    typeof event === 'object' && event !== null && 'repetitions' in event ? event.repetitions : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_REPETITIONS) {
    throw new RangeError(
      `${STEP}: input field 'repetitions' must be a whole number from 1 to ${MAX_REPETITIONS}, got ${JSON.stringify(value ?? null)}`,
    );
  }
  return value;
}

/** The step handler. */
export async function handler(
  event: unknown,
  context: Context,
): Promise<{ run_id: string; pairs: RunPair[] }> {
  const repetitions = repetitionsOf(event);
  const key = idempotencyKeyOf(event, context, STEP);
  await ensureBatchTables();
  const runId = await once(key, STEP, async () => ({ statements: [], result: randomUUID() }));
  const pairs = Array.from({ length: repetitions }, (_, index) => ({
    run_id: runId,
    iteration_id: index + 1,
  }));
  return { run_id: runId, pairs };
}
