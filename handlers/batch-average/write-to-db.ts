/**
 * Seed 002, Lambda 2 (one per Map item): draws a random number and inserts it with its run and
 * iteration ids. The insert and its effect record commit together, so a retry returns the number drawn
 * the first time instead of inserting a second one. (The seed's 10-minute sleep is the graph's Wait
 * state, not a sleeping Lambda.)
 */
import { randomInt } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once, unlessRecorded } from '../shared/effects.ts';
import { literal } from '../shared/sql.ts';
import { ensureBatchTables } from './tables.ts';

const STEP = 'batch-average-write-to-db';

/** What was written for one iteration. */
export interface WrittenValue {
  run_id: string;
  iteration_id: number;
  value: number;
}

function pairOf(event: unknown): { run_id: string; iteration_id: number } {
  const e = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const runId = e.run_id;
  const iteration = e.iteration_id;
  if (typeof runId !== 'string' || runId === '') {
    throw new TypeError(`${STEP}: input field 'run_id' must be a non-empty string`);
  }
  if (typeof iteration !== 'number' || !Number.isInteger(iteration) || iteration < 1) {
    throw new TypeError(`${STEP}: input field 'iteration_id' must be a whole number from 1`);
  }
  return { run_id: runId, iteration_id: iteration };
}

/** The step handler. */
export async function handler(event: unknown, context: Context): Promise<WrittenValue> {
  const pair = pairOf(event);
  const key = idempotencyKeyOf(event, context, STEP);
  await ensureBatchTables();
  return once(key, STEP, async () => {
    // A number from 0 to 100 with three decimals, as the seed's "random number".
    const value = randomInt(0, 100_001) / 1000;
    return {
      statements: [
        `INSERT INTO batch_values (idempotency_key, run_id, iteration_id, value)
         SELECT ${literal(key)}, ${literal(pair.run_id)}, ${literal(pair.iteration_id)}, ${literal(value)}
         WHERE ${unlessRecorded(key)}`,
      ],
      result: { ...pair, value },
    };
  });
}
