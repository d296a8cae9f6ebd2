/**
 * Exactly-once effects for step handlers. The router delivers at least once and retries steps, so every
 * step that changes something records its effect in the `step_effects` table under the step's
 * idempotency key, in the same transaction as the change itself. A repeat with the same key changes
 * nothing and answers with the result stored the first time; tests count the rows to prove it.
 *
 * ```
 * once(key) -> SELECT result WHERE key        -- found: return it (a retry or a redelivery)
 *           -> plan(key) -> BEGIN; step's statements guarded by NOT EXISTS(key); INSERT effect; COMMIT
 *           -> SELECT result WHERE key        -- the first writer's result wins a race
 * ```
 *
 * The table lives in the same database the steps write to (Redshift, or Postgres on PGlite locally),
 * so no extra store has to be deployed and a change and its record commit together.
 */
import type { Context } from 'aws-lambda';
import { literal, query, transaction } from './sql.ts';

/** A step result: what the step returns to the workflow, stored as JSON. */
export type StepResult = null | boolean | number | string | StepResult[] | { [key: string]: StepResult };

/** What a step wants done, given its key: the statements to run once, and the result to return. */
export interface EffectPlan<T extends StepResult> {
  readonly statements: readonly string[];
  readonly result: T;
}

let schema: Promise<void> | undefined;

/** Creates `step_effects` on first use (once per cold start; concurrent calls share the promise). */
export function ensureEffectsTable(): Promise<void> {
  schema ??= transaction([
    `CREATE TABLE IF NOT EXISTS step_effects (
       idempotency_key varchar(512) PRIMARY KEY,
       step varchar(128) NOT NULL,
       result varchar(65535) NOT NULL,
       recorded_at timestamp NOT NULL DEFAULT current_timestamp
     )`,
  ]).catch((error: unknown) => {
    schema = undefined;
    throw error;
  });
  return schema;
}

/** `WHERE NOT EXISTS (...)` for a step's statements, so they run only while the key has no effect yet. */
export function unlessRecorded(key: string): string {
  return `NOT EXISTS (SELECT 1 FROM step_effects WHERE idempotency_key = ${literal(key)})`;
}

async function recorded<T extends StepResult>(key: string): Promise<T | undefined> {
  const rows = await query('SELECT result FROM step_effects WHERE idempotency_key = :key', { key });
  const stored = rows[0]?.result;
  return typeof stored === 'string' ? (JSON.parse(stored) as T) : undefined;
}

/**
 * Runs a step's effect once per idempotency key and returns its result (the stored one on a repeat).
 * `plan` may read the database and draw random numbers: it runs again on a repeat only when no effect
 * was recorded, so its statements must guard themselves with {@link unlessRecorded}.
 *
 * @example
 * return once(key, 'batch-average-write-to-db', async () => ({
 *   statements: [`INSERT INTO batch_values SELECT ... WHERE ${unlessRecorded(key)}`],
 *   result: { run_id, iteration_id, value },
 * }));
 */
export async function once<T extends StepResult>(
  key: string,
  step: string,
  plan: () => Promise<EffectPlan<T>>,
): Promise<T> {
  await ensureEffectsTable();
  const previous = await recorded<T>(key);
  if (previous !== undefined) return previous;
  const { statements, result } = await plan();
  await transaction([
    ...statements,
    `INSERT INTO step_effects (idempotency_key, step, result)
     SELECT ${literal(key)}, ${literal(step)}, ${literal(JSON.stringify(result))} WHERE ${unlessRecorded(key)}`,
  ]);
  return (await recorded<T>(key)) ?? result;
}

/**
 * {@link once} for an effect that may be refused: `when` is a SQL condition checked after the plan's
 * statements, in the same transaction, and the effect is recorded only where it holds. Answers the
 * result, or `undefined` when the condition failed (nothing recorded, so a retry plans again). The
 * validation of seed 000 takes a source's lock this way: the update is guarded, `when` checks the lock.
 */
export async function onceWhen<T extends StepResult>(
  key: string,
  step: string,
  plan: () => Promise<EffectPlan<T> & { readonly when: string }>,
): Promise<T | undefined> {
  await ensureEffectsTable();
  const previous = await recorded<T>(key);
  if (previous !== undefined) return previous;
  const { statements, result, when } = await plan();
  await transaction([
    ...statements,
    `INSERT INTO step_effects (idempotency_key, step, result)
     SELECT ${literal(key)}, ${literal(step)}, ${literal(JSON.stringify(result))}
     WHERE ${unlessRecorded(key)} AND (${when})`,
  ]);
  return recorded<T>(key);
}

/**
 * The step's idempotency key: the one the router passes in the Lambda client context (stable across
 * retries and redeliveries of the same state visit), else `idempotencyKey` in the payload (a caller
 * without a client context), else an error, since a step without a key cannot be exactly-once.
 */
export function idempotencyKeyOf(
  event: unknown,
  context: Pick<Context, 'clientContext'>,
  step: string,
): string {
  const custom: unknown = context.clientContext?.custom;
  if (typeof custom === 'object' && custom !== null && 'idempotencyKey' in custom) {
    const key = custom.idempotencyKey;
    if (typeof key === 'string' && key !== '') return key;
  }
  if (typeof event === 'object' && event !== null && 'idempotencyKey' in event) {
    const key = event.idempotencyKey;
    if (typeof key === 'string' && key !== '') return key;
  }
  throw new TypeError(
    `step '${step}': no idempotency key (expected clientContext.custom.idempotencyKey from the router, or idempotencyKey in the payload)`,
  );
}
