/**
 * The step functions of the shipped engines (engines/*.hjson) that belong to no flow domain (a domain's
 * steps are listed by its own index, see `handlers/domains.ts`), one entry per handler. The names are the
 * graphs' function names after substituting engines/vars/local.hjson (where `FunctionPrefix` is empty),
 * so the local Lambda host serves exactly what the graphs call; `handlers/catalog.ts` includes this list.
 *
 * Steps that talk to the database or the bucket get 30 s (Data API statements are polled). Steps with
 * effects record them in the `step_effects` table through the Redshift Data API (see
 * `handlers/shared/effects.ts`), hence `redshift-data` in their needs.
 */
import type { StepFunctionSpec } from './types.ts';

/** The step functions the engines in `engines/` invoke outside the flow domains. */
export const FLOW_STEP_FUNCTIONS: readonly StepFunctionSpec[] = [
  // Seed 002: batch-average.
  {
    name: 'batch-average-retrieve-run-id',
    entry: 'handlers/batch-average/retrieve-run-id.ts',
    description: 'Seed 002 Lambda 1: a run id and one (run_id, iteration_id) pair per repetition',
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  {
    name: 'batch-average-write-to-db',
    entry: 'handlers/batch-average/write-to-db.ts',
    description: 'Seed 002 Lambda 2: one random number per pair, inserted once into batch_values',
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  {
    name: 'batch-average-aggregate-and-store-value',
    entry: 'handlers/batch-average/aggregate-and-store-value.ts',
    description: "Seed 002 Lambda 3: the run's average, stored once in batch_averages",
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  // Seed 004: event-engine (legacy functionOutline graphs v1.0 and v1.1).
  {
    name: 'event-engine-validate-order',
    entry: 'handlers/event-engine/validate-order.ts',
    description: 'Seed 004: rejects orders without a positive amount',
  },
  {
    name: 'event-engine-enrich-customer',
    entry: 'handlers/event-engine/enrich-customer.ts',
    description: "Seed 004: the customer's tier for the later steps",
  },
  {
    name: 'event-engine-audit-order',
    entry: 'handlers/event-engine/audit-order.ts',
    description: 'Seed 004: the asynchronous audit record of an order, once per key',
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  {
    name: 'event-engine-score-risk',
    entry: 'handlers/event-engine/score-risk.ts',
    description: 'Seed 004, engine v1.1: a risk score from the order amount',
  },
  {
    name: 'event-engine-notify-customer',
    entry: 'handlers/event-engine/notify-customer.ts',
    description: 'Seed 004: the customer notification, sent once per key',
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  // Seed 000: flow-types.
  {
    name: 'flow-types-validate-source',
    entry: 'handlers/flow-types/validate-source.ts',
    description:
      "Seed 000 validation Lambda: the run's flow and window from public.source, and the source's lock",
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  {
    name: 'flow-types-download-data',
    entry: 'handlers/flow-types/download-data.ts',
    description:
      "Seed 000 data download Lambda: the window's rows from the source's upstream into public.listing",
    timeoutSeconds: 60,
    needs: ['redshift-data'],
  },
  {
    name: 'flow-types-update-attributes',
    entry: 'handlers/flow-types/update-attributes.ts',
    description: "Seed 000 Re-specs: the source's attributes update query, once per key",
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  {
    name: 'flow-types-unlock-source',
    entry: 'handlers/flow-types/unlock-source.ts',
    description: 'Seed 000 unlocking Lambda: records the run, bumps the runtime count, stores the watermark',
    timeoutSeconds: 30,
    needs: ['redshift-data'],
  },
  {
    name: 'flow-types-reset-flow-type',
    entry: 'handlers/flow-types/reset-flow-type.ts',
    description: 'Seed 000 automation: puts sources whose one-off flow has run back to NORMAL, by timestamps',
    timeoutSeconds: 30,
    needs: ['redshift-data'],
    schedule: { everyMinutes: 5 },
  },
];
