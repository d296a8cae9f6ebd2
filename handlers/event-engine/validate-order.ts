/**
 * Seed 004, first step of the event engine: accepts or rejects the order before anything has an effect.
 * A rejection is a function error (`EventEngine.InvalidOrder`), which ends the run as the original runner
 * did on any error. Pure, so it is idempotent without a record.
 */
import { numberField, stringField } from './fields.ts';

const STEP = 'event-engine-validate-order';

/** An order the engine will not process. */
export class InvalidOrderError extends Error {
  override readonly name = 'EventEngine.InvalidOrder';
}

/** The step handler: `{ orderId, amount }` -> `{ valid: true, orderId }`. */
export async function handler(event: unknown): Promise<{ valid: true; orderId: string }> {
  const orderId = stringField(event, 'orderId', STEP);
  const amount = numberField(event, 'amount', STEP);
  if (amount <= 0)
    throw new InvalidOrderError(`${STEP}: order ${orderId} has amount ${amount}; it must be above 0`);
  return { valid: true, orderId };
}
