/**
 * The contenders of `bench/compare.ts`, in a process of their own so that its CPU time is theirs alone
 * (router or baseline, with their SDK clients), not the local DynamoDB's, which runs in the parent. The
 * parent bundles this file with the deployed router's esbuild settings, forks it, and drives it over IPC:
 * one `run` message per measured batch, answered with its wall and CPU time, while the parent counts the
 * store requests and sets the store's latency between runs.
 */
import { getHeapStatistics } from 'node:v8';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { dynamoDbClient } from '../router/aws/index.ts';
import { routerDepsFromEnv } from '../router/deps.ts';
import { createLocalInvoker } from '../router/invoke/index.ts';
import { MessageEventRouter } from '../router/MessageEventRouter.ts';
import { CountingMetrics, silentLogger } from '../router/observability/index.ts';
import { createBaselineHandler, lambdaContext } from './baseline/handler.ts';
import { orderBatch, STEPS, stepsByName } from './baseline/workload.ts';
import {
  type ChildRequest,
  type Contender,
  ENGINES,
  type HeapGrowth,
  IDEMPOTENCY_TABLE,
  type RunTiming,
} from './compare-protocol.ts';

const LAMBDA_CONTEXT = { remainingTimeMs: () => 900_000 };
let batches = 0;

function batchFor(contender: Contender, records: number, keys: number): KinesisStreamEvent {
  batches += 1;
  const engine = contender === 'express' || contender === 'standard' ? ENGINES[contender] : undefined;
  return orderBatch({
    records,
    partitionKeys: keys,
    run: `${contender}-${process.pid}-${batches}`,
    ...(engine === undefined ? {} : { engine }),
  });
}

function contenders(): Record<Contender, (batch: KinesisStreamEvent) => Promise<number>> {
  const router = new MessageEventRouter(
    routerDepsFromEnv(process.env, {
      invoke: createLocalInvoker(stepsByName()),
      logger: silentLogger,
      metrics: new CountingMetrics(),
    }),
  );
  const viaRouter = async (batch: KinesisStreamEvent): Promise<number> => {
    const summary = await router.processBatch(batch, LAMBDA_CONTEXT);
    return summary.failures.length === 0 ? summary.succeeded : 0;
  };
  const dynamodb = dynamoDbClient({
    region: process.env.AWS_REGION ?? 'us-east-1',
    ...(process.env.AWS_ENDPOINT_URL === undefined ? {} : { endpoint: process.env.AWS_ENDPOINT_URL }),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const baseline = (sequential: boolean) => {
    const handler = createBaselineHandler({
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: IDEMPOTENCY_TABLE,
        awsSdkV3Client: dynamodb,
      }),
      steps: STEPS,
      sequential,
    });
    return async (batch: KinesisStreamEvent): Promise<number> =>
      batch.Records.length - (await handler(batch, lambdaContext())).batchItemFailures.length;
  };
  return {
    express: viaRouter,
    standard: viaRouter,
    baseline: baseline(false),
    'baseline-sequential': baseline(true),
  };
}

const run = contenders();

async function measure(contender: Contender, records: number, keys: number): Promise<RunTiming> {
  const batch = batchFor(contender, records, keys);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const done = await run[contender](batch);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (done !== records)
    throw new Error(`bench compare (${contender}): ${done} of ${records} records completed`);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

const MIB = 1024 * 1024;

/** One express batch, sampling the heap every millisecond; `--expose-gc` gives the floor before it. */
async function heap(records: number): Promise<HeapGrowth> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const batch = batchFor('express', records, 1_000);
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 1);
  const done = await run.express(batch);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().heapUsed, getHeapStatistics().used_heap_size);
  if (done !== records) throw new Error(`bench compare (heap): ${done} of ${records} records completed`);
  return { growthMiB: Number(((peak - before) / MIB).toFixed(1)), peakMiB: Number((peak / MIB).toFixed(1)) };
}

async function answer(request: ChildRequest): Promise<unknown> {
  switch (request.type) {
    case 'run':
      return measure(request.contender, request.records, request.keys);
    case 'heap':
      return heap(request.records);
    case 'exit':
      return undefined;
  }
}

process.on('message', (request: ChildRequest) => {
  if (request.type === 'exit') {
    process.disconnect();
    return;
  }
  answer(request).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) =>
      process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.send?.({ ok: true, result: 'ready' });
