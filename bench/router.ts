/**
 * MessageEventRouter figures in memory, side by side with the Powertools baseline a user would otherwise
 * write (`bench/baseline/`), on the same 3-step workload (`bench/compare.ts` sets them against each other
 * on a local DynamoDB):
 * - throughput of the runtime's own CPU cost (in-process steps, in-memory stores), standard and express;
 * - the scaling curves (`bench/scaling.ts`): batch size, partition keys, engines, executed states;
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
import type { KinesisStreamEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { esbuildOptions, REPO_ROOT } from '../infra/bundling.ts';
import { inMemoryRouter, sequentialGraph } from '../test/support/router.ts';
import { createBaselineHandler, lambdaContext } from './baseline/handler.ts';
import { MemoryPersistenceLayer } from './baseline/MemoryPersistenceLayer.ts';
import { BATCH_RECORDS, ENGINE, orderBatch, PARTITION_KEYS, STEPS, type Step } from './baseline/workload.ts';
import type { Figures } from './stack.ts';

const BATCH = BATCH_RECORDS;

/**
 * The figures a benchmark file prints as one JSON object, measured on that file bundled and minified
 * with the deployed router's esbuild settings, in a fresh process: the form the router runs in on
 * Lambda, for the baseline as much as for the router.
 */
async function bundledFigures(file: string): Promise<Figures> {
  const scratch = path.join(REPO_ROOT, '.local');
  mkdirSync(scratch, { recursive: true });
  const workDir = mkdtempSync(path.join(scratch, 'bench-bundled-'));
  try {
    const outfile = path.join(workDir, file.replace(/\.ts$/, '.mjs'));
    await build({
      ...esbuildOptions(),
      entryPoints: [fileURLToPath(new URL(`./${file}`, import.meta.url))],
      outfile,
      logLevel: 'error',
    });
    const { stdout } = await promisify(execFile)(process.execPath, [outfile], {
      cwd: REPO_ROOT,
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(stdout) as Figures;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Throughput figures (`bench/throughput.ts`), bundled as deployed. */
async function benchThroughput(): Promise<Figures> {
  return {
    'router.memory.form': 'bundled and minified, as deployed',
    ...(await bundledFigures('throughput.ts')),
  };
}

/** Scaling curves (`bench/scaling.ts`), bundled as deployed. */
function benchScaling(): Promise<Figures> {
  return bundledFigures('scaling.ts');
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
const PARTS = { throughput: benchThroughput, scaling: benchScaling, heap: benchHeap } as const;

/** Runs the router benchmarks (all parts, or the named ones) and returns their figures. */
export async function benchRouter(
  only: ReadonlyArray<keyof typeof PARTS> = ['throughput', 'scaling', 'heap'],
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
