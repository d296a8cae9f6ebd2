/**
 * Seed 000, the data download Lambda (every source type): pulls the source's rows inside the flow's
 * window. The download is recorded once per idempotency key, so a retried step does not download (and
 * bill, and load) the same window twice; the Re-specs flow also carries its attributes update query.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once } from '../shared/effects.ts';
import { stringOf } from './flow.ts';

const STEP = 'flow-types-download-data';

/** What was downloaded. */
export interface Download {
  source_id: string;
  type: string;
  window: string;
  attributes_updated: boolean;
}

/** The step handler: `{ source_id, filters }` -> what was downloaded, once per key. */
export async function handler(event: unknown, context: Context): Promise<Download> {
  const sourceId = stringOf(event, 'source_id', STEP);
  const filters = (event as Record<string, unknown>).filters;
  if (typeof filters !== 'object' || filters === null)
    throw new TypeError(`${STEP}: input field 'filters' must be an object`);
  const type = stringOf(filters, 'type', STEP);
  const field = stringOf(filters, 'date_field', STEP);
  const from = stringOf(filters, 'from', STEP);
  const to = stringOf(filters, 'to', STEP);
  const key = idempotencyKeyOf(event, context, STEP);
  return once(key, STEP, async () => ({
    statements: [],
    result: {
      source_id: sourceId,
      type,
      window: `${field} >= ${from} and < ${to}`,
      attributes_updated: type === 'RE-SPECS' && 'attributes_sql' in filters,
    },
  }));
}
