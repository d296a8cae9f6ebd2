/**
 * DemoFlow's loading step: stores one chunk of an inbound file's rows (from `stream-s3-object`) in
 * `demo_members`, keyed by file and line, so a retried or redelivered chunk adds nothing: a row already
 * there is skipped. The rows are kept as their JSON, the shape every domain's files share.
 */
import { literal, transaction } from '../../../shared/sql.ts';
import { requireString } from '../../tasks/input.ts';

const STEP = 'demo-flow-load-rows';

let table: Promise<void> | undefined;

function ensureMembersTable(): Promise<void> {
  table ??= transaction([
    `CREATE TABLE IF NOT EXISTS demo_members (
       file_key varchar(1024) NOT NULL,
       line integer NOT NULL,
       data varchar(65535) NOT NULL,
       PRIMARY KEY (file_key, line)
     )`,
  ]).catch((error: unknown) => {
    table = undefined;
    throw error;
  });
  return table;
}

/** The step handler: `{ key, firstLine, rows }` -> `{ file_key, rows }` (rows in the chunk). */
export async function handler(event: unknown): Promise<{ file_key: string; rows: number }> {
  const fileKey = requireString(event, 'key', STEP);
  const input = event as Record<string, unknown>;
  const { firstLine, rows } = input;
  if (typeof firstLine !== 'number' || !Number.isInteger(firstLine) || firstLine < 1)
    throw new TypeError(`${STEP}: input field 'firstLine' must be a positive whole number`);
  if (
    !Array.isArray(rows) ||
    !rows.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))
  )
    throw new TypeError(`${STEP}: input field 'rows' must be an array of objects`);
  if (rows.length === 0) return { file_key: fileKey, rows: 0 };
  await ensureMembersTable();
  // One statement for the chunk: each row inserted unless its (file, line) is already there.
  const selects = rows.map(
    (row, index) =>
      `SELECT ${literal(fileKey)} AS file_key, ${literal(firstLine + index)} AS line, ${literal(JSON.stringify(row))} AS data`,
  );
  await transaction([
    `INSERT INTO demo_members (file_key, line, data)
     SELECT c.file_key, c.line, c.data FROM (${selects.join(' UNION ALL ')}) AS c
     WHERE NOT EXISTS (SELECT 1 FROM demo_members m WHERE m.file_key = c.file_key AND m.line = c.line)`,
  ]);
  return { file_key: fileKey, rows: rows.length };
}
