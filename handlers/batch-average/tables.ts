/**
 * The two tables of seed 002: every generated value with its run and iteration, and one average per run.
 * Created on first use, so a fresh database (PGlite locally) needs no migration step.
 */
import { ensureEffectsTable } from '../shared/effects.ts';
import { transaction } from '../shared/sql.ts';

let ready: Promise<void> | undefined;

/** Creates `batch_values`, `batch_averages` and `step_effects` if missing, once per cold start. */
export function ensureBatchTables(): Promise<void> {
  ready ??= Promise.all([
    ensureEffectsTable(),
    transaction([
      `CREATE TABLE IF NOT EXISTS batch_values (
         idempotency_key varchar(512) PRIMARY KEY,
         run_id varchar(64) NOT NULL,
         iteration_id integer NOT NULL,
         value double precision NOT NULL,
         created_at timestamp NOT NULL DEFAULT current_timestamp
       )`,
      `CREATE TABLE IF NOT EXISTS batch_averages (
         run_id varchar(64) PRIMARY KEY,
         average double precision NOT NULL,
         samples integer NOT NULL,
         created_at timestamp NOT NULL DEFAULT current_timestamp
       )`,
    ]),
  ]).then(
    () => undefined,
    (error: unknown) => {
      ready = undefined;
      throw error;
    },
  );
  return ready;
}
