/**
 * Stopping the work a handed-over invoke left running when its execution stopped waiting for it: a child
 * execution of this runtime, and the job of a `.sync` task. Best effort: a failure is logged, never the run's.
 */
import type { InvokeEffect } from '../asl/index.ts';
import { errorMessage } from '../errors.ts';
import type { ExecutionLifecycle } from '../executions/index.ts';
import type { RouterLogger } from '../observability/index.ts';

/**
 * How long stopping a cancelled task's job may take before the run goes on without it: well inside the
 * reserve an invocation keeps for its last writes (`SAFETY_MARGIN_MS`).
 */
const STOP_TIMEOUT_MS = 1_000;

/** What stopping abandoned work needs. */
export interface StopWorkDeps {
  readonly lifecycle: Pick<ExecutionLifecycle, 'stopWork'>;
  readonly stopJob:
    | ((
        effect: InvokeEffect,
        signal: AbortSignal,
      ) => Promise<{ readonly stopped: boolean; readonly error?: string }>)
    | undefined;
  readonly logger: RouterLogger;
}

/** Stops a cancelled task's child execution and its job, logging what could not be stopped. */
export async function stopAbandonedWork(effect: InvokeEffect, deps: StopWorkDeps): Promise<void> {
  try {
    await deps.lifecycle.stopWork(effect);
    const job = await deps.stopJob?.(effect, AbortSignal.timeout(STOP_TIMEOUT_MS));
    if (job?.error !== undefined) {
      deps.logger.warn('stopping the job of a cancelled task failed', {
        state: effect.stateName,
        error: job.error,
      });
    }
  } catch (error) {
    deps.logger.warn('stopping the work of a cancelled task failed', {
      state: effect.stateName,
      error: errorMessage(error),
    });
  }
}
