/**
 * Seed 004, last step: tells the customer the order is being processed. Sending is the effect that must
 * happen once, so it is recorded under the step's idempotency key: a redelivered message finds the
 * record and sends nothing.
 */
import type { Context } from 'aws-lambda';
import { idempotencyKeyOf, once } from '../shared/effects.ts';
import { stringField } from './fields.ts';

const STEP = 'event-engine-notify-customer';

/** The step handler: `{ orderId, customerId }` -> `{ notified, orderId }`, once per key. */
export async function handler(
  event: unknown,
  context: Context,
): Promise<{ notified: string; orderId: string }> {
  const orderId = stringField(event, 'orderId', STEP);
  const customerId = stringField(event, 'customerId', STEP);
  const key = idempotencyKeyOf(event, context, STEP);
  return once(key, STEP, async () => ({ statements: [], result: { notified: customerId, orderId } }));
}
