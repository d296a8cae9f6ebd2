/**
 * Seed 000's tables in the steps' database (Redshift, or Postgres on PGlite locally), created by the
 * steps on first use so a fresh database needs no migration step:
 *
 * - `public.source`: one row per source: its type and connection settings, `batch_execution_params`
 *   (the JSON that picks the flow), how many runs completed, the lock of the run in progress, the
 *   watermark the next NORMAL run starts from, and the timestamps the automation judges by.
 * - `public.source_run`: one row per finished run (the unlocking Lambda's record).
 * - `public.listing`: the target table the download upserts into, keyed by source and listing id.
 *
 * Redshift does not enforce primary keys, so the download upserts by delete-then-insert in one
 * transaction rather than relying on a conflict clause.
 */
import { literal, query, type SqlRow, transaction } from '../shared/sql.ts';
import { isoTime } from './flow.ts';

const DDL = [
  `CREATE TABLE IF NOT EXISTS public.source (
     id varchar(128) PRIMARY KEY,
     source_type varchar(32) NOT NULL,
     connection varchar(65535) NOT NULL,
     batch_execution_params varchar(65535) NOT NULL,
     runtime_count integer NOT NULL DEFAULT 0,
     locked_by varchar(512),
     locked_at timestamp,
     last_watermark timestamp,
     last_flow_type varchar(16),
     last_run_at timestamp,
     params_updated_at timestamp NOT NULL,
     created_at timestamp NOT NULL,
     updated_at timestamp NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS public.source_run (
     run_id varchar(512) PRIMARY KEY,
     source_id varchar(128) NOT NULL,
     flow_type varchar(16) NOT NULL,
     date_field varchar(32) NOT NULL,
     window_from timestamp NOT NULL,
     window_to timestamp NOT NULL,
     rows_loaded integer NOT NULL,
     status varchar(16) NOT NULL,
     error varchar(1024),
     started_at timestamp NOT NULL,
     finished_at timestamp NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS public.listing (
     source_id varchar(128) NOT NULL,
     listing_id varchar(128) NOT NULL,
     address varchar(512) NOT NULL,
     city varchar(128) NOT NULL,
     price bigint NOT NULL,
     property_type varchar(64) NOT NULL,
     last_modified_date timestamp NOT NULL,
     sold_date date,
     PRIMARY KEY (source_id, listing_id)
   )`,
];

let created: Promise<void> | undefined;

/** Creates the tables on first use (once per cold start; concurrent calls share the promise). */
export function ensureSourceTables(): Promise<void> {
  created ??= transaction(DDL).catch((error: unknown) => {
    created = undefined;
    throw error;
  });
  return created;
}

/** A `public.source` row, with its JSON parsed and its timestamps as ISO strings. */
export interface SourceRecord {
  readonly id: string;
  readonly source_type: string;
  readonly connection: Record<string, unknown>;
  readonly batch_execution_params: unknown;
  readonly runtime_count: number;
  readonly locked_by: string | null;
  readonly locked_at: string | null;
  readonly last_watermark: string | null;
  readonly last_flow_type: string | null;
  readonly last_run_at: string | null;
  readonly params_updated_at: string;
}

/** A source the event names that `public.source` does not hold. */
export class SourceNotFound extends Error {
  override readonly name = 'FlowTypes.SourceNotFound';
}

function json(row: SqlRow, column: string, id: string): unknown {
  const text = row[column];
  try {
    return JSON.parse(String(text));
  } catch (error) {
    throw new TypeError(`public.source '${id}': column ${column} is not JSON: ${String(text)}`, {
      cause: error,
    });
  }
}

function time(row: SqlRow, column: string, id: string): string | null {
  const value = row[column];
  return value === null || value === undefined ? null : isoTime(value, `public.source '${id}'.${column}`);
}

/** Reads one source, failing with {@link SourceNotFound} when there is no such row. */
export async function readSource(id: string): Promise<SourceRecord> {
  await ensureSourceTables();
  const [row] = await query('SELECT * FROM public.source WHERE id = :id', { id });
  if (row === undefined) throw new SourceNotFound(`no source '${id}' in public.source`);
  const connection = json(row, 'connection', id);
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new TypeError(`public.source '${id}': connection must be a JSON object`);
  }
  return {
    id,
    source_type: String(row.source_type),
    connection: connection as Record<string, unknown>,
    batch_execution_params: json(row, 'batch_execution_params', id),
    runtime_count: Number(row.runtime_count),
    locked_by: row.locked_by === null ? null : String(row.locked_by),
    locked_at: time(row, 'locked_at', id),
    last_watermark: time(row, 'last_watermark', id),
    last_flow_type: row.last_flow_type === null ? null : String(row.last_flow_type),
    last_run_at: time(row, 'last_run_at', id),
    params_updated_at: time(row, 'params_updated_at', id) ?? '',
  };
}

/** What registering a source needs; the rest of the row starts empty. */
export interface SourceSpec {
  readonly id: string;
  readonly source_type: string;
  readonly connection: Readonly<Record<string, unknown>>;
  readonly batch_execution_params: Readonly<Record<string, unknown>>;
}

/**
 * Adds a source (or replaces its settings and params, keeping its runs, lock and watermark), for the
 * demo, the tests and an operator's script; creates the tables first when they are missing.
 */
export async function registerSource(spec: SourceSpec, now: string): Promise<void> {
  await ensureSourceTables();
  const values = {
    id: literal(spec.id),
    type: literal(spec.source_type),
    connection: literal(JSON.stringify(spec.connection)),
    params: literal(JSON.stringify(spec.batch_execution_params)),
    now: `${literal(now)}::timestamp`,
  };
  await transaction([
    `UPDATE public.source SET source_type = ${values.type}, connection = ${values.connection},
       batch_execution_params = ${values.params}, params_updated_at = ${values.now}, updated_at = ${values.now}
     WHERE id = ${values.id}`,
    `INSERT INTO public.source (id, source_type, connection, batch_execution_params, params_updated_at, created_at, updated_at)
     SELECT ${values.id}, ${values.type}, ${values.connection}, ${values.params}, ${values.now}, ${values.now}, ${values.now}
     WHERE NOT EXISTS (SELECT 1 FROM public.source WHERE id = ${values.id})`,
  ]);
}
