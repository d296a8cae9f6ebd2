/**
 * Seed 004, second step: looks up what the later steps need about the customer (here a tier derived from
 * the id, standing in for a customer service). Pure, so it is idempotent without a record.
 */
import { createHash } from 'node:crypto';
import { stringField } from './fields.ts';

const STEP = 'event-engine-enrich-customer';
const TIERS = ['bronze', 'silver', 'gold'] as const;

/** The step handler: `{ orderId, customerId }` -> `{ customerId, tier }`. */
export async function handler(event: unknown): Promise<{ customerId: string; tier: (typeof TIERS)[number] }> {
  stringField(event, 'orderId', STEP);
  const customerId = stringField(event, 'customerId', STEP);
  const digest = createHash('sha256').update(customerId).digest();
  return { customerId, tier: TIERS[(digest[0] ?? 0) % TIERS.length] ?? 'bronze' };
}
