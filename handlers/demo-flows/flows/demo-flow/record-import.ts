/**
 * Seed 001's demo domain flow, its own step: records that an inbound file was imported (file, rows,
 * checksum of the header) in `demo_imports`, once per idempotency key, so the follow-up query counts
 * each import once however often the step is retried.
 */
import type { Context } from 'aws-lambda';
import { ensureEffectsTable, idempotencyKeyOf, once, unlessRecorded } from '../../../shared/effects.ts';
import { literal, transaction } from '../../../shared/sql.ts';
import { requireString } from '../../tasks/input.ts';

const STEP = 'demo-flow-record-import';

let table: Promise<void> | undefined;

function ensureImportsTable(): Promise<void> {
  table ??= transaction([
    `CREATE TABLE IF NOT EXISTS demo_imports (
       idempotency_key varchar(512) PRIMARY KEY,
       file_key varchar(1024) NOT NULL,
       header varchar(4096) NOT NULL,
       data_rows integer NOT NULL,
       imported_at timestamp NOT NULL DEFAULT current_timestamp
     )`,
  ]).catch((error: unknown) => {
    table = undefined;
    throw error;
  });
  return table;
}

/** The header as recorded: the `header` line, or the `columns` the stream task read, joined. */
function headerOf(event: Record<string, unknown>): string {
  if (typeof event.header === 'string') return event.header;
  const columns = event.columns;
  if (Array.isArray(columns) && columns.every((column) => typeof column === 'string'))
    return columns.join(',');
  return '';
}

/** The step handler: `{ key, header | columns, rows }` -> `{ file_key, rows }`, recorded once. */
export async function handler(event: unknown, context: Context): Promise<{ file_key: string; rows: number }> {
  const fileKey = requireString(event, 'key', STEP);
  const header = headerOf(event as Record<string, unknown>);
  const rows = (event as Record<string, unknown>).rows;
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) {
    throw new TypeError(`${STEP}: input field 'rows' must be a whole number`);
  }
  const key = idempotencyKeyOf(event, context, STEP);
  await Promise.all([ensureEffectsTable(), ensureImportsTable()]);
  return once(key, STEP, async () => ({
    statements: [
      `INSERT INTO demo_imports (idempotency_key, file_key, header, data_rows)
       SELECT ${literal(key)}, ${literal(fileKey)}, ${literal(header.slice(0, 4096))}, ${literal(rows)}
       WHERE ${unlessRecorded(key)}`,
    ],
    result: { file_key: fileKey, rows },
  }));
}
