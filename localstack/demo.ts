/**
 * `npm start`: the whole product on a laptop. It is `npm run localstack:up` (the same startup: stack,
 * steps, bootstrap, router on the stream with its sweep) plus a demo played on it: every graph in
 * `engines/` published, events for every engine, a new version of the seed-004 EventEngine hot-swapped
 * between two waves, seed 000's four flows on both source types in consecutive runs, duplicates and
 * poison records. Every wave is announced with its size; the summary
 * prints what the router reported, per engine@version. Then it keeps serving (for `router put` from
 * another terminal) until Ctrl-C; `--once` exits after the demo. In memory unless `--data DIR` is given.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { query } from '../handlers/shared/sql.ts';
import type { JsonObject } from '../router/asl/index.ts';
import {
  kinesisClient,
  quietSdkNodeVersionWarning,
  redshiftDataClient,
  s3Client,
} from '../router/aws/index.ts';
import { type ResourceNames, routerSettingsFromEnv } from '../router/config.ts';
import type { ExecutionRecord } from '../router/executions/index.ts';
import type { RouterDeps } from '../router/MessageEventRouter.ts';
import { Producer } from '../router/producer/index.ts';
import { PublishValidationError, publishEngine, registryFromEnv } from '../router/registry/index.ts';
import { parseUpArguments, UsageError } from './cli.ts';
import { discoverEngines, readStageVariables } from './demo/engines.ts';
import { DEMO_FILES, DEMO_SALES, type DemoEvent, fallbackScenario, SCENARIOS } from './demo/scenarios.ts';
import { playSeed003, prepareSeed003 } from './demo/seed003.ts';
import { playSourceFlows } from './demo/sourceFlows.ts';
import {
  accounting,
  addSummary,
  emptyTally,
  progressLine,
  ranByVersion,
  summaryTable,
  type Tally,
} from './demo/tally.ts';
import { Terminal } from './demo/terminal.ts';
import { describeWaiting, waitingSignature } from './demo/waits.ts';
import { type DevEnvironment, REPOSITORY_ROOT, startDevEnvironment } from './devEnvironment.ts';
import { fileLogger } from './fileLogger.ts';
import { describeQuarantined, describeSummary, quarantineFollower } from './localRouter.ts';

const ENGINES_DIR = join(REPOSITORY_ROOT, 'engines');
const DEMO_LOG = join(REPOSITORY_ROOT, '.local', 'demo', 'router.log');

/**
 * Where the environment leaves it unset, Waits longer than half a second park the execution durably
 * and the sweep resumes them, so the demo shows durable waits without taking minutes.
 */
const DEMO_ROUTER_DEFAULTS = { ROUTER_MAX_INPROCESS_WAIT_MS: '500' } as const;

/** Longest the demo waits for the router to finish what it was sent. */
const FINISH_TIMEOUT_MS = 180_000;

const USAGE = `Usage: npm start -- [--once] [localstack:up options]

Starts the same environment as \`npm run localstack:up\` (in memory unless --data DIR is given), then
plays the demo on it and keeps serving until Ctrl-C. --once exits after the demo. Options of
localstack:up (--port, --data, --log, --kinesis, --shards, ...) apply; see \`npm run localstack:up -- --help\`.`;

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

/** `event-engine 40, batch-average 3` for the events of a wave. */
function perEngine(events: readonly { readonly engine: string }[]): string {
  const counts = new Map<string, number>();
  for (const { engine } of events) counts.set(engine, (counts.get(engine) ?? 0) + 1);
  return [...counts].map(([engine, count]) => `${engine} ${count}`).join(', ');
}

/**
 * Uploads what the engines read from S3 (seed 003's SQL scripts, the sales file) and drops seed 001's inbound files on
 * the stack's SFTP server, where DemoFlow fetches them.
 */
async function uploadEngineData(names: ResourceNames, sftpRoot: string | undefined): Promise<number> {
  const dir = join(ENGINES_DIR, 'sql');
  const sql = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sql'));
  const objects = [
    ...(await Promise.all(
      sql.map(async (f) => ({ key: `sql/${f}`, body: await readFile(join(dir, f), 'utf8') })),
    )),
    DEMO_SALES,
  ];
  const s3 = s3Client();
  for (const object of objects) {
    await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: object.key, Body: object.body }));
  }
  if (sftpRoot !== undefined) {
    await mkdir(join(sftpRoot, 'inbound'), { recursive: true });
    for (const file of DEMO_FILES) await writeFile(join(sftpRoot, 'inbound', file.name), file.body);
  }
  return objects.length;
}

/** What DemoFlow loaded, per file, from its `demo_members` table; empty when it has not run. */
async function loadedMembers(): Promise<string> {
  const rows = await query(
    'select file_key, count(*) as loaded from demo_members group by file_key order by file_key',
  ).catch(() => []);
  return rows
    .map((row) => `${String(row.file_key).replace(/^inbound\//, '')} ${String(row.loaded)} rows`)
    .join(', ');
}

/**
 * Runs `select 1` through the Data API and resolves when it finished: PGlite takes seconds to start, and
 * a database still starting would make the SQL engine's status polls (and so its durable waits) vary.
 */
async function databaseReady(client: RedshiftDataClient): Promise<number> {
  const started = Date.now();
  const { Id } = await client.send(
    new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'local', Sql: 'select 1' }),
  );
  for (;;) {
    const { Status, Error: reason } = await client.send(new DescribeStatementCommand({ Id }));
    if (Status === 'FINISHED') return Date.now() - started;
    if (Status === 'FAILED' || Status === 'ABORTED')
      throw new Error(`the local database did not start: ${reason}`);
    await sleep(50);
  }
}

/** Resolves once the router's own alias snapshot points `live` at `version`; returns how long that took. */
async function routerSees(deps: RouterDeps, engine: string, version: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const alias = (await deps.resolver.snapshot()).aliases.get(engine);
    if (alias?.targets.length === 1 && alias.targets[0]?.version === version) return Date.now() - started;
    if (Date.now() - started > 30_000) {
      throw new Error(
        `the router did not see ${engine}@${version} within 30 s (its alias cache: ROUTER_ALIAS_TTL_MS=${process.env.ROUTER_ALIAS_TTL_MS})`,
      );
    }
    await sleep(100);
  }
}

/** Resolves when the execution of a dedup key has ended (SUCCEEDED or FAILED). */
async function executionEnded(deps: RouterDeps, engine: string, dedupKey: string): Promise<ExecutionRecord> {
  const deadline = Date.now() + FINISH_TIMEOUT_MS;
  for (;;) {
    const record = await deps.executions.get({ engine, dedupKey });
    if (record?.status === 'SUCCEEDED' || record?.status === 'FAILED') return record;
    if (Date.now() > deadline)
      throw new Error(`${engine} execution ${dedupKey} did not end within ${FINISH_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

/** localstack:up's arguments for the demo: without `--once`, in memory unless `--data` is given, its own log. */
function upArguments(argv: readonly string[]): string[] {
  const rest = argv.filter((arg) => arg !== '--once');
  if (!rest.some((arg) => arg === '--data' || arg.startsWith('--data=') || arg === '--in-memory')) {
    rest.push('--in-memory');
  }
  if (!rest.some((arg) => arg === '--log' || arg.startsWith('--log='))) rest.push('--log', DEMO_LOG);
  return rest;
}

async function main(argv: readonly string[]): Promise<number> {
  const once = argv.includes('--once');
  const term = new Terminal(process.stdout);
  let options: ReturnType<typeof parseUpArguments>;
  try {
    options = parseUpArguments(upArguments(argv));
    if (options?.router === false)
      throw new UsageError('the demo plays through the router: drop --no-router');
    if (options?.services === false)
      throw new UsageError('the demo calls the step functions: drop --no-services');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`npm start: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    term.say(USAGE);
    return 0;
  }
  const startedAt = Date.now();
  const logger = fileLogger(options.logFile);
  const logPath = relative(process.cwd(), options.logFile);
  const tally: Tally = emptyTally();
  let demoDone = false;

  term.say('Starting the local environment (Kinesis, DynamoDB, S3, Lambda, Redshift Data, the router)...');
  let dev: DevEnvironment;
  try {
    dev = await startDevEnvironment({
      port: options.port,
      host: options.host,
      kinesis: options.kinesis,
      shards: options.shards,
      services: true,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      routerDefaults: DEMO_ROUTER_DEFAULTS,
      hostLog: {
        info: () => {},
        error: (message, extra) => logger.warn(`lambda host: ${message}`, extra),
      },
      router: {
        logger,
        onSummary: (summary, source) => {
          addSummary(tally, summary);
          if (demoDone) term.say(`router: ${describeSummary(summary, source)}`);
        },
      },
    });
  } catch (error) {
    await logger.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${message}\n(is another stack already on port ${options.port}? run \`npm start -- --port 0\` to pick a free port)`,
    );
  }
  const router = dev.router;
  try {
    if (router === undefined) throw new Error('npm start: the router did not start');
    const { stack, names } = dev;
    const env = process.env;
    const settings = routerSettingsFromEnv(env);
    term.say(
      `  edge ${stack.endpoint} up in ${Math.round(stack.startedInMs)} ms, ${options.dataDir === undefined ? 'in memory' : `data in ${options.dataDir}`}`,
    );
    term.say(
      `  stream ${names.stream}, tables ${names.enginesTable} / ${names.executionsTable}, bucket ${names.bucket}`,
    );
    term.say(
      `  router settings from the environment: allowlist ${
        env.ROUTER_RESOURCE_ALLOWLIST
          ? `ROUTER_RESOURCE_ALLOWLIST (${settings.allowlist.length} patterns)`
          : "the shipped engines' (ROUTER_RESOURCE_ALLOWLIST unset)"
      }, alias cache ${settings.aliasTtlMs} ms, waits over ${settings.maxInProcessWaitMs} ms parked durably`,
    );
    const uploaded =
      (await uploadEngineData(names, stack.sftp?.root)) +
      (await prepareSeed003(ENGINES_DIR, s3Client(stack.aws), names.bucket, stack.aws));
    term.say(
      `  uploaded ${uploaded} objects the engines read (s3://${names.bucket}/sql/, /scripts/, /sales/)`,
    );
    if (stack.sftp !== undefined) {
      term.say(
        `  SFTP sftp://${stack.sftp.username}@${stack.sftp.host}:${stack.sftp.port}/inbound/ (password ${stack.sftp.password}) holds ${DEMO_FILES.length} partner files for DemoFlow`,
      );
    }
    const readyInMs = await databaseReady(redshiftDataClient(stack.aws));
    term.say(`  Redshift Data (PGlite) answering (waited ${readyInMs} ms for it)`);

    // Publish the first version of every engine.
    const variables = await readStageVariables(ENGINES_DIR, 'local');
    const engines = await discoverEngines(ENGINES_DIR, variables);
    const registry = registryFromEnv(env, stack.aws);
    const later: { engine: string; file: string; source: string }[] = [];
    const matches = new Map<string, JsonObject | undefined>();
    term.say('\nPublishing engines/ (validated against the allowlist, stored in S3, indexed in DynamoDB):');
    const skipped: string[] = [];
    for (const [engine, files] of engines) {
      const [first, ...rest] = files;
      if (first === undefined) continue;
      let published: Awaited<ReturnType<typeof publishEngine>>;
      try {
        published = await publishEngine(
          { source: first.source, file: first.file, variables, engine },
          registry.publishLoader,
          registry,
        );
      } catch (error) {
        if (!(error instanceof PublishValidationError)) throw error;
        // The router would refuse to load it too: say why here and leave its events out.
        const [head = '', ...problems] = error.message.split('\n');
        const more = problems.length > 3 ? [`... and ${problems.length - 3} more`] : [];
        term.say(
          [`  ${engine.padEnd(18)} NOT PUBLISHED: ${head}`, ...problems.slice(0, 3), ...more].join('\n    '),
        );
        skipped.push(engine);
        continue;
      }
      matches.set(engine, published.record.match);
      term.say(
        `  ${`${engine}@${published.version}`.padEnd(18)} ${published.record.mode.padEnd(9)} from ${relative(REPOSITORY_ROOT, first.file)}`,
      );
      later.push(...rest.map((f) => ({ engine, file: f.file, source: f.source })));
    }
    term.say(`\nRouter running: event source mapping on ${names.stream}, logs in ${logPath}`);

    // Progress and what is waiting, refreshed once a second from the executions store.
    let waiting: readonly ExecutionRecord[] = [];
    let lastSignature = '';
    let sent = 0;
    let refreshing = false;
    const refresh = async (): Promise<void> => {
      if (refreshing) return;
      refreshing = true;
      try {
        waiting = await router.deps.executions.list({ status: 'WAITING', limit: 100 });
        const signature = waitingSignature(waiting);
        if (signature !== lastSignature && tally.records >= sent && sent > 0) {
          const notice = describeWaiting(waiting, Date.now());
          if (notice !== undefined) term.say(notice);
        }
        lastSignature = signature;
      } catch (error) {
        logger.warn('demo: cannot list waiting executions', { error: String(error) });
      } finally {
        refreshing = false;
      }
    };
    const ticker = setInterval(
      () => {
        void refresh();
        term.progress(progressLine(tally, sent, waiting.length));
      },
      term.tty ? 250 : 1_000,
    );
    const untilTaken = async (): Promise<void> => {
      const deadline = Date.now() + FINISH_TIMEOUT_MS;
      while (tally.records < sent) {
        if (Date.now() > deadline)
          throw new Error(
            `the router took ${tally.records} of ${sent} records in ${FINISH_TIMEOUT_MS / 1000} s`,
          );
        await sleep(100);
      }
    };

    const producer = new Producer({ kinesis: kinesisClient(stack.aws), streamName: names.stream });
    const put = async (events: readonly Record<string, unknown>[]): Promise<void> => {
      await producer.put(events.map((e) => ({ partitionKey: String(e.subject ?? e.id), data: e })));
      sent += events.length;
    };
    const waves: { readonly name: string; readonly count: number }[] = [];

    // Wave 1: the scenario of every engine.
    if (skipped.length > 0) {
      term.say(
        `  ${skipped.join(', ')}: not published with this allowlist (ROUTER_RESOURCE_ALLOWLIST); their events are left out`,
      );
    }
    const publishedEngines = [...engines.keys()].filter((engine) => !skipped.includes(engine));
    const firstWave = publishedEngines.flatMap((engine) =>
      (SCENARIOS[engine] ?? fallbackScenario(matches.get(engine)))(0).map((event) => ({
        engine,
        event: cloudEvent(event),
      })),
    );
    term.say(
      `\nWave 1: putting ${firstWave.length} events for ${publishedEngines.length} engines (${perEngine(firstWave)})`,
    );
    await put(firstWave.map((e) => e.event));
    waves.push({ name: 'wave 1', count: firstWave.length });
    // Seed 003 plays alongside, in an order of its own (see demo/seed003.ts).
    const seed003Engines = ['redshift-etl', 'sql-collection', 'sql-collection-round', 'sql-query'];
    const seed003 = seed003Engines.every((engine) => publishedEngines.includes(engine))
      ? playSeed003({
          enginesDir: ENGINES_DIR,
          aws: stack.aws,
          s3: s3Client(stack.aws),
          bucket: names.bucket,
          timeoutMs: FINISH_TIMEOUT_MS,
          put: async (events) => {
            const envelopes = events.map((e) => cloudEvent({ type: e.type, data: e.data as JsonObject }));
            term.say(`Seed 003: putting ${envelopes.map((e) => e.type).join(', ')}`);
            await put(envelopes);
            return envelopes.map((e) => `${String(e.source)}#${String(e.id)}`);
          },
          execution: (engine, dedupKey) => router.deps.executions.get({ engine, dedupKey }),
        }).catch((error: unknown) => [
          `Seed 003 did not finish: ${error instanceof Error ? error.message : String(error)}`,
        ])
      : Promise.resolve([`Seed 003: not played (${seed003Engines.join(', ')} must all be published)`]);
    await untilTaken();

    // A hot swap per later version: published while wave 1's durable executions are still in flight;
    // the next wave is put once the router itself serves the new version.
    const swaps: {
      readonly engine: string;
      readonly version: number;
      readonly wave: number;
      readonly count: number;
    }[] = [];
    for (const next of later.filter((file) => !skipped.includes(file.engine))) {
      const published = await publishEngine(
        { source: next.source, file: next.file, variables, engine: next.engine },
        registry.publishLoader,
        registry,
      );
      term.say(
        `Hot swap: published ${next.engine}@${published.version} from ${relative(REPOSITORY_ROOT, next.file)} with ${waiting.length === 1 ? '1 execution' : `${waiting.length} executions`} of wave 1 still waiting`,
      );
      const seenInMs = await routerSees(router.deps, next.engine, published.version);
      term.say(
        `  the router serves ${next.engine}@${published.version} after ${(seenInMs / 1000).toFixed(1)} s (alias cache ${settings.aliasTtlMs} ms)`,
      );
      const wave = (SCENARIOS[next.engine] ?? (() => []))(1).map(cloudEvent);
      const number = waves.length + 1;
      term.say(
        `Wave ${number}: putting ${wave.length} events for ${next.engine} (now @${published.version})`,
      );
      await put(wave);
      waves.push({ name: `wave ${number}`, count: wave.length });
      swaps.push({ engine: next.engine, version: published.version, wave: number, count: wave.length });
    }

    // Seed 000: the source flows, in consecutive runs that connect.
    if (publishedEngines.includes('flow-types') && dev.listingApi && dev.scheduler && stack.sftp) {
      await untilTaken();
      const runs = await playSourceFlows({
        listingApi: dev.listingApi,
        sftp: stack.sftp,
        scheduler: dev.scheduler,
        request: async (sourceId) => {
          const event = cloudEvent({
            type: 'source.batch.requested',
            subject: sourceId,
            data: { source_id: sourceId },
          });
          await put([event]);
          return `${String(event.source)}#${String(event.id)}`;
        },
        ended: (dedupKey) => executionEnded(router.deps, 'flow-types', dedupKey),
        say: (line) => term.say(line),
      });
      waves.push({ name: 'seed 000 runs', count: runs });
    }

    // Duplicates and poison records: nothing is run twice, nothing is lost.
    const duplicates = firstWave.slice(0, 10).map((e) => e.event);
    const number = waves.length + 1;
    term.say(
      `Wave ${number}: re-sending ${duplicates.length} events of wave 1 (duplicates) and 2 poison records (no route, not JSON)`,
    );
    await put(duplicates);
    await put([cloudEvent({ type: 'nobody.listens', data: {} })]);
    await producer.put([{ partitionKey: 'poison', data: Buffer.from('this is not JSON') }]);
    sent += 1;
    waves.push({ name: `wave ${number}`, count: duplicates.length + 2 });
    const seed003Lines = await seed003;
    term.say(
      `Sent ${sent} records in ${waves.length} waves (${waves.map((w) => `${w.name} ${w.count}`).join(' + ')}).`,
    );

    // Each nested execution that ended put one record on the stream, its result for its parent.
    const childResults = async (): Promise<number> => {
      let count = 0;
      for (const engine of publishedEngines) {
        const records = await router.deps.executions.list({ engine, limit: 1000 });
        count += records.filter(
          (r) =>
            r.parent !== undefined &&
            Date.parse(r.startedAt) >= startedAt &&
            (r.status === 'SUCCEEDED' || r.status === 'FAILED'),
        ).length;
      }
      return count;
    };
    let children = 0;
    const deadline = Date.now() + FINISH_TIMEOUT_MS;
    for (;;) {
      await router.mapping.waitForIdle(FINISH_TIMEOUT_MS);
      await refresh();
      if (tally.records >= sent && waiting.length === 0) children = await childResults();
      // Done when every record sent was taken and every execution it started has ended.
      if (tally.records >= sent && waiting.length === 0 && accounting(tally, children).balanced) break;
      if (Date.now() > deadline) {
        term.say(`Gave up after ${FINISH_TIMEOUT_MS / 1000} s: ${progressLine(tally, sent, waiting.length)}`);
        break;
      }
      await sleep(250);
    }
    clearInterval(ticker);
    term.clear();
    demoDone = true;

    term.say(
      `\nDone in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${progressLine(tally, sent, waiting.length)}`,
    );
    term.say(`  ${accounting(tally, children).text}`);
    term.say(`\n${summaryTable(tally)}`);
    term.say(
      "DURABLE WAITS counts each time an execution parked: batch-average once per run (its Map's Waits\n" +
        'run side by side), redshift-etl and sql-query once per statement they poll, sql-collection and\n' +
        'sql-collection-round once per nested execution they wait for (and sql-collection before a retry round).',
    );
    for (const line of seed003Lines) term.say(line);
    for (const swap of swaps) {
      const ran = ranByVersion(tally, swap.engine);
      const versions = [...ran]
        .sort(([a], [b]) => a - b)
        .map(([version, count]) => `@${version} ran ${count}`);
      term.say(
        `Hot swap of ${swap.engine}: ${versions.join(', ')} executions; wave ${swap.wave} (${swap.count} events) was put after the router served @${swap.version}.`,
      );
    }
    const members = await loadedMembers();
    if (members !== '') {
      term.say(
        `Seed 001 DemoFlow fetched its files over SFTP into s3://${names.bucket}/inbound/ and loaded ${members}.`,
      );
    }
    const quarantined = await quarantineFollower(router.deps.quarantine, new Date(startedAt))();
    for (const entry of quarantined) term.say(`Quarantined: ${describeQuarantined(entry)}`);
    term.say(`
Where to look next (in another terminal, with these variables):
  export ${Object.entries(stack.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}
  npx router engine list                      published engines and where 'live' points
  npx router engine versions event-engine     every version, immutable
  npx router executions list                  executions, newest first
  npx router engine graph engines/batch-average.hjson   a Mermaid picture of a graph
  echo '{"specversion":"1.0","id":"1","source":"me","type":"order.placed","engine":"event-engine","data":{"orderId":"o-1","customerId":"c-1","amount":42}}' | npx router put -
  tail -f ${logPath}         structured router logs
`);
    if (once) return tally.failed > 0 && tally.succeeded === 0 ? 1 : 0;
    term.say('Serving until Ctrl-C...');
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    });
    term.say('\nStopping...');
    return 0;
  } finally {
    await dev.stop();
    await logger.close();
  }
}

quietSdkNodeVersionWarning(process.env, process.versions.node);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
