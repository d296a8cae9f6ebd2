/**
 * `npm start`: the whole product on a laptop. Starts the embedded AWS stack, bootstraps it, publishes
 * every graph in `engines/`, runs the real MessageEventRouter behind the event source mapping emulator,
 * and plays a demo: events for every engine, a new version of the seed-004 EventEngine hot-swapped while
 * events flow, duplicates and poison records. Then it prints what happened per engine@version and keeps
 * serving (for `router put` from another terminal) until Ctrl-C; `--once` exits after the demo.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { JsonObject } from '../router/asl/types.ts';
import { kinesisClient, s3Client } from '../router/aws/clients.ts';
import { type ResourceNames, resourceNamesFromEnv } from '../router/config.ts';
import { routerDepsFromEnv } from '../router/deps.ts';
import { type BatchSummary, MessageEventRouter } from '../router/MessageEventRouter.ts';
import { CountingMetrics } from '../router/observability/telemetry.ts';
import { Producer } from '../router/producer/Producer.ts';
import { registryFromEnv } from '../router/registry/fromEnv.ts';
import { publishEngine } from '../router/registry/publish.ts';
import { bootstrap } from './bootstrap.ts';
import { discoverEngines, readStageVariables } from './demo/engines.ts';
import { DEMO_FILES, type DemoEvent, fallbackScenario, SCENARIOS } from './demo/scenarios.ts';
import { startEventSourceMapping } from './esm/index.ts';
import { fileLogger } from './fileLogger.ts';
import { defaultServices } from './services.ts';
import { startLocalStack } from './stack.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ENGINES_DIR = join(ROOT, 'engines');
const LOG_FILE = join(ROOT, '.local', 'demo', 'router.log');

interface Totals {
  records: number;
  succeeded: number;
  failed: number;
  duplicates: number;
  quarantined: number;
  retried: number;
  /** Durable waits taken (an execution may take several). */
  parked: number;
  /** Executions parked right now, waiting for the sweep. */
  waitingNow: number;
  readonly byEngine: Map<string, { succeeded: number; failed: number; duplicates: number; parked: number }>;
}

function addSummary(totals: Totals, summary: BatchSummary, fromSweep: boolean): void {
  totals.records += summary.records;
  totals.succeeded += summary.succeeded;
  totals.failed += summary.failed;
  totals.duplicates += summary.duplicates;
  totals.quarantined += summary.quarantined;
  totals.retried += summary.retried;
  totals.parked += summary.waiting;
  // A batch parks executions; a sweep resumes them (and may park some again, counted in `waiting`).
  totals.waitingNow += fromSweep ? -(summary.succeeded + summary.failed) : summary.waiting;
  for (const [label, row] of summary.byEngine) {
    const total = totals.byEngine.get(label) ?? { succeeded: 0, failed: 0, duplicates: 0, parked: 0 };
    total.succeeded += row.succeeded;
    total.failed += row.failed;
    total.duplicates += row.duplicates;
    total.parked += row.waiting;
    totals.byEngine.set(label, total);
  }
}

function cloudEvent(event: DemoEvent): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: event.source ?? 'demo/npm-start',
    type: event.type,
    time: new Date().toISOString(),
    ...(event.subject === undefined ? {} : { subject: event.subject }),
    ...(event.engine === undefined ? {} : { engine: event.engine }),
    data: event.data,
  };
}

function line(totals: Totals, sent: number): string {
  const waiting = totals.waitingNow;
  return (
    `records ${totals.records}/${sent} | succeeded ${totals.succeeded} | failed ${totals.failed} | ` +
    `duplicates ${totals.duplicates} | quarantined ${totals.quarantined} | retried ${totals.retried} | waiting ${waiting}`
  );
}

function table(totals: Totals): string {
  const header = ['ENGINE@VERSION', 'SUCCEEDED', 'FAILED', 'DUPLICATES', 'DURABLE WAITS'];
  const rows = [...totals.byEngine.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([label, r]) => [
      label,
      String(r.succeeded),
      String(r.failed),
      String(r.duplicates),
      String(r.parked),
    ]);
  rows.push(['quarantined (any engine)', String(totals.quarantined), '', '', '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n');
}

/** Uploads what the engines read from S3: seed 003's SQL scripts and seed 001's inbound files. */
async function uploadEngineData(names: ResourceNames): Promise<number> {
  const dir = join(ENGINES_DIR, 'sql');
  const sql = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sql'));
  const objects = [
    ...(await Promise.all(
      sql.map(async (f) => ({ key: `sql/${f}`, body: await readFile(join(dir, f), 'utf8') })),
    )),
    ...DEMO_FILES.map((f) => ({ key: `inbound/${f.name}`, body: f.body })),
  ];
  const s3 = s3Client();
  for (const object of objects) {
    await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: object.key, Body: object.body }));
  }
  return objects.length;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      once: { type: 'boolean' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write('usage: npm start [-- --once] [-- --port N]\n');
    return 0;
  }
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const tty = process.stderr.isTTY === true;
  const port = values.port === undefined ? 4566 : Number(values.port);
  const startedAt = Date.now();

  out('Starting the embedded AWS stack (Kinesis, DynamoDB, S3, Lambda, Redshift Data)...');
  const logger = fileLogger(LOG_FILE);
  const hostLog = {
    info: () => {},
    error: (message: string, extra?: Record<string, unknown>) =>
      logger.warn(`lambda host: ${message}`, extra),
  };
  const stack = await startLocalStack({ port, services: defaultServices({ log: hostLog }) }).catch(
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `${message}\n(is another stack already on port ${port}? run \`npm start -- --port 0\` to pick a free port)`,
      );
    },
  );
  const stop = async (): Promise<void> => {
    await stack.stop();
    await logger.close();
  };
  try {
    Object.assign(process.env, stack.env, {
      ROUTER_ALIAS_TTL_MS: '1000',
      // Waits longer than half a second park the execution durably; the sweep resumes them when due.
      ROUTER_MAX_INPROCESS_WAIT_MS: '500',
      ROUTER_STAGE: 'local',
    });
    const env = process.env;
    const names = resourceNamesFromEnv(env);
    out(`  edge ${stack.endpoint} up in ${Math.round(stack.startedInMs)} ms`);
    await bootstrap({ aws: stack.aws, names, shards: 2 });
    out(
      `  stream ${names.stream}, tables ${names.enginesTable} / ${names.executionsTable}, bucket ${names.bucket}`,
    );
    const uploaded = await uploadEngineData(names);
    out(`  uploaded ${uploaded} objects the engines read (s3://${names.bucket}/sql/, /inbound/)`);

    // Publish the first version of every engine.
    const variables = await readStageVariables(ENGINES_DIR, 'local');
    const engines = await discoverEngines(ENGINES_DIR, variables);
    const registry = registryFromEnv(env, stack.aws);
    const later: { engine: string; file: string; source: string }[] = [];
    const matches = new Map<string, JsonObject | undefined>();
    out('\nPublishing engines/ (validated against the allowlist, stored in S3, indexed in DynamoDB):');
    for (const [engine, files] of engines) {
      const [first, ...rest] = files;
      if (first === undefined) continue;
      const published = await publishEngine(
        { source: first.source, file: first.file, variables, engine },
        registry.publishLoader,
        registry,
      );
      matches.set(engine, published.record.match);
      out(
        `  ${`${engine}@${published.version}`.padEnd(18)} ${published.record.mode.padEnd(9)} from ${first.file.slice(ROOT.length + 1)}`,
      );
      later.push(...rest.map((f) => ({ engine, file: f.file, source: f.source })));
    }

    // The real router behind the event source mapping emulator.
    const metrics = new CountingMetrics();
    const router = new MessageEventRouter(routerDepsFromEnv(env, { logger, metrics }));
    const totals: Totals = {
      records: 0,
      succeeded: 0,
      failed: 0,
      duplicates: 0,
      quarantined: 0,
      retried: 0,
      parked: 0,
      waitingNow: 0,
      byEngine: new Map(),
    };
    let demoDone = false;
    const esm = await startEventSourceMapping({
      stream: names.stream,
      aws: stack.aws,
      batchSize: 100,
      maximumBatchingWindowInSeconds: 0.2,
      reportBatchItemFailures: true,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 10,
      pollIntervalMs: 200,
      functionName: 'message-event-router',
      onFailure: { bucket: names.bucket, prefix: 'esm-failures/' },
      handler: async (event) => {
        const summary = await router.processBatch(event);
        addSummary(totals, summary, false);
        if (demoDone) out(`batch: ${line({ ...totals, byEngine: new Map() }, totals.records)}`);
        return { batchItemFailures: summary.failures };
      },
      onIdleTick: async () => {
        const summary = await router.sweep();
        if (summary.succeeded + summary.failed + summary.waiting > 0) addSummary(totals, summary, true);
      },
      onError: (error) => logger.warn('event source mapping', { error: String(error) }),
    });
    out(
      `\nRouter running: event source mapping on ${names.stream}, logs in ${LOG_FILE.slice(ROOT.length + 1)}`,
    );

    // Play the demo.
    const producer = new Producer({ kinesis: kinesisClient(stack.aws), streamName: names.stream });
    const firstWave = [...engines.keys()].flatMap((engine) =>
      (SCENARIOS[engine] ?? fallbackScenario(matches.get(engine)))(0).map(cloudEvent),
    );
    let sent = 0;
    const put = async (events: readonly Record<string, unknown>[]): Promise<void> => {
      await producer.put(events.map((e) => ({ partitionKey: String(e.subject ?? e.id), data: e })));
      sent += events.length;
    };
    const progress = setInterval(() => {
      if (tty) process.stderr.write(`\r\x1b[2K  ${line(totals, sent)}`);
    }, 250);
    out(`\nPutting ${firstWave.length} events for ${engines.size} engines...`);
    await put(firstWave);

    for (const next of later) {
      await new Promise((r) => setTimeout(r, 1500));
      const published = await publishEngine(
        { source: next.source, file: next.file, variables, engine: next.engine },
        registry.publishLoader,
        registry,
      );
      if (tty) process.stderr.write('\r\x1b[2K');
      out(
        `Hot swap: published ${next.engine}@${published.version} from ${next.file.slice(ROOT.length + 1)} while events flow`,
      );
      const wave = (SCENARIOS[next.engine] ?? (() => []))(1).map(cloudEvent);
      await put(wave);
    }

    // Duplicates and poison records: nothing is run twice, nothing is lost.
    await put(firstWave.slice(0, 10));
    await put([cloudEvent({ type: 'nobody.listens', data: {} })]);
    await producer.put([{ partitionKey: 'poison', data: Buffer.from('this is not JSON') }]);
    sent += 1;
    out('Re-sent 10 events (duplicates) and 2 poison records (no route, not JSON).');

    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      await esm.waitForIdle(180_000);
      if (totals.records >= sent && totals.waitingNow <= 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    clearInterval(progress);
    if (tty) process.stderr.write('\r\x1b[2K');
    demoDone = true;
    out(`\nDone in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${line(totals, sent)}\n`);
    out(table(totals));
    out(`
Where to look next (in another terminal, with these variables):
  export ${Object.entries(stack.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}
  npx router engine list                      published engines and where 'live' points
  npx router engine versions event-engine     every version, immutable
  npx router engine graph engines/batch-average.hjson   a Mermaid picture of a graph
  echo '{"specversion":"1.0","id":"1","source":"me","type":"order.placed","engine":"event-engine","data":{"orderId":"o-1","customerId":"c-1","amount":42}}' | npx router put -
  tail -f ${LOG_FILE.slice(ROOT.length + 1)}         structured router logs
`);
    if (values.once === true) {
      await esm.stop();
      return totals.failed > 0 && totals.succeeded === 0 ? 1 : 0;
    }
    out('Serving until Ctrl-C...');
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    });
    out('\nStopping...');
    await esm.stop();
    return 0;
  } finally {
    await stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
