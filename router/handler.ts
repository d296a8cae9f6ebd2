/**
 * The MessageEventRouter Lambda entry point. Dependencies (clients, caches, compiled graphs) are built
 * once per cold start and reused by every warm invocation. Two kinds of event arrive: Kinesis batches
 * from the event source mapping, and `{ "routerCommand": "sweep" }` from the schedule that resumes due
 * durable waits.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { routerDepsFromEnv } from './deps.ts';
import { type BatchSummary, MessageEventRouter } from './MessageEventRouter.ts';

/** The scheduled event that resumes due executions. */
export interface SweepEvent {
  readonly routerCommand: 'sweep';
  readonly limit?: number;
}

/** Everything the router function can be invoked with. */
export type RouterEvent = KinesisStreamEvent | SweepEvent;

function isSweep(event: RouterEvent): event is SweepEvent {
  return (event as Partial<SweepEvent>).routerCommand === 'sweep';
}

let router: MessageEventRouter | undefined;

/** The router of this process, built on first use from the environment. */
export function currentRouter(): MessageEventRouter {
  router ??= new MessageEventRouter(routerDepsFromEnv());
  return router;
}

/**
 * The Lambda handler.
 *
 * @example
 * // CDK: new NodejsFunction(this, 'Router', { entry: 'router/handler.ts', handler: 'handler' })
 */
export async function handler(
  event: RouterEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<KinesisStreamBatchResponse | BatchSummary> {
  const remainingTimeMs = context === undefined ? undefined : () => context.getRemainingTimeInMillis();
  const options = remainingTimeMs === undefined ? {} : { remainingTimeMs };
  if (isSweep(event)) {
    return currentRouter().sweep({
      ...options,
      ...(event.limit === undefined ? {} : { limit: event.limit }),
    });
  }
  return currentRouter().handleBatch(event, options);
}
