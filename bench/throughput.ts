/**
 * The router's throughput with in-process steps and in-memory stores (the runtime's own CPU cost), side by
 * side with the Powertools baseline on the same workload, in one process, and the floor: decoding and the
 * steps alone, what no router can avoid. `bench/router.ts` runs this
 * file bundled and minified exactly as the router is deployed (infra/bundling.ts) in a child process;
 * run from the sources (`node --import tsx bench/throughput.ts`) the same code is about a quarter slower.
 * Each contender runs in a process of its own, round after round in turn: in one shared heap, whoever
 * runs next pays to collect the garbage the one before left (a standard batch leaves its executions'
 * histories), which no Lambda container does. Every process runs with the heap limits Lambda's Node.js
 * runtime gives the router's function, and each round again with Node's defaults, for comparison. It
 * prints its figures as one JSON object.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { ExecutionMode, JsonValue } from '../router/asl/index.ts';
import { inMemoryRouter, sequentialGraph } from '../test/support/router.ts';
import { cloudEventOf, createBaselineHandler, lambdaContext } from './baseline/handler.ts';
import { MemoryPersistenceLayer } from './baseline/MemoryPersistenceLayer.ts';
import {
  BATCH_RECORDS,
  ENGINE,
  orderBatch,
  PARTITION_KEYS,
  runSteps,
  STEPS,
  stepsByName,
} from './baseline/workload.ts';
import { median } from './stats.ts';

/** Figures by name, as every benchmark module returns them. */
type Figures = Record<string, number | string>;

/** Full batches each contender runs before measuring: a warm Lambda container has long since tiered up its JIT. */
const WARM_UP_RUNS = 3;
/** Timed batches in each contender's process, and rounds of processes: medians over six batches each. */
const RUNS_PER_PROCESS = 2;
const ROUNDS = 3;
/** The flag that makes this file one contender's process. */
const CONTENDER_FLAG = '--contender';
/** As the Lambda handler passes it: the router arms its deadline, as it does in Lambda. */
const LAMBDA_CONTEXT = { remainingTimeMs: () => 900_000 };
const BATCH = BATCH_RECORDS;

let runCounter = 0;
function freshRun(label: string): string {
  runCounter += 1;
  return `${label}-${process.pid}-${runCounter}`;
}

/** Records per second of one run: by the wall clock, and per second of this process's CPU time. */
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/** Times `run`, by the wall clock and by CPU time (the latter barely moves when other work shares the cores). */
async function timed(records: number, run: () => Promise<void>): Promise<Rate> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await run();
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { wall: records / (elapsed / 1000), cpu: records / ((cpu.user + cpu.system) / 1e6) };
}

/** Records per second of one in-memory router over one fresh batch. */
async function routerRun(mode: ExecutionMode, records: number): Promise<Rate> {
  const r = inMemoryRouter(stepsByName());
  await r.publish(sequentialGraph(3, mode === 'express' ? { Mode: 'express' } : {}), { engine: ENGINE });
  const batch = orderBatch({ records, partitionKeys: PARTITION_KEYS, run: freshRun(mode), engine: ENGINE });
  return timed(records, async () => {
    const summary = await r.router.processBatch(batch, LAMBDA_CONTEXT);
    if (summary.succeeded !== records || summary.failures.length > 0) {
      throw new Error(
        `bench router (${mode}): ${summary.succeeded} of ${records} records succeeded, ${summary.failures.length} reported`,
      );
    }
  });
}

/** Records per second of the Powertools baseline with an in-memory persistence layer over one fresh batch. */
async function baselineRun(records: number): Promise<Rate> {
  const store = new MemoryPersistenceLayer();
  const handler = createBaselineHandler({ persistenceStore: store, steps: STEPS });
  const batch = orderBatch({ records, partitionKeys: PARTITION_KEYS, run: freshRun('baseline') });
  return timed(records, async () => {
    const response = await handler(batch, lambdaContext());
    if (response.batchItemFailures.length > 0 || store.records.size !== records) {
      throw new Error(
        `bench baseline: ${response.batchItemFailures.length} records failed, ${store.records.size} of ${records} stored`,
      );
    }
  });
}

/**
 * Records per second of the work no router can skip: decode each record (base64, UTF-8, JSON) and run the
 * three steps, keeping each result by dedup key, with no routing, dedup, ordering or bookkeeping. Its
 * ratio to the baseline is the most any router could reach on this machine.
 */
async function floorRun(records: number): Promise<Rate> {
  const batch = orderBatch({ records, partitionKeys: PARTITION_KEYS, run: freshRun('floor') });
  const results = new Map<string, JsonValue>();
  return timed(records, async () => {
    for (const record of batch.Records) {
      const event = cloudEventOf(record);
      results.set(`${String(event.source)}#${String(event.id)}`, runSteps(STEPS, event.data));
    }
    if (results.size !== records) throw new Error(`bench floor: ${results.size} of ${records} kept`);
  });
}

/** The contenders, in the order each round runs them. */
const CONTENDERS = ['standard', 'express', 'baseline', 'floor'] as const;
type Contender = (typeof CONTENDERS)[number];

/** One fresh batch of `contender`. */
function runOnce(contender: Contender): Promise<Rate> {
  switch (contender) {
    case 'standard':
    case 'express':
      return routerRun(contender, BATCH);
    case 'baseline':
      return baselineRun(BATCH);
    case 'floor':
      return floorRun(BATCH);
  }
}

/** What one contender's process does: warm up, then time its batches; the rates go to stdout as JSON. */
async function contenderProcess(contender: Contender): Promise<Rate[]> {
  for (let i = 0; i < WARM_UP_RUNS; i++) await runOnce(contender);
  const rates: Rate[] = [];
  for (let i = 0; i < RUNS_PER_PROCESS; i++) rates.push(await runOnce(contender));
  return rates;
}

/**
 * The heap limits Lambda's Node.js runtime starts a 1,024 MB function with (the router's default size,
 * `infra/RouterStack.ts`): a young generation of a tenth of the memory, so semi-spaces of 5%, and an
 * old generation of 90%. Node's own default semi-space is a few MB, and collects a batch's young objects
 * several times as often.
 */
const LAMBDA_HEAP_FLAGS = ['--max-semi-space-size=51', '--max-old-space-size=921'] as const;

/** The V8 settings contenders run under: Lambda's for a 1,024 MB function, and Node's defaults. */
const HEAPS = { lambda: LAMBDA_HEAP_FLAGS, nodeDefaults: [] } as const;
type Heap = keyof typeof HEAPS;

/** Runs `contender` in a fresh process of this same file (bundled or from the sources) and reads its rates. */
async function inChild(contender: Contender, heap: Heap): Promise<Rate[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...HEAPS[heap], ...process.execArgv, process.argv[1] ?? '', CONTENDER_FLAG, contender],
    { maxBuffer: 1024 * 1024 },
  );
  return JSON.parse(stdout) as Rate[];
}

/**
 * Throughput figures: rounds in which every contender runs in a process of its own, in turn, so load
 * swings hit all alike; under Lambda's heap settings (`router.memory.*`, the figures the goals are read
 * from), and under Node's defaults (`router.memory.nodeDefaults.*`).
 */
export async function measureThroughput(): Promise<Figures> {
  const runs = new Map<string, Rate[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const heap of Object.keys(HEAPS) as Heap[]) {
      for (const contender of CONTENDERS) {
        const key = `${heap}/${contender}`;
        runs.set(key, [...(runs.get(key) ?? []), ...(await inChild(contender, heap))]);
      }
    }
  }
  const figures: Figures = {
    'router.memory.setup': `${ROUNDS} rounds x ${CONTENDERS.length} contenders, each in its own process: ${WARM_UP_RUNS} warm-up + ${RUNS_PER_PROCESS} timed batches of ${BATCH} records`,
    'router.memory.heap': `Lambda's for 1,024 MB (${LAMBDA_HEAP_FLAGS.join(' ')}); nodeDefaults: none`,
  };
  for (const heap of Object.keys(HEAPS) as Heap[]) {
    const prefix = heap === 'lambda' ? 'router.memory' : `router.memory.${heap}`;
    for (const clock of heap === 'lambda' ? (['cpu', 'wall'] as const) : (['cpu'] as const)) {
      const rate = (contender: Contender): number =>
        median((runs.get(`${heap}/${contender}`) ?? []).map((r) => r[clock]));
      const b = rate('baseline');
      for (const contender of CONTENDERS) {
        const r = rate(contender);
        figures[`${prefix}.${clock}.${contender}.recordsPerSecond`] = Math.round(r);
        if (contender !== 'baseline')
          figures[`${prefix}.${clock}.${contender}.vsBaseline`] = Number((r / b).toFixed(2));
      }
    }
  }
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = process.argv.indexOf(CONTENDER_FLAG);
  const contender = CONTENDERS.find((name) => name === process.argv[flag + 1]);
  if (flag >= 0 && contender === undefined) {
    throw new Error(`bench throughput: ${CONTENDER_FLAG} takes one of ${CONTENDERS.join(', ')}`);
  }
  const figures = contender === undefined ? await measureThroughput() : await contenderProcess(contender);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
