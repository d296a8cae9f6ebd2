/**
 * How the router's CPU cost per record moves as a batch grows, as records spread over more partition
 * keys, as they spread over more engines, and as an execution runs more states; all in memory (stores
 * and steps in-process), so the curves show the runtime's own cost. `bench/router.ts` runs this file
 * bundled as the router is deployed, in a fresh process; it prints its figures as one JSON object.
 */
import { pathToFileURL } from 'node:url';
import type { JsonValue } from '../router/asl/index.ts';
import { inMemoryRouter, sequentialGraph } from '../test/support/router.ts';
import { orderBatch, stepsByName } from './baseline/workload.ts';
import { median } from './stats.ts';

type Figures = Record<string, number | string>;

const LAMBDA_CONTEXT = { remainingTimeMs: () => 900_000 };
const EXPRESS = { Mode: 'express' };
const ROUNDS = 3;

let runs = 0;
function freshRun(label: string): string {
  runs += 1;
  return `${label}-${process.pid}-${runs}`;
}

/** CPU microseconds `run` took. */
async function cpuMicros(run: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

const fixed = (value: number, digits: number): number => Number(value.toFixed(digits));

/** Express CPU per record (us) over batch sizes and over partition keys. */
async function batchesAndKeys(): Promise<Figures> {
  const r = inMemoryRouter(stepsByName());
  await r.publish(sequentialGraph(3, EXPRESS), { engine: 'orders' });
  const perRecord = async (records: number, keys: number): Promise<number> => {
    const samples: number[] = [];
    for (let round = 0; round <= ROUNDS; round += 1) {
      const batch = orderBatch({ records, partitionKeys: keys, run: freshRun('size'), engine: 'orders' });
      const micros = await cpuMicros(async () => {
        const summary = await r.router.processBatch(batch, LAMBDA_CONTEXT);
        if (summary.succeeded !== records)
          throw new Error(`bench scaling: ${summary.succeeded} of ${records}`);
      });
      // The first round warms up.
      if (round > 0) samples.push(micros / records);
    }
    return fixed(median(samples), 1);
  };
  const figures: Figures = {};
  for (const records of [100, 1_000, 10_000]) {
    figures[`scaling.batch${records}.express.cpuUsPerRecord`] = await perRecord(
      records,
      Math.min(records, 1_000),
    );
  }
  for (const keys of [1, 10, 100, 1_000]) {
    figures[`scaling.keys${keys}.express.cpuUsPerRecord`] = await perRecord(5_000, keys);
  }
  return figures;
}

/**
 * Express CPU per record with the records of a 10,000-record batch spread round robin over 1 to 1,000
 * engines, after a first batch has loaded every version; and the share of resolver hits in the batches
 * measured after it. The engine counts take turns round by round, so a swing of the machine's load or
 * of the JIT's state falls on all of them alike.
 */
async function engines(): Promise<Figures> {
  const counts = [1, 100, 500, 1_000];
  const routers = [];
  for (const count of counts) {
    const r = inMemoryRouter(stepsByName());
    for (let e = 0; e < count; e += 1)
      await r.publish(sequentialGraph(3, EXPRESS), { engine: `engine-${e}` });
    const batch = (): ReturnType<typeof orderBatch> => {
      const events = orderBatch({ records: 10_000, partitionKeys: 1_000, run: freshRun(`engines${count}`) });
      for (const [i, record] of events.Records.entries()) {
        const body = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as Record<
          string,
          JsonValue
        >;
        body.engine = `engine-${i % count}`;
        record.kinesis.data = Buffer.from(JSON.stringify(body)).toString('base64');
      }
      return events;
    };
    await r.router.processBatch(batch(), LAMBDA_CONTEXT);
    routers.push({
      count,
      r,
      batch,
      samples: [] as number[],
      hits: r.metrics.totals.get('CacheHits') ?? 0,
      misses: r.metrics.totals.get('CacheMisses') ?? 0,
    });
  }
  for (let round = 0; round < ENGINE_ROUNDS; round += 1) {
    for (const subject of routers) {
      const events = subject.batch();
      subject.samples.push(
        (await cpuMicros(async () => {
          const summary = await subject.r.router.processBatch(events, LAMBDA_CONTEXT);
          if (summary.succeeded !== 10_000) throw new Error(`bench scaling: ${summary.succeeded} of 10000`);
        })) / 10_000,
      );
    }
  }
  const figures: Figures = {};
  const one = median(routers[0]?.samples ?? []);
  for (const { count, r, samples, hits, misses } of routers) {
    const measuredHits = (r.metrics.totals.get('CacheHits') ?? 0) - hits;
    const measuredMisses = (r.metrics.totals.get('CacheMisses') ?? 0) - misses;
    const perRecord = median(samples);
    figures[`scaling.engines${count}.express.cpuUsPerRecord`] = fixed(perRecord, 1);
    figures[`scaling.engines${count}.vsOneEngine`] = fixed(perRecord / one, 2);
    figures[`scaling.engines${count}.cacheHitPercent`] = fixed(
      (100 * measuredHits) / Math.max(1, measuredHits + measuredMisses),
      2,
    );
  }
  return figures;
}

/** Rounds of the engine counts, alternated. */
const ENGINE_ROUNDS = 5;

function tasksGraph(count: number, mode: 'express' | 'standard'): string {
  const states: Record<string, JsonValue> = {};
  for (let i = 1; i <= count; i += 1) {
    states[`T${i}`] = {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:work',
      ResultPath: '$.last',
      ...(i === count ? { End: true } : { Next: `T${i + 1}` }),
    };
  }
  return JSON.stringify({ StartAt: 'T1', States: states, ...(mode === 'express' ? EXPRESS : {}) });
}

/**
 * CPU per executed Task (us) in executions of 5 to 200 Tasks, about 20,000 Tasks per measurement, express
 * and standard (in-memory store): a per-state cost that grows with the states already run shows here.
 */
async function executedStates(): Promise<Figures> {
  const figures: Figures = {};
  const work = (input: JsonValue): JsonValue => ({ seen: typeof input === 'object' });
  for (const mode of ['express', 'standard'] as const) {
    let atFive = 0;
    let previous: { readonly count: number; readonly perRecord: number } | undefined;
    let firstMarginal = 0;
    for (const count of [5, 20, 50, 100, 200]) {
      const r = inMemoryRouter({ work });
      await r.publish(tasksGraph(count, mode), { engine: 'tasks' });
      const records = Math.round(20_000 / count);
      const samples: number[] = [];
      for (let round = 0; round <= ROUNDS; round += 1) {
        const batch = orderBatch({
          records,
          partitionKeys: records,
          run: freshRun('tasks'),
          engine: 'tasks',
        });
        const micros = await cpuMicros(async () => {
          const summary = await r.router.processBatch(batch, LAMBDA_CONTEXT);
          if (summary.succeeded !== records)
            throw new Error(`bench scaling: ${summary.succeeded} of ${records}`);
        });
        if (round > 0) samples.push(micros / records);
      }
      const perRecord = median(samples);
      const perTask = perRecord / count;
      if (count === 5) atFive = perTask;
      figures[`scaling.tasks${count}.${mode}.cpuUsPerTask`] = fixed(perTask, 2);
      figures[`scaling.tasks${count}.${mode}.vsFive`] = fixed(perTask / atFive, 2);
      if (previous !== undefined) {
        // What one more Task costs at this length, without the record's fixed cost.
        const marginal = (perRecord - previous.perRecord) / (count - previous.count);
        if (firstMarginal === 0) firstMarginal = marginal;
        figures[`scaling.tasks${previous.count}to${count}.${mode}.marginalCpuUsPerTask`] = fixed(marginal, 2);
        figures[`scaling.tasks${previous.count}to${count}.${mode}.marginalVs5to20`] = fixed(
          marginal / firstMarginal,
          2,
        );
      }
      previous = { count, perRecord };
    }
  }
  return figures;
}

/** Every scaling curve, in this process. */
export async function measureScaling(): Promise<Figures> {
  return { ...(await batchesAndKeys()), ...(await engines()), ...(await executedStates()) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${JSON.stringify(await measureScaling())}\n`);
}
