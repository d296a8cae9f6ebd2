/**
 * Seed 000, the automation Lambda, run on a schedule (EventBridge Scheduler when deployed, the local
 * scheduler otherwise): puts every source whose one-off flow (Re-specs, Backdated, Sold) has run back on
 * NORMAL, judged by timestamps, so the next scheduled run is incremental again.
 *
 * A source is reset when its params name a one-off flow, its last completed run ran that flow and
 * finished after the params were last changed (`last_run_at >= params_updated_at`), it is not locked,
 * and at least `hold_minutes` (input, default 0) have passed since that run. A one-off flow set again
 * after its run (a newer `params_updated_at`) is left for its next run.
 *
 * Invoked by the scheduler with `{ idempotencyKey, scheduled_time }`; once per key.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once, unlessRecorded } from '../shared/effects.ts';
import { literal, query } from '../shared/sql.ts';
import { flowTypeOf, isOneOff, isoTime } from './flow.ts';
import { ensureSourceTables } from './tables.ts';

const STEP = 'flow-types-reset-flow-type';
const NORMAL = JSON.stringify({ flow_type: 'NORMAL' });

/** The step handler: `{ scheduled_time?, hold_minutes? }` -> the sources put back on NORMAL. */
export async function handler(event: unknown, context: Context): Promise<{ reset: string[]; at: string }> {
  const input = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const at =
    input.scheduled_time === undefined
      ? new Date().toISOString()
      : isoTime(input.scheduled_time, `${STEP}: scheduled_time`);
  const holdMinutes = Number(input.hold_minutes ?? 0);
  if (!Number.isFinite(holdMinutes) || holdMinutes < 0)
    throw new TypeError(`${STEP}: input field 'hold_minutes' must be a number of minutes, 0 or more`);
  const key = idempotencyKeyOf(event, context, STEP);
  await ensureSourceTables();
  return once(key, STEP, async () => {
    const ranBefore = new Date(Date.parse(at) - holdMinutes * 60_000).toISOString();
    const candidates = await query(
      `SELECT id, batch_execution_params, last_flow_type FROM public.source
        WHERE locked_by IS NULL AND last_run_at IS NOT NULL
          AND last_run_at >= params_updated_at AND last_run_at <= :ran::timestamp`,
      { ran: ranBefore },
    );
    const reset = candidates
      .filter((row) => {
        try {
          const flow = flowTypeOf(JSON.parse(String(row.batch_execution_params)), String(row.id));
          return isOneOff(flow) && flow === row.last_flow_type;
        } catch {
          // A row whose params name no flow is the validation's to report, not the automation's to fix.
          return false;
        }
      })
      .map((row) => String(row.id));
    const when = `${literal(at)}::timestamp`;
    return {
      statements:
        reset.length === 0
          ? []
          : [
              `UPDATE public.source SET batch_execution_params = ${literal(NORMAL)}, params_updated_at = ${when},
                 updated_at = ${when}
               WHERE id IN (${reset.map(literal).join(', ')}) AND locked_by IS NULL
                 AND last_run_at >= params_updated_at AND ${unlessRecorded(key)}`,
            ],
      result: { reset, at },
    };
  });
}
