/**
 * MessageEventRouter figures, side by side with the Powertools baseline a user would otherwise write
 * (`bench/baseline/`), on the same 3-step workload:
 * - throughput of the runtime's own CPU cost (in-process steps, in-memory stores), standard and express;
 * - DynamoDB requests per record, counted at the local stack's edge, with the real stores;
 * - peak heap of one 10,000-record batch, each side measured in a fresh child process.
 * Run alone with `node --openssl-legacy-provider --import tsx bench/router.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { esbuildOptions, REPO_ROOT } from '../infra/bundling.ts';
import { bootstrap, ensureTable } from '../localstack/bootstrap.ts';
import { startLocalStack } from '../localstack/stack.ts';
import { dynamoDbClient } from '../router/aws/index.ts';
import { routerDepsFromEnv } from '../router/deps.ts';
import { createLocalInvoker } from '../router/invoke/index.ts';
import { MessageEventRouter } from '../router/MessageEventRouter.ts';
import { CountingMetrics, silentLogger } from '../router/observability/index.ts';
import { publishEngine, registryFromEnv } from '../router/registry/index.ts';
import { inMemoryRouter, sequentialGraph } from '../test/support/router.ts';
import { type BaselineHandler, createBaselineHandler, lambdaContext } from './baseline/handler.ts';
import { MemoryPersistenceLayer } from './baseline/MemoryPersistenceLayer.ts';
import {
  BATCH_RECORDS,
  ENGINE,
  orderBatch,
  PARTITION_KEYS,
  STEPS,
  type Step,
  stepsByName,
} from './baseline/workload.ts';
import type { Figures } from './stack.ts';

const BATCH = BATCH_RECORDS;

/**
 * Throughput figures (`bench/throughput.ts`), measured on that file bundled and minified with the
 * deployed router's esbuild settings, in a fresh process: the form the router runs in on Lambda, for the
 * baseline as much as for the router.
 */
async function benchThroughput(): Promise<Figures> {
  const scratch = path.join(REPO_ROOT, '.local');
  mkdirSync(scratch, { recursive: true });
  const workDir = mkdtempSync(path.join(scratch, 'bench-throughput-'));
  try {
    const outfile = path.join(workDir, 'throughput.mjs');
    await build({
      ...esbuildOptions(),
      entryPoints: [fileURLToPath(new URL('./throughput.ts', import.meta.url))],
      outfile,
      logLevel: 'error',
    });
    const { stdout } = await promisify(execFile)(process.execPath, [outfile], {
      cwd: REPO_ROOT,
      maxBuffer: 1024 * 1024,
    });
    return { 'router.memory.form': 'bundled and minified, as deployed', ...(JSON.parse(stdout) as Figures) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

let runCounter = 0;
function freshRun(label: string): string {
  runCounter += 1;
  return `${label}-${process.pid}-${runCounter}`;
}

/** Records per batch against the local stack, batches measured, and the idempotency table of the baseline. */
const STACK_BATCH = 200;
const STACK_BATCHES = 3;
const IDEMPOTENCY_TABLE = 'bench-idempotency';

/** DynamoDB requests seen at the edge while `counting`, in total and per operation. */
interface RequestCounter {
  counting: boolean;
  dynamodb: number;
  readonly operations: Map<string, number>;
}

/** DynamoDB requests and wall-clock rate of one contender over the measured batches. */
interface StackRun {
  readonly requestsPerRecord: number;
  /** Per operation, e.g. `PutItem 200, UpdateItem 600`. */
  readonly operations: string;
  readonly recordsPerSecond: number;
}

/** A warm-up batch and the measured batches for one engine (the `engine` attribute routes them). */
interface StackBatches {
  readonly warm: KinesisStreamEvent;
  readonly measured: readonly KinesisStreamEvent[];
}

function stackBatches(engine: string): StackBatches {
  return {
    warm: orderBatch({ records: 20, partitionKeys: 20, run: freshRun(`${engine}-warm`), engine }),
    measured: Array.from({ length: STACK_BATCHES }, () =>
      orderBatch({ records: STACK_BATCH, partitionKeys: STACK_BATCH, run: freshRun(engine), engine }),
    ),
  };
}

/**
 * Runs `handle` over the batches against the local stack, counting the DynamoDB requests the edge sees
 * while the measured batches run (after the warm-up batch: graph loads and alias reads are per cold start).
 */
async function stackRuns(
  label: string,
  counter: RequestCounter,
  batches: StackBatches,
  handle: (batch: KinesisStreamEvent) => Promise<number>,
): Promise<StackRun> {
  await handle(batches.warm);
  let elapsed = 0;
  let records = 0;
  counter.dynamodb = 0;
  counter.operations.clear();
  for (const batch of batches.measured) {
    counter.counting = true;
    const started = performance.now();
    const done = await handle(batch);
    elapsed += performance.now() - started;
    counter.counting = false;
    const size = batch.Records.length;
    if (done !== size) throw new Error(`bench ${label}: ${done} of ${size} records completed`);
    records += size;
  }
  return {
    requestsPerRecord: Number((counter.dynamodb / records).toFixed(3)),
    operations: [...counter.operations].map(([name, count]) => `${name} ${count}`).join(', '),
    recordsPerSecond: Math.round(records / (elapsed / 1000)),
  };
}

/** DynamoDB requests per record with the real stores, counted at the edge of the embedded stack. */
async function benchStack(): Promise<Figures> {
  const counter: RequestCounter = { counting: false, dynamodb: 0, operations: new Map() };
  const stack = await startLocalStack({
    port: 0,
    onRequest: (info) => {
      if (!counter.counting || info.service !== 'dynamodb') return;
      counter.dynamodb += 1;
      const operation = info.target?.split('.').pop() ?? info.method;
      counter.operations.set(operation, (counter.operations.get(operation) ?? 0) + 1);
    },
  });
  const dynamodb = dynamoDbClient(stack.aws);
  try {
    await bootstrap({ aws: stack.aws });
    // Alias pointers are re-read in the background every ROUTER_ALIAS_TTL_MS; keep that out of the count.
    const env = { ...stack.env, ROUTER_ALIAS_TTL_MS: '600000' };
    const registry = registryFromEnv(env, stack.aws);
    for (const mode of ['express', 'standard'] as const) {
      await publishEngine(
        {
          source: sequentialGraph(3, mode === 'express' ? { Mode: 'express' } : {}),
          file: `orders-${mode}.hjson`,
          engine: `orders-${mode}`,
        },
        registry.publishLoader,
        { index: registry.index, store: registry.store },
      );
    }
    const router = new MessageEventRouter(
      routerDepsFromEnv(env, {
        invoke: createLocalInvoker(stepsByName()),
        logger: silentLogger,
        metrics: new CountingMetrics(),
      }),
    );
    const viaRouter = async (batch: KinesisStreamEvent): Promise<number> => {
      const summary = await router.processBatch(batch);
      return summary.failures.length === 0 ? summary.succeeded : 0;
    };
    const expressBatches = stackBatches('orders-express');
    const express = await stackRuns('stack-express', counter, expressBatches, viaRouter);
    const standard = await stackRuns('stack-standard', counter, stackBatches('orders-standard'), viaRouter);

    await ensureTable(dynamodb, IDEMPOTENCY_TABLE, { partitionKey: 'id', indexes: [] });
    const handler: BaselineHandler = createBaselineHandler({
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: IDEMPOTENCY_TABLE,
        awsSdkV3Client: dynamodb,
      }),
      steps: STEPS,
    });
    // The records the express engine ran (the baseline ignores their `engine` attribute).
    const baseline = await stackRuns('stack-baseline', counter, expressBatches, async (batch) => {
      const response = await handler(batch, lambdaContext());
      return batch.Records.length - response.batchItemFailures.length;
    });
    return {
      'router.stack.express.dynamodbRequestsPerRecord': express.requestsPerRecord,
      'router.stack.standard.dynamodbRequestsPerRecord': standard.requestsPerRecord,
      'router.stack.baseline.dynamodbRequestsPerRecord': baseline.requestsPerRecord,
      'router.stack.express.dynamodbRequests': express.operations,
      'router.stack.standard.dynamodbRequests': standard.operations,
      'router.stack.baseline.dynamodbRequests': baseline.operations,
      'router.stack.express.recordsPerSecond': express.recordsPerSecond,
      'router.stack.standard.recordsPerSecond': standard.recordsPerSecond,
      'router.stack.baseline.recordsPerSecond': baseline.recordsPerSecond,
    };
  } finally {
    dynamodb.destroy();
    await stack.stop();
  }
}

/** What a heap child process measures: the router with a standard or an express engine, or the baseline. */
type HeapSubject = 'router' | 'router-express' | 'baseline';
const HEAP_SUBJECTS: readonly string[] = ['router', 'router-express', 'baseline'] satisfies HeapSubject[];

/** Heap figures of one batch, in MiB, as the child process prints them. */
interface HeapFigures {
  readonly peakHeapUsedMiB: number;
  readonly heapDeltaMiB: number;
  readonly peakTotalHeapMiB: number;
  /** Still reachable after the batch and a full GC: what the in-memory stores keep. */
  readonly retainedMiB: number;
}

const MIB = 1024 * 1024;

/**
 * In a fresh process (`--expose-gc`): one 10,000-record batch through `which`, sampling the heap every
 * millisecond and at every step call (the batch runs mostly in microtasks, between timer ticks).
 */
async function heapChild(which: HeapSubject): Promise<HeapFigures> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('bench heap: run node with --expose-gc');
  let peakUsed = 0;
  let peakTotal = 0;
  const sample = (): void => {
    const used = process.memoryUsage().heapUsed;
    if (used > peakUsed) peakUsed = used;
    const total = getHeapStatistics().total_heap_size;
    if (total > peakTotal) peakTotal = total;
  };
  const sampled = STEPS.map(([name, step]) => {
    const wrapped: Step = (input) => {
      sample();
      return step(input);
    };
    return [name, wrapped] as const;
  });
  let run: (batch: KinesisStreamEvent) => Promise<number>;
  if (which !== 'baseline') {
    const r = inMemoryRouter(Object.fromEntries(sampled));
    await r.publish(sequentialGraph(3, which === 'router-express' ? { Mode: 'express' } : {}), {
      engine: ENGINE,
    });
    run = async (batch) => (await r.router.processBatch(batch)).succeeded;
  } else {
    const handler = createBaselineHandler({ persistenceStore: new MemoryPersistenceLayer(), steps: sampled });
    run = async (batch) =>
      batch.Records.length - (await handler(batch, lambdaContext())).batchItemFailures.length;
  }
  const engine = which === 'baseline' ? {} : { engine: ENGINE };
  await run(orderBatch({ records: 100, partitionKeys: 100, run: 'heap-warm', ...engine }));
  const batch = orderBatch({ records: BATCH, partitionKeys: PARTITION_KEYS, run: 'heap', ...engine });
  collect();
  collect();
  const before = process.memoryUsage().heapUsed;
  peakUsed = before;
  peakTotal = getHeapStatistics().total_heap_size;
  const timer = setInterval(sample, 1);
  const done = await run(batch);
  sample();
  clearInterval(timer);
  if (done !== BATCH) throw new Error(`bench heap (${which}): ${done} of ${BATCH} records completed`);
  collect();
  const after = process.memoryUsage().heapUsed;
  return {
    retainedMiB: Number(((after - before) / MIB).toFixed(1)),
    peakHeapUsedMiB: Number((peakUsed / MIB).toFixed(1)),
    heapDeltaMiB: Number(((peakUsed - before) / MIB).toFixed(1)),
    peakTotalHeapMiB: Number((peakTotal / MIB).toFixed(1)),
  };
}

/** Runs {@link heapChild} in a fresh Node process and reads its figures. */
async function heapOf(which: HeapSubject): Promise<HeapFigures> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--heap', which],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout) as HeapFigures;
}

async function benchHeap(): Promise<Figures> {
  const router = await heapOf('router');
  const express = await heapOf('router-express');
  const baseline = await heapOf('baseline');
  return {
    'router.heap.router.peakHeapUsedMiB': router.peakHeapUsedMiB,
    'router.heap.router.batchDeltaMiB': router.heapDeltaMiB,
    'router.heap.router.peakTotalHeapMiB': router.peakTotalHeapMiB,
    'router.heap.router.retainedByStoresMiB': router.retainedMiB,
    'router.heap.routerExpress.peakHeapUsedMiB': express.peakHeapUsedMiB,
    'router.heap.routerExpress.batchDeltaMiB': express.heapDeltaMiB,
    'router.heap.routerExpress.retainedByStoresMiB': express.retainedMiB,
    'router.heap.baseline.peakHeapUsedMiB': baseline.peakHeapUsedMiB,
    'router.heap.baseline.batchDeltaMiB': baseline.heapDeltaMiB,
    'router.heap.baseline.peakTotalHeapMiB': baseline.peakTotalHeapMiB,
    'router.heap.baseline.retainedByStoresMiB': baseline.retainedMiB,
  };
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/** The three parts, each runnable alone with `--only NAME`. */
const PARTS = { throughput: benchThroughput, heap: benchHeap, stack: benchStack } as const;

/** Runs the router benchmarks (all parts, or the named ones) and returns their figures. */
export async function benchRouter(
  only: ReadonlyArray<keyof typeof PARTS> = ['throughput', 'heap', 'stack'],
): Promise<Figures> {
  const figures: Figures = { 'router.loadAverage.before': load() };
  for (const part of only) Object.assign(figures, await PARTS[part]());
  figures['router.loadAverage.after'] = load();
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const heap = process.argv.indexOf('--heap');
  const which = heap < 0 ? undefined : process.argv[heap + 1];
  if (which !== undefined && HEAP_SUBJECTS.includes(which)) {
    process.stdout.write(`${JSON.stringify(await heapChild(which as HeapSubject))}\n`);
  } else {
    const only = process.argv.indexOf('--only');
    const part = only < 0 ? undefined : process.argv[only + 1];
    if (part !== undefined && !(part in PARTS)) {
      throw new Error(`bench router: --only takes one of ${Object.keys(PARTS).join(', ')}, got '${part}'`);
    }
    const figures = await benchRouter(part === undefined ? undefined : [part as keyof typeof PARTS]);
    for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}\t${value}\n`);
  }
}
