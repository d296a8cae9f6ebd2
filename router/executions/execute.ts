/**
 * Runs one execution's graph to the end, or to a durable wait, with the interpreter's runtime and the
 * real invoker. Express engines keep everything in memory and re-run from the start; standard engines
 * write their state where the guarantees need it (see docs/durable-executions.md):
 *
 * - before a step that hands out a task token, or a job integration's poll timer: whoever answers must
 *   find the execution where it waits;
 * - when the run has gone `afterMs` since its last write: a long run loses little to a crash, and its
 *   lease is extended before it runs out;
 * - after every finished step, when the graph asks for it (`Checkpoint: 'every-step'`).
 *
 * Between those points the state is not serialised at all, unless an invoke fails on the infrastructure:
 * then it is, for the caller to write should the run stop there; a crash re-runs the steps since the
 * last write, under the same idempotency keys. Waits and the end are written by the caller.
 */
import { setMaxListeners } from 'node:events';
import type {
  Clock,
  CompiledGraph,
  ExecutionEvent,
  ExecutionState,
  InvokeEffect,
  JsonValue,
  Step,
} from '../asl/index.ts';
import { type RunResult, runExecution, SharedSignal } from '../asl/index.ts';
import type { InvokeOutcome } from '../invoke/index.ts';
import { overlay } from '../records.ts';

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
  readonly invoke: (effect: InvokeEffect, signal: AbortSignal) => InvokeOutcome | Promise<InvokeOutcome>;
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

/** Where a standard run writes its state between its start and its end. */
export interface CheckpointPolicy {
  /** Write after every finished step followed by a new invoke (the graph's `Checkpoint: 'every-step'`). */
  readonly everyStep: boolean;
  /** Longest time a run goes on without a write, in ms. */
  readonly afterMs: number;
}

/** What a standard run does with its state as it goes. */
export interface CheckpointHooks {
  readonly policy: CheckpointPolicy;
  /** Writes the serialised state; may throw (a lost lease), which ends the run with that error. */
  readonly write: (serialised: string) => Promise<void>;
  /**
   * The state a retry resumes from, serialised when the run may be about to stop on an infrastructure
   * error with finished steps not yet written.
   */
  readonly keep: (serialised: string) => void;
  /** True while the next step must be written whatever the policy (a callback's result not yet recorded). */
  readonly pending?: () => boolean;
}

/**
 * Runs a graph. `checkpoint` (standard engines only) is told the serialised state whenever a finished
 * step is followed by a new invoke or a poll timer: written where the policy needs it, else kept.
 */
export function executeGraph(
  graph: CompiledGraph,
  start: ExecuteStart,
  deps: ExecuteDeps,
  checkpoint?: CheckpointHooks,
): Promise<RunResult> {
  // A new start carries exactly the fields of the interpreter's init; express runs (no checkpoint) pass
  // the caller's deps through as they are, built once per batch rather than once per message.
  const init = start.kind === 'resume' ? start.state : start;
  const options = start.kind === 'resume' && start.events !== undefined ? { resumeEvents: start.events } : {};
  if (checkpoint === undefined) return runExecution(graph, init, deps, options);
  const { policy, write, keep, pending } = checkpoint;
  let lastWrite = deps.clock.now();
  // The live state, and whether a finished step since the last write changed it. The state is only
  // serialised for `keep` when the run is about to stop on an infrastructure error: an invoke rejected,
  // or answered with an error that ends the run unless the graph handles it. Until that answer is
  // applied the state still holds the invoke as pending, which is what a redelivery resumes from.
  let live: ExecutionState | undefined;
  let unwritten = false;
  const keepLive = (): void => {
    if (live !== undefined && unwritten) keep(JSON.stringify(live));
  };
  const checked = (outcome: InvokeOutcome): InvokeOutcome => {
    if ('ok' in outcome && !outcome.ok && isInfrastructureError(outcome.error)) keepLive();
    return outcome;
  };
  const failed = (error: unknown): never => {
    keepLive();
    throw error;
  };
  const invoke = (effect: InvokeEffect, signal: AbortSignal): InvokeOutcome | Promise<InvokeOutcome> => {
    let answer: InvokeOutcome | Promise<InvokeOutcome>;
    try {
      answer = deps.invoke(effect, signal);
    } catch (error) {
      return failed(error);
    }
    return answer instanceof Promise ? answer.then(checked, failed) : checked(answer);
  };
  return runExecution(
    graph,
    init,
    overlay(deps, {
      invoke,
      onStep: async (step: Step) => {
        let durable = false;
        let needed = policy.everyStep || pending?.() === true;
        for (const effect of step.effects) {
          if (effect.type === 'invoke') {
            durable = true;
            // A task token is handed out with the invoke: its answer must find the execution waiting.
            if (effect.taskToken !== undefined) needed = true;
          } else if (effect.type === 'timer' && effect.reason === 'poll') {
            durable = true;
            needed = true;
          }
        }
        if (!durable) return;
        live = step.state;
        const now = deps.clock.now();
        if (!needed && now - lastWrite < policy.afterMs) {
          unwritten = true;
          return;
        }
        unwritten = false;
        await write(JSON.stringify(step.state));
        lastWrite = now;
      },
    }),
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
