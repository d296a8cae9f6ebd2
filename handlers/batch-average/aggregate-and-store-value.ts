/**
 * Seed 002, Lambda 3: averages every value of the run from `batch_values` and stores the average in
 * `batch_averages`. It checks that the table holds as many values as the Map wrote, so an average is never
 * taken over a partial run; the store happens once per idempotency key.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once, unlessRecorded } from '../shared/effects.ts';
import { literal, query } from '../shared/sql.ts';
import { ensureBatchTables } from './tables.ts';

const STEP = 'batch-average-aggregate-and-store-value';

/** The run's average as stored. */
export interface RunAverage {
  run_id: string;
  average: number;
  samples: number;
}

/** The run's values are not all in the table: retryable, the writes may still be landing. */
export class MissingValuesError extends Error {
  override readonly name = 'BatchAverage.MissingValues';
}

function inputOf(event: unknown): { run_id: string; expected: number } {
  const e = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (typeof e.run_id !== 'string' || e.run_id === '') {
    throw new TypeError(`${STEP}: input field 'run_id' must be a non-empty string`);
  }
  if (!Array.isArray(e.iterations)) {
    throw new TypeError(`${STEP}: input field 'iterations' must be the list the Map state wrote`);
  }
  return { run_id: e.run_id, expected: e.iterations.length };
}

/** The step handler. */
export async function handler(event: unknown, context: Context): Promise<RunAverage> {
  const input = inputOf(event);
  const key = idempotencyKeyOf(event, context, STEP);
  await ensureBatchTables();
  return once(key, STEP, async () => {
    const rows = await query(
      'SELECT avg(value) AS average, count(*) AS samples FROM batch_values WHERE run_id = :run',
      { run: input.run_id },
    );
    const samples = Number(rows[0]?.samples ?? 0);
    if (samples !== input.expected) {
      throw new MissingValuesError(
        `${STEP}: run ${input.run_id} has ${samples} values in batch_values, expected ${input.expected}`,
      );
    }
    const average = Math.round(Number(rows[0]?.average ?? 0) * 1e6) / 1e6;
    return {
      statements: [
        `INSERT INTO batch_averages (run_id, average, samples)
         SELECT ${literal(input.run_id)}, ${literal(average)}, ${literal(samples)}
         WHERE ${unlessRecorded(key)}`,
      ],
      result: { run_id: input.run_id, average, samples },
    };
  });
}
