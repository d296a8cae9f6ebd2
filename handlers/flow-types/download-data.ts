/**
 * Seed 000, the data download Lambda (every source type): reads the window the validation planned from
 * the source's upstream (the reader of its `source_type`) and upserts the rows into `public.listing`,
 * once per idempotency key. The upsert deletes the window's listings and inserts them again in one
 * transaction, so a run over the same window leaves the table as it was.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once, unlessRecorded } from '../shared/effects.ts';
import { literal } from '../shared/sql.ts';
import { type DateField, isoTime, objectOf, stringOf } from './flow.ts';
import { type Listing, readerFor } from './sources/index.ts';
import { readSource } from './tables.ts';

const STEP = 'flow-types-download-data';
/** Rows per statement, and the Data API's limit of statements in one batch (one transaction). */
const ROWS_PER_STATEMENT = 200;
const MAX_STATEMENTS = 40;

/** What was loaded. */
export interface Download {
  readonly source_id: string;
  readonly rows: number;
  /** The most recent modification among the rows, or null when the window was empty. */
  readonly last_modified: string | null;
}

function row(sourceId: string, listing: Listing): string {
  return `SELECT ${literal(sourceId)}::varchar, ${literal(listing.listing_id)}::varchar, ${literal(listing.address)}::varchar,
    ${literal(listing.city)}::varchar, ${literal(listing.price)}::bigint, ${literal(listing.property_type)}::varchar,
    ${literal(listing.last_modified)}::timestamp, ${listing.sold_date === null ? 'NULL' : literal(listing.sold_date)}::date`;
}

/** The upsert of a window's listings: per chunk, delete their ids, then insert them, all guarded by the key. */
function upsertStatements(key: string, sourceId: string, listings: readonly Listing[]): string[] {
  const statements: string[] = [];
  for (let start = 0; start < listings.length; start += ROWS_PER_STATEMENT) {
    const chunk = listings.slice(start, start + ROWS_PER_STATEMENT);
    statements.push(
      `DELETE FROM public.listing WHERE source_id = ${literal(sourceId)}
         AND listing_id IN (${chunk.map((l) => literal(l.listing_id)).join(', ')}) AND ${unlessRecorded(key)}`,
      `INSERT INTO public.listing (source_id, listing_id, address, city, price, property_type, last_modified_date, sold_date)
       SELECT * FROM (${chunk.map((l) => row(sourceId, l)).join('\n UNION ALL ')}) AS upstream
       WHERE ${unlessRecorded(key)}`,
    );
  }
  if (statements.length >= MAX_STATEMENTS) {
    throw new RangeError(
      `source '${sourceId}': ${listings.length} rows in one window is more than one batch of ${MAX_STATEMENTS - 1} statements holds; narrow the window`,
    );
  }
  return statements;
}

/** The step handler: `{ source_id, date_field, from, to }` -> what was loaded, once per key. */
export async function handler(event: unknown, context: Context): Promise<Download> {
  const sourceId = stringOf(event, 'source_id', STEP);
  const plan = objectOf(event, 'window', STEP);
  const dateField = plan.date_field;
  if (dateField !== 'last_modified_date' && dateField !== 'sold_date')
    throw new TypeError(`${STEP}: window.date_field must be last_modified_date or sold_date`);
  const window = {
    date_field: dateField as DateField,
    from: isoTime(plan.from, `${STEP}: window.from`),
    to: isoTime(plan.to, `${STEP}: window.to`),
  };
  const key = idempotencyKeyOf(event, context, STEP);
  return once(key, STEP, async () => {
    const source = await readSource(sourceId);
    const listings = await readerFor(sourceId, source.source_type).read(sourceId, source.connection, window);
    const latest = listings.reduce<string | null>(
      (max, l) => (max === null || l.last_modified > max ? l.last_modified : max),
      null,
    );
    return {
      statements: upsertStatements(key, sourceId, listings),
      result: { source_id: sourceId, rows: listings.length, last_modified: latest },
    };
  });
}
