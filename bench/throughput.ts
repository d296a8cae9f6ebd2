/**
 * The router's throughput with in-process steps and in-memory stores (the runtime's own CPU cost), side by
 * side with the Powertools baseline on the same workload, in one process, and the floor: decoding and the
 * steps alone, what no router can avoid. `bench/router.ts` runs this
 * file bundled and minified exactly as the router is deployed (infra/bundling.ts) in a child process;
 * run from the sources (`node --import tsx bench/throughput.ts`) the same code is about a quarter slower.
 * It prints its figures as one JSON object.
 */
import { pathToFileURL } from 'node:url';
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
const RUNS = 5;
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

/** Throughput figures in this process: warm up, then interleave the three contenders so load swings hit all alike. */
export async function measureThroughput(): Promise<Figures> {
  for (let i = 0; i < WARM_UP_RUNS; i++) {
    await routerRun('standard', BATCH);
    await routerRun('express', BATCH);
    await baselineRun(BATCH);
    await floorRun(BATCH);
  }
  const standard: Rate[] = [];
  const express: Rate[] = [];
  const baseline: Rate[] = [];
  const floor: Rate[] = [];
  for (let i = 0; i < RUNS; i++) {
    standard.push(await routerRun('standard', BATCH));
    express.push(await routerRun('express', BATCH));
    baseline.push(await baselineRun(BATCH));
    floor.push(await floorRun(BATCH));
  }
  const figures: Figures = {};
  for (const clock of ['cpu', 'wall'] as const) {
    const s = median(standard.map((rate) => rate[clock]));
    const e = median(express.map((rate) => rate[clock]));
    const b = median(baseline.map((rate) => rate[clock]));
    const f = median(floor.map((rate) => rate[clock]));
    figures[`router.memory.${clock}.standard.recordsPerSecond`] = Math.round(s);
    figures[`router.memory.${clock}.express.recordsPerSecond`] = Math.round(e);
    figures[`router.memory.${clock}.baseline.recordsPerSecond`] = Math.round(b);
    figures[`router.memory.${clock}.standard.vsBaseline`] = Number((s / b).toFixed(2));
    figures[`router.memory.${clock}.express.vsBaseline`] = Number((e / b).toFixed(2));
    figures[`router.memory.${clock}.floor.recordsPerSecond`] = Math.round(f);
    figures[`router.memory.${clock}.floor.vsBaseline`] = Number((f / b).toFixed(2));
  }
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${JSON.stringify(await measureThroughput())}\n`);
}
