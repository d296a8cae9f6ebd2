/**
 * The bulk write of a window's express completions, and what its failure means for the batch. Express
 * executions are recorded only here, after they ran: a lost write means the redelivery runs them again,
 * which express semantics allow, so a failed write reports its records (and holds back their keys'
 * later records) instead of failing the batch.
 */
import type { ExecutionStore, ExpressCompletion } from '../executions/index.ts';
import type { RouterLogger } from '../observability/index.ts';

/** The parts of a batch's state the write reports into. */
export interface ExpressWriteState {
  /** Partition keys with a record to be redelivered: their later records are reported, not run. */
  readonly failedKeys: Set<string>;
  readonly failures: { itemIdentifier: string }[];
}

/** What the write needs. */
export interface ExpressWriteDeps {
  readonly executions: Pick<ExecutionStore, 'completeMany'>;
  readonly logger: RouterLogger;
}

/** Writes the completions in bulk. Never rejects: a failed write is logged and its records reported. */
export async function completeExpress(
  express: readonly ExpressCompletion[],
  state: ExpressWriteState,
  deps: ExpressWriteDeps,
): Promise<void> {
  if (express.length === 0) return;
  try {
    await deps.executions.completeMany(express);
  } catch (error) {
    deps.logger.warn('recording express completions failed; their records will be redelivered', {
      error: String(error),
      count: express.length,
    });
    const reported = new Set(state.failures.map((f) => f.itemIdentifier));
    for (const e of express) {
      state.failedKeys.add(e.partitionKey);
      if (!reported.has(e.sequenceNumber)) state.failures.push({ itemIdentifier: e.sequenceNumber });
    }
  }
}
