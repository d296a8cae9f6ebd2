/**
 * EventBridge Scheduler on a laptop, for the step functions the catalog gives a `schedule`: each one is
 * invoked through the local Lambda Invoke API every `everyMinutes`, with the input the deployed
 * schedule sends (`{ idempotencyKey: "NAME:SCHEDULED_TIME", scheduled_time }`), so the step behaves the
 * same in both places. `fire(name, at)` runs one scheduled invocation now, for the demo and the tests,
 * which then wait on its answer instead of on the clock.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { StepFunctionSpec } from '../../handlers/catalog.ts';
import { type AwsEnvironment, lambdaClient } from '../../router/aws/index.ts';

/** What one scheduled invocation answered. */
export interface ScheduledRun {
  readonly name: string;
  readonly scheduledTime: string;
  /** The function's result, or its error payload when `failed`. */
  readonly payload: unknown;
  readonly failed: boolean;
}

/** A running scheduler. */
export interface LocalScheduler {
  /** The scheduled function names. */
  readonly names: readonly string[];
  /** Invokes a scheduled function once, as its schedule would at `at` (default now). */
  fire(name: string, at?: Date): Promise<ScheduledRun>;
  stop(): void;
}

/** Options of {@link startLocalScheduler}. */
export interface LocalSchedulerOptions {
  readonly aws: AwsEnvironment;
  readonly catalog: readonly StepFunctionSpec[];
  /** Told of every timed run (a failed one too); default: nothing. */
  readonly onRun?: (run: ScheduledRun) => void;
  /** Start the timers (default true); `false` leaves only `fire`. */
  readonly timers?: boolean;
}

/**
 * Starts a timer per scheduled function (unref'd: it never keeps the process alive).
 *
 * @example
 * const scheduler = startLocalScheduler({ aws: stack.aws, catalog: STEP_FUNCTIONS });
 * await scheduler.fire('flow-types-reset-flow-type');
 */
export function startLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const lambda = lambdaClient(options.aws);
  const scheduled = options.catalog.filter((spec) => spec.schedule !== undefined);
  const fire = async (name: string, at = new Date()): Promise<ScheduledRun> => {
    if (!scheduled.some((spec) => spec.name === name)) {
      throw new Error(
        `local scheduler: '${name}' has no schedule (scheduled: ${scheduled.map((s) => s.name).join(', ') || 'none'})`,
      );
    }
    const scheduledTime = at.toISOString();
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: name,
        Payload: Buffer.from(
          JSON.stringify({ idempotencyKey: `${name}:${scheduledTime}`, scheduled_time: scheduledTime }),
        ),
      }),
    );
    const text = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
    return {
      name,
      scheduledTime,
      payload: text === '' ? null : (JSON.parse(text) as unknown),
      failed: response.FunctionError !== undefined,
    };
  };
  const timers =
    options.timers === false
      ? []
      : scheduled.map((spec) =>
          setInterval(
            () => {
              fire(spec.name).then(
                (run) => options.onRun?.(run),
                (error: unknown) =>
                  options.onRun?.({
                    name: spec.name,
                    scheduledTime: new Date().toISOString(),
                    payload: String(error),
                    failed: true,
                  }),
              );
            },
            (spec.schedule?.everyMinutes ?? 1) * 60_000,
          ).unref(),
        );
  return {
    names: scheduled.map((spec) => spec.name),
    fire,
    stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
