/**
 * Seed 000, the unlocking Lambda: releases the source's lock so its next batch may start, with the
 * watermark the next NORMAL run starts from. Recorded once per key so a retry cannot release a lock that
 * a later run has taken meanwhile.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once } from '../shared/effects.ts';
import { stringOf } from './flow.ts';

const STEP = 'flow-types-unlock-source';

/** The step handler: `{ source_id, type, to }` -> `{ unlocked, watermark }`. */
export async function handler(
  event: unknown,
  context: Context,
): Promise<{ source_id: string; unlocked: true; watermark: string }> {
  const sourceId = stringOf(event, 'source_id', STEP);
  const watermark = stringOf(event, 'to', STEP);
  const key = idempotencyKeyOf(event, context, STEP);
  return once(key, STEP, async () => ({
    statements: [],
    result: { source_id: sourceId, unlocked: true, watermark },
  }));
}
