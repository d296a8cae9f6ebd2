/**
 * Reusable flow task (seed 001, "running a redshift select query"): runs one read-only query with named
 * parameters through the Redshift Data API and returns its rows. Only SELECT / WITH queries are accepted,
 * so a workflow cannot change data through the task meant for reading it.
 */
import { query, type SqlRow } from '../shared/sql.ts';
import { requireString } from './input.ts';

const TASK = 'tasks-redshift-select';
const READ_ONLY = /^\s*(select|with)\b/i;

/** The task handler: `{ sql, parameters? }` -> `{ rows, count }`. */
export async function handler(event: unknown): Promise<{ rows: SqlRow[]; count: number }> {
  const sql = requireString(event, 'sql', TASK);
  if (!READ_ONLY.test(sql) || sql.replace(/;\s*$/, '').includes(';')) {
    throw new TypeError(`${TASK}: input field 'sql' must be one SELECT (or WITH ... SELECT) query`);
  }
  const raw = (event as Record<string, unknown>).parameters ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${TASK}: input field 'parameters' must be an object of name -> string or number`);
  }
  const parameters: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new TypeError(`${TASK}: parameter '${name}' must be a string or a number`);
    }
    parameters[name] = value;
  }
  const rows = await query(sql.replace(/;\s*$/, ''), parameters);
  return { rows, count: rows.length };
}
