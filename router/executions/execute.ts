/**
 * Runs one execution's graph to the end, or to a durable wait, with the interpreter's runtime and the
 * real invoker. Standard engines checkpoint before a step's successor starts (so a redelivery resumes
 * at the last finished step); express engines keep everything in memory and re-run from the start.
 *
 * Checkpoint policy (standard): a step's result is written when the next invoke is issued, the final
 * state with the terminal status, a durable wait with its due time. A 3-Task sequence therefore costs
 * claim + 2 checkpoints + completion = 4 writes, and a step is invoked again only if the process dies
 * between its invoke and that write (the idempotency key makes the repeat harmless).
 */
import { setMaxListeners } from 'node:events';
import type {
  Clock,
  CompiledGraph,
  ExecutionEvent,
  ExecutionState,
  InvokeEffect,
  JsonValue,
} from '../asl/index.ts';
import { type RunResult, runExecution, SharedSignal } from '../asl/index.ts';
import type { InvokeOutcome } from '../invoke/index.ts';

/**
 * Workflow errors that mean "the infrastructure said not now" rather than "the work failed": when a
 * graph does not handle them itself, the message goes back to the stream instead of ending FAILED.
 */
const INFRASTRUCTURE_ERRORS = new Set([
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.EC2ThrottledException',
  'Lambda.ResourceNotReadyException',
  'Lambda.ResourceConflictException',
]);

const THROTTLING_SUFFIXES = [
  '.ThrottlingException',
  '.ProvisionedThroughputExceededException',
  '.RequestLimitExceeded',
  '.TooManyRequestsException',
  '.ServiceUnavailableException',
  '.InternalServerError',
  '.InternalServerException',
];

/** True when an unhandled workflow error should put the message back on the stream. */
export function isInfrastructureError(error: string | undefined): boolean {
  if (error === undefined) return false;
  return INFRASTRUCTURE_ERRORS.has(error) || THROTTLING_SUFFIXES.some((suffix) => error.endsWith(suffix));
}

/** What running one message needs. */
export interface ExecuteDeps {
  readonly invoke: (effect: InvokeEffect, signal: AbortSignal) => Promise<InvokeOutcome>;
  readonly clock: Clock;
  readonly maxInProcessWaitMs: number;
  /** Stops the work of a handed-over invoke the execution stopped waiting on (a child execution). */
  readonly stopWork?: (effect: InvokeEffect) => Promise<void>;
  /**
   * Aborted when the invocation is about to time out: the run ends as an interrupted wait. Shared by
   * every run of a batch, so that one listener wakes them all.
   */
  readonly signal?: AbortSignal | SharedSignal;
  /** False to build no history (express runs store none). */
  readonly history?: boolean;
}

/** Where a run starts from. */
export type ExecuteStart =
  | {
      readonly kind: 'new';
      readonly executionId: string;
      readonly name: string;
      readonly input: JsonValue;
      /** Bytes of the record the input was parsed from (see `ExecutionInit.inputBytes`). */
      readonly inputBytes?: number;
      readonly startTime: number;
    }
  | {
      readonly kind: 'resume';
      readonly state: ExecutionState;
      /** Events that arrived while it was saved (a task callback's result). */
      readonly events?: readonly ExecutionEvent[];
    };

/**
 * Runs a graph. `checkpoint` (standard engines only) receives the serialised state whenever a finished
 * step is followed by a new invoke; it may throw (a lost lease), which ends the run with that error.
 */
export function executeGraph(
  graph: CompiledGraph,
  start: ExecuteStart,
  deps: ExecuteDeps,
  checkpoint?: (serialised: string) => Promise<void>,
): Promise<RunResult> {
  // A new start carries exactly the fields of the interpreter's init; express runs (no checkpoint) pass
  // the caller's deps through as they are, built once per batch rather than once per message.
  const init = start.kind === 'resume' ? start.state : start;
  const options = start.kind === 'resume' && start.events !== undefined ? { resumeEvents: start.events } : {};
  if (checkpoint === undefined) return runExecution(graph, init, deps, options);
  return runExecution(
    graph,
    init,
    {
      ...deps,
      onStep: async (step) => {
        // A new invoke, or a job integration that started its job (or polled it) and now waits on a timer.
        const durable = step.effects.some(
          (effect) => effect.type === 'invoke' || (effect.type === 'timer' && effect.reason === 'poll'),
        );
        if (!durable) return;
        await checkpoint(JSON.stringify(step.state));
      },
    },
    options,
  );
}

/** The dependencies of runs: for standard runs, and for express runs (which keep no history). */
export interface RunDeps {
  readonly standard: ExecuteDeps;
  readonly express: ExecuteDeps;
}

/** Time kept in reserve at the end of an invocation to checkpoint and report. */
export const SAFETY_MARGIN_MS = 3_000;

/**
 * The runs of one batch or sweep: their shared dependencies and the signal that interrupts them before
 * the invocation's deadline. One signal, one timer and one listener per batch, shared by its executions:
 * an AbortController, a timer or a listener per record costs more than running a short graph.
 */
export class RunScope {
  readonly deps: RunDeps;
  private readonly timer: NodeJS.Timeout | undefined;

  /** `remainingMs` is Lambda's time left; without it runs are never interrupted. */
  constructor(base: Omit<ExecuteDeps, 'signal' | 'history'>, remainingMs?: () => number) {
    let signal: SharedSignal | undefined;
    if (remainingMs !== undefined) {
      const controller = new AbortController();
      // Every invoke in flight in the batch may listen to it: more than the default ten is expected.
      setMaxListeners(0, controller.signal);
      const left = remainingMs() - SAFETY_MARGIN_MS;
      if (left <= 0) controller.abort();
      else this.timer = setTimeout(() => controller.abort(), left);
      signal = new SharedSignal(controller.signal);
    }
    const standard: ExecuteDeps = signal === undefined ? base : { ...base, signal };
    this.deps = { standard, express: { ...standard, history: false } };
  }

  /** Stops the deadline timer once the batch or sweep is over. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
