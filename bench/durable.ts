/**
 * Durable-execution figures on the local stack with the real DynamoDB stores (steps in-process):
 * - store requests per message of a standard three-Task engine, counted at the edge, by operation;
 * - the same with a durable Wait between the Tasks (the park, the due index, the sweep's take-over);
 * - the latency from a due timer to the resumed execution's next step, with the sweep polling every
 *   SWEEP_EVERY_MS (the local event source mapping's idle pace; in AWS the schedule's period adds to it).
 * Run alone with `node --openssl-legacy-provider --import tsx bench/durable.ts`.
 */
import { pathToFileURL } from 'node:url';
import type { KinesisStreamEvent } from 'aws-lambda';
import { bootstrap } from '../localstack/bootstrap.ts';
import { startLocalStack } from '../localstack/stack.ts';
import { routerDepsFromEnv } from '../router/deps.ts';
import { createLocalInvoker } from '../router/invoke/index.ts';
import { MessageEventRouter } from '../router/MessageEventRouter.ts';
import { CountingMetrics, silentLogger } from '../router/observability/index.ts';
import { publishEngine, registryFromEnv } from '../router/registry/index.ts';
import type { Figures } from './stack.ts';

const MESSAGES = 200;
const TIMERS = 50;
const SWEEP_EVERY_MS = 25;
const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

const THREE_TASKS = JSON.stringify({
  StartAt: 'A',
  States: {
    A: { Type: 'Task', Resource: fn('a'), ResultPath: '$.a', Next: 'B' },
    B: { Type: 'Task', Resource: fn('b'), ResultPath: '$.b', Next: 'C' },
    C: { Type: 'Task', Resource: fn('c'), ResultPath: '$.c', End: true },
  },
});

const WITH_WAIT = JSON.stringify({
  StartAt: 'A',
  States: {
    A: { Type: 'Task', Resource: fn('a'), ResultPath: '$.a', Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 1, Next: 'B' },
    B: { Type: 'Task', Resource: fn('b'), ResultPath: '$.b', Next: 'C' },
    C: { Type: 'Task', Resource: fn('c'), ResultPath: '$.c', End: true },
  },
});

function batch(engine: string, from: number, count: number): KinesisStreamEvent {
  return {
    Records: Array.from({ length: count }, (_, k) => {
      const i = from + k;
      const body = {
        specversion: '1.0',
        id: `m-${i}`,
        source: 'bench/durable',
        type: 'bench',
        engine,
        data: { i },
      };
      return {
        eventSource: 'aws:kinesis',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench',
        eventID: `shardId-000000000000:${i}`,
        eventName: 'aws:kinesis:record',
        eventVersion: '1.0',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
        awsRegion: 'us-east-1',
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `k-${i % 50}`,
          sequenceNumber: String(10_000_000 + i),
          approximateArrivalTimestamp: Date.now() / 1000,
          data: Buffer.from(JSON.stringify(body)).toString('base64'),
        },
      };
    }),
  };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs the durable benchmarks and returns their figures (names prefixed `durable.`). */
export async function benchDurable(): Promise<Figures> {
  const operations = new Map<string, number>();
  let counting = false;
  const stack = await startLocalStack({
    port: 0,
    onRequest: (info) => {
      if (!counting || info.service !== 'dynamodb') return;
      const operation = info.target?.split('.').pop() ?? info.method;
      operations.set(operation, (operations.get(operation) ?? 0) + 1);
    },
  });
  try {
    await bootstrap({ aws: stack.aws });
    const env = { ...stack.env, ROUTER_ALIAS_TTL_MS: '600000', ROUTER_MAX_INPROCESS_WAIT_MS: '0' };
    const registry = registryFromEnv(env, stack.aws);
    for (const [engine, source] of [
      ['three-tasks', THREE_TASKS],
      ['with-wait', WITH_WAIT],
    ] as const) {
      await publishEngine({ source, file: `${engine}.hjson`, engine }, registry.publishLoader, {
        index: registry.index,
        store: registry.store,
      });
    }
    const resumedAt = new Map<number, number>();
    const step = (name: string) => (payload: unknown) => {
      if (name === 'b') {
        const i = (payload as { i?: number }).i;
        if (typeof i === 'number' && !resumedAt.has(i)) resumedAt.set(i, Date.now());
      }
      return { by: name };
    };
    const deps = routerDepsFromEnv(env, {
      logger: silentLogger,
      metrics: new CountingMetrics(),
      invoke: createLocalInvoker({ a: step('a'), b: step('b'), c: step('c') }),
    });
    const router = new MessageEventRouter(deps);
    await router.processBatch(batch('three-tasks', 0, 10));
    const figures: Figures = {};

    // Store requests per message: three Tasks.
    operations.clear();
    counting = true;
    await router.processBatch(batch('three-tasks', 100, MESSAGES));
    counting = false;
    const perMessage = (map: Map<string, number>) => [...map.values()].reduce((s, n) => s + n, 0) / MESSAGES;
    figures['durable.threeTasks.storeRequestsPerMessage'] = Number(perMessage(operations).toFixed(2));
    for (const [operation, count] of operations) {
      figures[`durable.threeTasks.${operation}PerMessage`] = Number((count / MESSAGES).toFixed(2));
    }

    // Store requests per message: three Tasks and a durable Wait (park, sweep, resume).
    operations.clear();
    resumedAt.clear();
    counting = true;
    await router.processBatch(batch('with-wait', 1_000, MESSAGES));
    const parkedAt = Date.now();
    while (resumedAt.size < MESSAGES) {
      await router.sweep({ limit: 200 });
      await new Promise((resolve) => setTimeout(resolve, SWEEP_EVERY_MS));
      if (Date.now() - parkedAt > 60_000)
        throw new Error('bench durable: parked executions were not resumed');
    }
    counting = false;
    figures['durable.withWait.storeRequestsPerMessage'] = Number(perMessage(operations).toFixed(2));

    // Due timer -> next step: one execution at a time so the figure is the runtime's, not a queue's.
    resumedAt.clear();
    const latencies: number[] = [];
    for (let t = 0; t < TIMERS; t += 1) {
      const i = 10_000 + t;
      await router.processBatch(batch('with-wait', i, 1));
      const parked = await deps.executions.get({ engine: 'with-wait', dedupKey: `bench/durable#m-${i}` });
      if (parked?.dueAt === undefined) throw new Error(`bench durable: execution m-${i} did not park`);
      const dueAt = parked.dueAt;
      while (!resumedAt.has(i)) {
        await router.sweep();
        await new Promise((resolve) => setTimeout(resolve, SWEEP_EVERY_MS));
      }
      latencies.push((resumedAt.get(i) ?? 0) - dueAt);
    }
    figures['durable.timerToNextStep.p50Ms'] = Math.round(percentile(latencies, 0.5));
    figures['durable.timerToNextStep.p95Ms'] = Math.round(percentile(latencies, 0.95));
    figures['durable.sweepEveryMs'] = SWEEP_EVERY_MS;
    return figures;
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchDurable();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}  ${value}\n`);
}
