/**
 * Seed 004, added in engine version 1.1: a risk score for the order, so the notification can flag large
 * orders. Publishing v1.1 and moving the alias swaps it in without redeploying the router. Pure.
 */
import { numberField, stringField } from './fields.ts';

const STEP = 'event-engine-score-risk';

/** The step handler: `{ orderId, amount }` -> `{ score, review }` (score 0..100, review above 70). */
export async function handler(event: unknown): Promise<{ score: number; review: boolean }> {
  stringField(event, 'orderId', STEP);
  const amount = numberField(event, 'amount', STEP);
  const score = Math.min(100, Math.round(Math.log10(Math.max(1, amount)) * 25));
  return { score, review: score > 70 };
}
