/**
 * The comparison users make: the router with its DynamoDB stores against the code they would write
 * instead (Powertools `BatchProcessor` + `makeIdempotent` with the DynamoDB layer, `bench/baseline/`), on
 * the same 3-step workload and the same local DynamoDB (dynalite, in this process). The contenders run in
 * one child process (bundled as the router is deployed), so its CPU time is what Lambda would bill them;
 * the store requests are counted at the local stack's edge.
 *
 * Each round runs every contender once on a fresh batch, in an order rotated from round to round, first
 * as the emulator answers, then with a fixed latency added to every DynamoDB answer (about an in-region
 * round trip: without it the emulator's own CPU, not round trips, decides). Ratios are taken within a
 * round, so load swings on a shared machine hit both sides of each ratio alike; min / median / max over
 * the rounds are reported. Run alone with `node --openssl-legacy-provider --import tsx bench/compare.ts`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions, REPO_ROOT } from '../infra/bundling.ts';
import { bootstrap, ensureTable } from '../localstack/bootstrap.ts';
import { startLocalStack } from '../localstack/stack.ts';
import { dynamoDbClient } from '../router/aws/index.ts';
import { publishEngine, registryFromEnv } from '../router/registry/index.ts';
import { sequentialGraph } from '../test/support/router.ts';
import {
  type ChildRequest,
  type Contender,
  ENGINES,
  type HeapGrowth,
  IDEMPOTENCY_TABLE,
  type RunTiming,
} from './compare-protocol.ts';
import type { Figures } from './stack.ts';
import { median } from './stats.ts';

/** Records per measured batch, rounds, partition keys per batch, and the latency added per store answer. */
const RECORDS = 2_000;
const ROUNDS = 3;
const KEYS = 100;
const LATENCY_MS = 5;
const HEAP_RECORDS = 10_000;

const CONTENDERS: readonly Contender[] = ['express', 'standard', 'baseline', 'baseline-sequential'];

/** A forked child answering one request at a time. */
class Child {
  private waiting: ((reply: { ok: boolean; result?: unknown; error?: string }) => void) | undefined;
  private readonly ready: Promise<unknown>;

  constructor(private readonly process: ChildProcess) {
    this.ready = this.next();
    process.on('message', (reply: { ok: boolean; result?: unknown; error?: string }) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(reply);
    });
    process.on('exit', (code) => {
      this.waiting?.({ ok: false, error: `bench compare: the child process exited (${code})` });
    });
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting = (reply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error)));
    });
  }

  async ask<T>(request: ChildRequest): Promise<T> {
    await this.ready;
    const reply = this.next();
    this.process.send(request);
    return (await reply) as T;
  }
}

/** One contender's run: rate, CPU per record, store requests per record. */
interface Sample {
  readonly recordsPerSecond: number;
  readonly cpuMsPerRecord: number;
  /** CPU of this process (the local stack: edge and DynamoDB emulator) per record: what bounds the local figures. */
  readonly stackCpuMsPerRecord: number;
  readonly requestsPerRecord: number;
}

const fixed = (value: number, digits: number): number => Number(value.toFixed(digits));

/** `min / median / max` of a list of ratios. */
function spread(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${fixed(sorted[0] ?? 0, 2)} / ${fixed(median(sorted), 2)} / ${fixed(sorted.at(-1) ?? 0, 2)}`;
}

/** Runs the comparison and returns its figures (`compare.*`). */
export async function benchCompare(): Promise<Figures> {
  const requests = { counting: false, dynamodb: 0, operations: new Map<string, number>() };
  const stack = await startLocalStack({
    port: 0,
    onRequest: (info) => {
      if (!requests.counting || info.service !== 'dynamodb') return;
      requests.dynamodb += 1;
      const operation = info.target?.split('.').pop() ?? info.method;
      requests.operations.set(operation, (requests.operations.get(operation) ?? 0) + 1);
    },
  });
  const scratch = path.join(REPO_ROOT, '.local');
  mkdirSync(scratch, { recursive: true });
  const workDir = mkdtempSync(path.join(scratch, 'bench-compare-'));
  let child: ChildProcess | undefined;
  const dynamodb = dynamoDbClient(stack.aws);
  try {
    await bootstrap({ aws: stack.aws });
    await ensureTable(dynamodb, IDEMPOTENCY_TABLE, { partitionKey: 'id', indexes: [] });
    // Alias pointers are re-read every ROUTER_ALIAS_TTL_MS; a long TTL keeps that out of the count.
    const env = { ...process.env, ...stack.env, ROUTER_ALIAS_TTL_MS: '600000', LOG_LEVEL: 'ERROR' };
    const registry = registryFromEnv(env, stack.aws);
    for (const mode of ['express', 'standard'] as const) {
      await publishEngine(
        {
          source: sequentialGraph(3, mode === 'express' ? { Mode: 'express' } : {}),
          file: `${ENGINES[mode]}.hjson`,
          engine: ENGINES[mode],
        },
        registry.publishLoader,
        { index: registry.index, store: registry.store },
      );
    }
    const outfile = path.join(workDir, 'compare-child.mjs');
    await build({
      ...esbuildOptions(),
      entryPoints: [fileURLToPath(new URL('./compare-child.ts', import.meta.url))],
      outfile,
      logLevel: 'error',
    });
    child = fork(outfile, [], {
      env,
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const driver = new Child(child);

    const runOnce = async (contender: Contender, records: number): Promise<Sample> => {
      requests.dynamodb = 0;
      requests.operations.clear();
      requests.counting = true;
      const stackCpu = process.cpuUsage();
      const timing = await driver.ask<RunTiming>({ type: 'run', contender, records, keys: KEYS });
      const stackUsed = process.cpuUsage(stackCpu);
      requests.counting = false;
      return {
        recordsPerSecond: records / (timing.wallMs / 1000),
        cpuMsPerRecord: timing.cpuMs / records,
        stackCpuMsPerRecord: (stackUsed.user + stackUsed.system) / 1000 / records,
        requestsPerRecord: requests.dynamodb / records,
      };
    };

    // Warm-up: cold start, graph loads, the JIT.
    for (const contender of CONTENDERS) await runOnce(contender, 200);

    const samples = new Map<string, Sample[]>();
    const operations = new Map<Contender, string>();
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length] as Contender);
      for (const latency of [0, LATENCY_MS]) {
        if (latency > 0) {
          stack.faults.replace(`dynamodb:latency=${latency}ms`);
          stack.faults.enable();
        } else stack.faults.disable();
        for (const contender of order) {
          const sample = await runOnce(contender, RECORDS);
          process.stderr.write(
            `bench compare: round ${round + 1}, +${latency} ms, ${contender}: ${Math.round(sample.recordsPerSecond)} records/s\n`,
          );
          const key = `${contender}@${latency}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          if (latency === 0) {
            operations.set(
              contender,
              [...requests.operations]
                .map(([name, count]) => `${name} ${fixed(count / RECORDS, 2)}`)
                .join(', '),
            );
          }
        }
      }
    }
    stack.faults.disable();
    const heap = await driver.ask<HeapGrowth>({ type: 'heap', records: HEAP_RECORDS });
    child.send({ type: 'exit' } satisfies ChildRequest);

    const figures: Figures = {
      'compare.setup': `${ROUNDS} rounds x ${RECORDS} records x ${KEYS} keys, contenders alternated; +${LATENCY_MS} ms: every DynamoDB answer delayed at the edge`,
    };
    for (const latency of [0, LATENCY_MS]) {
      const label = latency === 0 ? 'local' : `plus${latency}ms`;
      const of = (contender: Contender): Sample[] => samples.get(`${contender}@${latency}`) ?? [];
      for (const contender of CONTENDERS) {
        figures[`compare.${label}.${contender}.recordsPerSecond`] = Math.round(
          median(of(contender).map((s) => s.recordsPerSecond)),
        );
      }
      for (const router of ['express', 'standard'] as const) {
        for (const baseline of ['baseline', 'baseline-sequential'] as const) {
          const ratios = of(router).map(
            (sample, i) => sample.recordsPerSecond / (of(baseline)[i]?.recordsPerSecond ?? Number.NaN),
          );
          figures[`compare.${label}.${router}.vs.${baseline}.minMedianMax`] = spread(ratios);
        }
      }
    }
    for (const contender of CONTENDERS) {
      const local = samples.get(`${contender}@0`) ?? [];
      figures[`compare.${contender}.storeRequestsPerRecord`] = fixed(
        median(local.map((s) => s.requestsPerRecord)),
        2,
      );
      figures[`compare.${contender}.storeRequests`] = operations.get(contender) ?? '';
      figures[`compare.${contender}.cpuMsPerRecord`] = fixed(median(local.map((s) => s.cpuMsPerRecord)), 3);
      figures[`compare.${contender}.localStackCpuMsPerRecord`] = fixed(
        median(local.map((s) => s.stackCpuMsPerRecord)),
        3,
      );
    }
    const cpu = (contender: Contender): number =>
      median((samples.get(`${contender}@0`) ?? []).map((s) => s.cpuMsPerRecord));
    figures['compare.express.cpuVsBaseline'] = fixed(cpu('express') / cpu('baseline'), 3);
    figures['compare.standard.cpuVsBaseline'] = fixed(cpu('standard') / cpu('baseline'), 3);
    figures['compare.express.heap10000x1KiB.growthMiB'] = heap.growthMiB;
    figures['compare.express.heap10000x1KiB.peakMiB'] = heap.peakMiB;
    figures['compare.loadAverage'] = loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
    return figures;
  } finally {
    child?.kill();
    dynamodb.destroy();
    await stack.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchCompare();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}\t${value}\n`);
}
