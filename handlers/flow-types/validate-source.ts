/**
 * Seed 000, the validation Lambda (every source type): reads the source's row, decides the run's flow
 * and window from `batch_execution_params` (see `flow.ts`) and takes the source's lock, so two runs of
 * one source never load at once. A run that finds the lock held fails with `FlowTypes.SourceLocked`,
 * which the graph retries with backoff (the second run waits) until its attempts run out (refused).
 *
 * ```
 * UPDATE public.source SET locked_by = KEY ...                 -- guarded: free, ours, or expired
 *  WHERE id = SOURCE AND (locked_by IS NULL OR locked_by = KEY OR locked_at < now - lease)
 * INSERT step_effects ... WHERE locked_by = KEY                 -- recorded only if the lock is ours
 * ```
 *
 * The lock holder is the step's idempotency key, so a retried or redelivered validation finds its own
 * lock (and its recorded plan) instead of waiting for itself. A lock older than `SOURCE_LOCK_LEASE_SECONDS`
 * (default 900) belongs to a run that died and is taken over.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, onceWhen } from '../shared/effects.ts';
import { literal } from '../shared/sql.ts';
import { isoTime, planRun, type RunPlan, stringOf } from './flow.ts';
import { readSource } from './tables.ts';

const STEP = 'flow-types-validate-source';

/** Another run of the source holds its lock. */
export class SourceLocked extends Error {
  override readonly name = 'FlowTypes.SourceLocked';
}

/** What the validation hands the later steps. */
export type Validated = RunPlan & {
  readonly source_id: string;
  readonly source_type: string;
  /** The lock holder, which the unlocking Lambda must present. */
  readonly lock: string;
  readonly locked_at: string;
  /** The source's completed runs before this one. */
  readonly runtime_count: number;
};

function leaseSeconds(): number {
  const value = Number(process.env.SOURCE_LOCK_LEASE_SECONDS ?? 900);
  return Number.isFinite(value) && value > 0 ? value : 900;
}

/** The step handler: `{ source_id, as_of, backdate_days }` -> the run's plan, with the lock taken. */
export async function handler(event: unknown, context: Context): Promise<Validated> {
  const sourceId = stringOf(event, 'source_id', STEP);
  const asOf = isoTime((event as { as_of?: unknown }).as_of, `${STEP}: input field 'as_of'`);
  const days = Number((event as { backdate_days?: unknown }).backdate_days ?? 30);
  if (!Number.isFinite(days) || days < 0)
    throw new TypeError(`${STEP}: input field 'backdate_days' must be a number of days, 0 or more`);
  const key = idempotencyKeyOf(event, context, STEP);
  let holder: string | null = null;
  const validated = await onceWhen(key, STEP, async () => {
    const source = await readSource(sourceId);
    const plan = planRun(source, asOf, days);
    const now = new Date();
    const expired = new Date(now.getTime() - leaseSeconds() * 1000).toISOString();
    holder = source.locked_by;
    const id = literal(sourceId);
    const at = `${literal(now.toISOString())}::timestamp`;
    const params =
      plan.write_params === undefined
        ? ''
        : `, batch_execution_params = ${literal(JSON.stringify(plan.write_params))}, params_updated_at = ${at}`;
    const result: Validated = {
      ...plan,
      source_id: sourceId,
      source_type: source.source_type,
      lock: key,
      locked_at: now.toISOString(),
      runtime_count: source.runtime_count,
    };
    return {
      statements: [
        `UPDATE public.source SET locked_by = ${literal(key)}, locked_at = ${at}, updated_at = ${at}${params}
         WHERE id = ${id}
           AND (locked_by IS NULL OR locked_by = ${literal(key)} OR locked_at < ${literal(expired)}::timestamp)
           AND NOT EXISTS (SELECT 1 FROM step_effects WHERE idempotency_key = ${literal(key)})`,
      ],
      result,
      when: `EXISTS (SELECT 1 FROM public.source WHERE id = ${id} AND locked_by = ${literal(key)})`,
    };
  });
  if (validated === undefined) {
    throw new SourceLocked(
      `source '${sourceId}' is locked by another run (${holder ?? 'taken meanwhile'}); this run waits for it`,
    );
  }
  return validated;
}
