/**
 * Seed 004, the asynchronous child of enrich: writes the audit record of the order. It is queued
 * (`invoke: async`), so nobody waits for it; Lambda may deliver an Event invoke twice, hence the record
 * under the idempotency key.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once } from '../shared/effects.ts';
import { stringField } from './fields.ts';

const STEP = 'event-engine-audit-order';

/** The step handler: `{ orderId }` -> `{ audited: orderId }`, recorded once per key. */
export async function handler(event: unknown, context: Context): Promise<{ audited: string }> {
  const orderId = stringField(event, 'orderId', STEP);
  const key = idempotencyKeyOf(event, context, STEP);
  return once(key, STEP, async () => ({ statements: [], result: { audited: orderId } }));
}
