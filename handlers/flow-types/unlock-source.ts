/**
 * Seed 000, the unlocking Lambda: records the run in `public.source_run` and releases the source's
 * lock. A run that loaded also bumps `runtime_count`, stores the watermark the next NORMAL run starts
 * from (the window's end; a SOLD run filters on another column and leaves it) and the flow it ran,
 * which the automation reads. A failed run (`status: FAILED`) only releases the lock and is recorded.
 * Once per key, and only by the lock's holder, so a late retry cannot release a later run's lock.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once, unlessRecorded } from '../shared/effects.ts';
import { literal } from '../shared/sql.ts';
import { isoTime, objectOf, stringOf } from './flow.ts';

const STEP = 'flow-types-unlock-source';

/** The step handler: `{ run, rows?, status, error? }` -> `{ source_id, unlocked, watermark }`. */
export async function handler(
  event: unknown,
  context: Context,
): Promise<{ source_id: string; status: string; watermark: string | null }> {
  const run = objectOf(event, 'run', STEP);
  const sourceId = stringOf(run, 'source_id', STEP);
  const lock = stringOf(run, 'lock', STEP);
  const flow = stringOf(run, 'flow', STEP);
  const dateField = stringOf(run, 'date_field', STEP);
  const from = isoTime(run.from, `${STEP}: run.from`);
  const to = isoTime(run.to, `${STEP}: run.to`);
  const startedAt = isoTime(run.locked_at, `${STEP}: run.locked_at`);
  const status = stringOf(event, 'status', STEP);
  if (status !== 'SUCCEEDED' && status !== 'FAILED')
    throw new TypeError(`${STEP}: input field 'status' must be SUCCEEDED or FAILED`);
  const rows = Number((event as { rows?: unknown }).rows ?? 0);
  const error = (event as { error?: unknown }).error;
  const key = idempotencyKeyOf(event, context, STEP);
  const succeeded = status === 'SUCCEEDED';
  const watermark = succeeded && flow !== 'SOLD' ? to : null;
  return once(key, STEP, async () => {
    const now = `${literal(new Date().toISOString())}::timestamp`;
    const id = literal(sourceId);
    const progress = succeeded
      ? `, runtime_count = runtime_count + 1, last_flow_type = ${literal(flow)}, last_run_at = ${now}` +
        (watermark === null ? '' : `, last_watermark = ${literal(watermark)}::timestamp`)
      : '';
    return {
      statements: [
        `UPDATE public.source SET locked_by = NULL, locked_at = NULL, updated_at = ${now}${progress}
         WHERE id = ${id} AND locked_by = ${literal(lock)} AND ${unlessRecorded(key)}`,
        `INSERT INTO public.source_run (run_id, source_id, flow_type, date_field, window_from, window_to,
           rows_loaded, status, error, started_at, finished_at)
         SELECT ${literal(lock)}, ${id}, ${literal(flow)}, ${literal(dateField)}, ${literal(from)}::timestamp,
           ${literal(to)}::timestamp, ${Number.isFinite(rows) ? Math.trunc(rows) : 0}, ${literal(status)},
           ${error === undefined || error === null ? 'NULL' : literal(JSON.stringify(error).slice(0, 1024))},
           ${literal(startedAt)}::timestamp, ${now}
         WHERE ${unlessRecorded(key)}`,
      ],
      result: { source_id: sourceId, status, watermark },
    };
  });
}
