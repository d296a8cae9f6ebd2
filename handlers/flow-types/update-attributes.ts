/**
 * Seed 000, the Re-specs flow's second half: runs the attributes update query from the source's
 * `batch_execution_params.Sql` after the download, once per idempotency key (the query and the record
 * of it commit together, so a retry does not run it twice).
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once } from '../shared/effects.ts';
import { stringOf } from './flow.ts';

const STEP = 'flow-types-update-attributes';

/** The step handler: `{ source_id, sql }` -> `{ source_id, updated: true }`. */
export async function handler(
  event: unknown,
  context: Context,
): Promise<{ source_id: string; updated: true }> {
  const sourceId = stringOf(event, 'source_id', STEP);
  const sql = stringOf(event, 'sql', STEP).trim().replace(/;\s*$/, '');
  if (sql.includes(';'))
    throw new TypeError(`${STEP}: source '${sourceId}': the attributes update query must be one statement`);
  const key = idempotencyKeyOf(event, context, STEP);
  return once(key, STEP, async () => ({
    statements: [sql],
    result: { source_id: sourceId, updated: true },
  }));
}
