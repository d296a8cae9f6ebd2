/**
 * Seed 000, the extra Lambda that puts a source back on the NORMAL (last modification date) flow once a
 * one-off flow (Re-specs, Backdated, Sold) has completed, judged by timestamps: the reset applies when
 * the one-off run finished after the params were last changed. Returns the new `batch_execution_params`.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once } from '../shared/effects.ts';
import { isoDate, stringOf } from './flow.ts';

const STEP = 'flow-types-reset-flow-type';

/** The step handler. */
export async function handler(
  event: unknown,
  context: Context,
): Promise<{
  source_id: string;
  reset: boolean;
  batch_execution_params: { flow_type: string } | Record<string, unknown>;
}> {
  const sourceId = stringOf(event, 'source_id', STEP);
  const type = stringOf(event, 'type', STEP);
  const input = event as Record<string, unknown>;
  const completedAt = isoDate(input.completed_at, `${STEP}: completed_at`);
  const changedAt =
    input.params_updated_at === undefined || input.params_updated_at === null
      ? undefined
      : isoDate(input.params_updated_at, `${STEP}: params_updated_at`);
  const params =
    typeof input.batch_execution_params === 'object' && input.batch_execution_params !== null
      ? input.batch_execution_params
      : {};
  const reset = type !== 'NORMAL' && (changedAt === undefined || completedAt >= changedAt);
  const key = idempotencyKeyOf(event, context, STEP);
  return once(key, STEP, async () => ({
    statements: [],
    result: {
      source_id: sourceId,
      reset,
      batch_execution_params: reset ? { flow_type: 'NORMAL' } : JSON.parse(JSON.stringify(params)),
    },
  }));
}
