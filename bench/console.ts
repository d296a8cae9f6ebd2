/**
 * The web console's pages with 100,000 executions in the local stack: executions are written through
 * the store's own bulk path (two engines, mostly SUCCEEDED, some FAILED; batches of 25, eight requests in flight), then every API
 * call a page makes is timed over HTTP against a running console, each repeated and reported as its
 * median and 95th percentile in ms. The pages' answers must stay under 200 ms whatever the table holds:
 * each reads a bounded number of index items, never the table.
 * Run alone with `node --openssl-legacy-provider --import tsx bench/console.ts`.
 */
import { pathToFileURL } from 'node:url';
import { bootstrap } from '../localstack/bootstrap.ts';
import { startLocalStack } from '../localstack/stack.ts';
import { ConsoleApi, consoleDepsFromEnv, startConsole } from '../router/console/index.ts';
import type { ExecutionRecord, ExecutionStore } from '../router/executions/index.ts';
import { appendHistory } from '../router/executions/index.ts';
import { publishEngine, registryFromEnv } from '../router/registry/index.ts';
import type { Figures } from './stack.ts';
import { median } from './stats.ts';

const EXECUTIONS = Number(process.env.BENCH_CONSOLE_EXECUTIONS ?? 100_000);
const REPEATS = 20;
/** One BatchWriteItem per `completeMany` call (its limit is 25 items). */
const SEED_BATCH = 25;
/** Seeding requests open at once. */
const SEED_IN_FLIGHT = 8;
const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

const GRAPH = (engine: string) =>
  JSON.stringify({
    Comment: `${engine}, benchmark`,
    StartAt: 'Validate',
    States: {
      Validate: { Type: 'Pass', Next: 'Charge' },
      Charge: { Type: 'Task', Resource: fn('charge'), ResultPath: '$.charge', Next: 'Ship' },
      Ship: { Type: 'Task', Resource: fn('ship'), ResultPath: '$.ship', End: true },
    },
  });

/** A short history, the same for every execution (what a three-state run stores). */
function history(at: number): string | undefined {
  return appendHistory(undefined, [
    { id: 1, type: 'ExecutionStarted', timestamp: at, thread: '' },
    { id: 2, type: 'PassStateEntered', timestamp: at, thread: '', stateName: 'Validate' },
    { id: 3, type: 'PassStateExited', timestamp: at + 1, thread: '', stateName: 'Validate' },
    { id: 4, type: 'TaskStateEntered', timestamp: at + 1, thread: '', stateName: 'Charge' },
    { id: 5, type: 'TaskScheduled', timestamp: at + 1, thread: '', stateName: 'Charge' },
    { id: 6, type: 'TaskSucceeded', timestamp: at + 40, thread: '', stateName: 'Charge' },
    { id: 7, type: 'TaskStateExited', timestamp: at + 40, thread: '', stateName: 'Charge' },
    { id: 8, type: 'ExecutionSucceeded', timestamp: at + 41, thread: '' },
  ]);
}

/** What `completeMany` takes: a record as claimed and how it ended. */
type SeedItem = Parameters<ExecutionStore['completeMany']>[0][number];

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs the console benchmark and returns its figures. */
export async function benchConsole(): Promise<Figures> {
  const stack = await startLocalStack({ port: 0 });
  try {
    await bootstrap({ aws: stack.aws });
    const env = { ...stack.env };
    const registry = registryFromEnv(env, stack.aws);
    const engines = ['orders', 'payments'];
    for (const engine of engines)
      await publishEngine(
        { source: GRAPH(engine), file: `${engine}.hjson`, engine },
        registry.publishLoader,
        registry,
      );
    const deps = consoleDepsFromEnv(env);

    // 100,000 executions: 4 in 5 for orders; 2% FAILED, the rest SUCCEEDED, a second apart.
    const t0 = Date.now() - EXECUTIONS * 1000;
    const kept = history(t0);
    const seeding = performance.now();
    let sample: ExecutionRecord | undefined;
    const batchFrom = (from: number): SeedItem[] =>
      Array.from({ length: Math.min(SEED_BATCH, EXECUTIONS - from) }, (_, k) => {
        const i = from + k;
        const engine = i % 5 === 4 ? 'payments' : 'orders';
        const at = t0 + i * 1000;
        const started = new Date(at).toISOString();
        const failed = i % 50 === 7;
        const record: ExecutionRecord = {
          engine,
          dedupKey: `shop/${engine}#order-${i}`,
          executionId: `${engine}:bench${String(i).padStart(17, '0')}`,
          version: 1,
          mode: 'standard',
          status: 'RUNNING',
          rev: 1,
          startedAt: started,
          updatedAt: started,
        };
        sample ??= record;
        return {
          record,
          completion: {
            status: failed ? 'FAILED' : 'SUCCEEDED',
            ...(failed ? { error: 'PaymentDeclined', cause: 'card declined' } : {}),
            ...(kept === undefined ? {} : { history: kept }),
            now: at + 41,
            retentionSeconds: 365 * 24 * 3600,
          },
        };
      });
    // Each writer takes the next batch as soon as its last one is written: SEED_IN_FLIGHT stay open.
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < EXECUTIONS) {
        const from = next;
        next += SEED_BATCH;
        await deps.executions.completeMany(batchFrom(from));
      }
    };
    await Promise.all(Array.from({ length: SEED_IN_FLIGHT }, writer));
    const seedMs = performance.now() - seeding;

    const console = await startConsole({ api: new ConsoleApi(deps), port: 0 });
    try {
      const time = async (path: string): Promise<{ p50: number; p95: number }> => {
        const samples: number[] = [];
        for (let run = 0; run < REPEATS + 2; run += 1) {
          const started = performance.now();
          const response = await fetch(`${console.url}api/${path}`);
          const body = await response.text();
          if (!response.ok)
            throw new Error(`bench console: GET /api/${path} answered ${response.status}: ${body}`);
          if (run >= 2) samples.push(performance.now() - started);
        }
        return { p50: median(samples), p95: percentile(samples, 0.95) };
      };
      const first = (await (await fetch(`${console.url}api/executions`)).json()) as { next?: string };
      const target = sample;
      if (target === undefined) throw new Error('bench console: nothing seeded');
      const pages: Record<string, string> = {
        engines: 'engines',
        engine: 'engine?engine=orders',
        graph: 'graph?engine=orders&version=1',
        executions: 'executions',
        executionsOlder: `executions?before=${encodeURIComponent(first.next ?? '')}`,
        executionsFailed: 'executions?status=FAILED',
        executionsText: 'executions?text=order-99',
        executionsWindow: `executions?engine=orders&from=${new Date(t0 + 50_000_000).toISOString()}&to=${new Date(t0 + 50_100_000).toISOString()}`,
        counts: 'counts',
        execution: `execution?id=${encodeURIComponent(target.executionId)}&key=${encodeURIComponent(target.dedupKey)}`,
        quarantine: 'quarantine',
        stream: 'stream',
        cost: 'cost',
      };
      const figures: Figures = {
        'console.executions': EXECUTIONS,
        'console.seedSeconds': Math.round(seedMs / 100) / 10,
      };
      let worst = 0;
      for (const [name, path] of Object.entries(pages)) {
        const { p50, p95 } = await time(path);
        figures[`console.${name}.p50Ms`] = Math.round(p50 * 10) / 10;
        figures[`console.${name}.p95Ms`] = Math.round(p95 * 10) / 10;
        worst = Math.max(worst, p95);
      }
      figures['console.worstP95Ms'] = Math.round(worst * 10) / 10;
      return figures;
    } finally {
      await console.close();
    }
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchConsole();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}\t${value}\n`);
}
