/**
 * The MessageEventRouter Lambda entry point. Dependencies (clients, caches, compiled graphs, the
 * task-token secret) are built once per cold start, while the module loads, and reused by every warm
 * invocation. Two kinds of event arrive: Kinesis batches from the event source mapping, and
 * `{ "routerCommand": "sweep" }` from the schedule that resumes due durable waits.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadRouterDeps } from './deps.ts';
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

/**
 * The router of this process, built while the module loads (a top-level await): Lambda runs module
 * initialisation in its init phase, before the first event, so clients, caches, settings and the
 * task-token secret (one Secrets Manager round trip) are ready when a batch arrives, and a bad setting or
 * a missing secret fails the deployment's first init instead of the first batch.
 */
const router = new MessageEventRouter(await loadRouterDeps());

/** The router of this process. */
export function currentRouter(): MessageEventRouter {
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
