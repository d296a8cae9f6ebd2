/**
 * Seed 000 end to end: events naming a source go through the router on the local stack; the flow-types
 * graph's steps read and write `public.source` and load `public.listing` from each source type's
 * upstream (the listing API over HTTP, CSV files over SFTP) through the Redshift Data API on PGlite.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES_ALLOWLIST } from '../../../engines/allowlist.ts';
import { registerSource } from '../../../handlers/flow-types/tables.ts';
import { FLOW_STEP_FUNCTIONS } from '../../../handlers/flows.ts';
import { literal, query, type SqlRow, transaction } from '../../../handlers/shared/sql.ts';
import { readStageVariables } from '../../../localstack/demo/engines.ts';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import { type LocalScheduler, startLocalScheduler } from '../../../localstack/scheduler/index.ts';
import {
  type ListingApi,
  listingsCsv,
  sampleListings,
  startListingApi,
  type UpstreamListing,
} from '../../../localstack/sources/index.ts';
import { lambdaClient } from '../../../router/aws/clients.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { useRouterStack } from '../support/routerStack.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const ENGINE = 'flow-types';
const quiet = { info: () => undefined, error: () => undefined };
const steps = FLOW_STEP_FUNCTIONS.filter((spec) => spec.name.startsWith('flow-types-'));
const redshift = createRedshiftDataEmulator({ startNow: true, log: quiet });
const runtime = useRouterStack({
  functions: Object.fromEntries(
    steps.map((spec) => [spec.name, { entry: spec.entry, timeoutSeconds: spec.timeoutSeconds ?? 30 }]),
  ),
  services: [redshift],
  settings: { ROUTER_RESOURCE_ALLOWLIST: ENGINES_ALLOWLIST.join(',') },
});

/** One source's upstream, as a test drives it: the connection settings and a way to change its data. */
interface Feed {
  readonly connection: Record<string, unknown>;
  /** Adds or changes listings upstream. */
  add(listings: readonly UpstreamListing[]): Promise<void>;
}

/** Each source type's upstream: a feed of its own per source, so sources never see each other's data. */
const UPSTREAMS: Readonly<Record<string, (sourceId: string) => Promise<Feed>>> = {
  async 'http-json'() {
    const api = await startListingApi();
    servers.push(api);
    // Two listings a page, so every download follows the cursor.
    return {
      connection: { base_url: api.url, page_size: 2 },
      add: async (listings) => api.store.upsert(listings),
    };
  },
  async 'sftp-csv'(sourceId) {
    const sftp = runtime().stack.sftp;
    if (sftp === undefined) throw new Error('the stack runs no SFTP server');
    const directory = `exports/${sourceId}`;
    await mkdir(join(sftp.root, directory), { recursive: true });
    let drop = 0;
    return {
      connection: {
        host: sftp.host,
        port: sftp.port,
        username: sftp.username,
        password: sftp.password,
        directory: `/${directory}`,
      },
      // Each change is a new export file, as an upstream drops them; the newest version of a listing wins.
      async add(listings) {
        drop += 1;
        await writeFile(
          join(sftp.root, directory, `listings-${String(drop).padStart(4, '0')}.csv`),
          listingsCsv(listings),
        );
      },
    };
  },
};

let scheduler: LocalScheduler;
const servers: ListingApi[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  const rt = runtime();
  // The hosted steps build their clients from the environment, as a Lambda does.
  Object.assign(process.env, rt.env);
  await redshift.ready();
  const variables = await readStageVariables(`${ROOT}engines`, 'local');
  await rt.publish({
    source: await readFile(`${ROOT}engines/flow-types.hjson`, 'utf8'),
    file: 'flow-types.hjson',
    variables,
  });
  scheduler = startLocalScheduler({ aws: rt.stack.aws, catalog: steps, timers: false });
}, 60_000);

afterAll(async () => {
  scheduler?.stop();
  await Promise.all(servers.map((server) => server.stop()));
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

function requested(sourceId: string): { id: string; event: Record<string, unknown> } {
  const id = randomUUID();
  return {
    id,
    event: {
      specversion: '1.0',
      id,
      source: 'test/flow-types',
      type: 'source.batch.requested',
      data: { source_id: sourceId },
    },
  };
}

/** Waits until the execution of an event has ended (a locked source's retries may park it a while). */
async function ended(id: string): Promise<ExecutionRecord> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const record = await runtime().execution(ENGINE, `test/flow-types#${id}`);
    if (record?.status === 'SUCCEEDED' || record?.status === 'FAILED') return record;
    if (Date.now() > deadline)
      throw new Error(`execution ${id} did not end: ${record?.status ?? 'not started'}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Puts one event for the source and returns the ended execution's output (or its error). */
async function run(sourceId: string): Promise<{ record: ExecutionRecord; output: Record<string, unknown> }> {
  const { id, event } = requested(sourceId);
  await runtime().put([{ partitionKey: id, data: event }]);
  const record = await ended(id);
  return {
    record,
    output: record.output === undefined ? {} : (JSON.parse(record.output) as Record<string, unknown>),
  };
}

async function setParams(sourceId: string, params: Record<string, unknown>): Promise<void> {
  await transaction([
    `UPDATE public.source SET batch_execution_params = ${literal(JSON.stringify(params))},
       params_updated_at = current_timestamp WHERE id = ${literal(sourceId)}`,
  ]);
}

async function source(sourceId: string): Promise<SqlRow> {
  const [row] = await query(
    `SELECT batch_execution_params, runtime_count, locked_by, last_watermark, last_flow_type FROM public.source WHERE id = :id`,
    { id: sourceId },
  );
  if (row === undefined) throw new Error(`no source ${sourceId}`);
  return row;
}

async function listings(sourceId: string): Promise<SqlRow[]> {
  return query(
    `SELECT listing_id, price, property_type, sold_date FROM public.listing WHERE source_id = :id ORDER BY listing_id`,
    { id: sourceId },
  );
}

/** `2026-11-01T10:00:00.000Z` as the database prints a timestamp: `2026-11-01 10:00:00`. */
function sqlTime(iso: unknown): string {
  return String(iso)
    .replace('T', ' ')
    .replace(/(\.0+)?Z$/, '')
    .replace(/(\.\d*?)0+$/, '$1');
}

/** A NORMAL source of the type, with the sample listings upstream; returns its feed. */
async function register(sourceType: string, sourceId: string, now: Date): Promise<Feed> {
  const open = UPSTREAMS[sourceType];
  if (open === undefined) throw new Error(`no upstream for ${sourceType}`);
  const feed = await open(sourceId);
  await feed.add(sampleListings(now, sourceId));
  await registerSource(
    {
      id: sourceId,
      source_type: sourceType,
      connection: feed.connection,
      batch_execution_params: { flow_type: 'Normal' },
    },
    now.toISOString(),
  );
  return feed;
}

describe.each(['http-json', 'sftp-csv'])(
  'flow-types (seed 000) through the router, source type %s',
  (sourceType) => {
    it('runs Backdated on the first run, then Normal from its watermark, Re-specs, Sold; the schedule restores NORMAL', async () => {
      // Prepare
      const id = `${sourceType}-flows`;
      const now = new Date();
      const upstream = await register(sourceType, id, now);

      // Act 1: the first run of a NORMAL source is a Backdated full load of the last 30 days.
      const first = await run(id);

      // Assess 1
      expect(first.record.status, first.record.cause).toBe('SUCCEEDED');
      expect(first.output).toMatchObject({ flow: 'FULL_LOAD', date_field: 'last_modified_date', rows: 2 });
      expect(Date.parse(String(first.output.to)) - Date.parse(String(first.output.from))).toBe(
        30 * 86_400_000,
      );
      expect((await listings(id)).map((row) => row.listing_id)).toEqual([`${id}-1`, `${id}-2`]);
      expect(await source(id)).toEqual({
        batch_execution_params: JSON.stringify({ type: 'Full Load' }),
        runtime_count: 1,
        locked_by: null,
        last_watermark: sqlTime(first.output.to),
        last_flow_type: 'FULL_LOAD',
      });

      // Act 2: the schedule fires; the Backdated flow has run, so the source goes back to NORMAL.
      const reset = await scheduler.fire('flow-types-reset-flow-type');

      // Assess 2
      expect(reset.failed).toBe(false);
      expect((reset.payload as { reset: string[] }).reset).toContain(id);
      expect((await source(id)).batch_execution_params).toBe(JSON.stringify({ flow_type: 'NORMAL' }));

      // Act 3: one listing changes upstream and one is added; the Normal run loads only those.
      const later = new Date().toISOString();
      const [, , third] = sampleListings(now, id);
      if (third === undefined) throw new Error('sample has no third listing');
      await upstream.add([
        { ...third, price: 499_000, updatedAt: later },
        { ...third, id: `${id}-7`, street: '2 New Row', price: 120_000, updatedAt: later, soldOn: null },
      ]);
      const second = await run(id);

      // Assess 3
      expect(second.record.status, second.record.cause).toBe('SUCCEEDED');
      expect(second.output).toMatchObject({ flow: 'NORMAL', from: first.output.to, rows: 2 });
      expect((await listings(id)).map((row) => [row.listing_id, row.price])).toEqual([
        [`${id}-1`, 315_000],
        [`${id}-2`, 240_000],
        [`${id}-3`, 499_000],
        [`${id}-7`, 120_000],
      ]);
      expect(await source(id)).toMatchObject({ runtime_count: 2, last_watermark: sqlTime(second.output.to) });

      // Act 4: Re-specs loads everything modified since 1990, then runs its attributes update.
      await setParams(id, {
        type: 'Re-specs',
        Sql: `UPDATE public.listing SET property_type = upper(property_type) WHERE source_id = '${id}'`,
      });
      const respecs = await run(id);

      // Assess 4
      expect(respecs.record.status, respecs.record.cause).toBe('SUCCEEDED');
      expect(respecs.output).toMatchObject({ flow: 'RE-SPECS', from: '1990-01-01T00:00:00.000Z', rows: 6 });
      expect((await listings(id)).map((row) => [row.listing_id, row.property_type])).toEqual([
        [`${id}-1`, 'HOUSE'],
        [`${id}-2`, 'APARTMENT'],
        [`${id}-3`, 'HOUSE'],
        [`${id}-4`, 'BUNGALOW'],
        [`${id}-5`, 'COTTAGE'],
        [`${id}-7`, 'HOUSE'],
      ]);

      // Act 5: Sold without a year is refused before the lock is taken; with 2021 it loads by sold date.
      await setParams(id, { type: 'Sold' });
      const noYear = await run(id);
      await setParams(id, { type: 'Sold', year: 2021 });
      const sold = await run(id);

      // Assess 5
      expect(noYear.record).toMatchObject({ status: 'FAILED', error: 'FlowTypes.SoldYearMissing' });
      expect(noYear.record.cause).toContain(`source '${id}'`);
      expect(sold.record.status, sold.record.cause).toBe('SUCCEEDED');
      expect(sold.output).toMatchObject({
        flow: 'SOLD',
        date_field: 'sold_date',
        from: '2021-01-01T00:00:00.000Z',
        rows: 3,
      });
      expect((await listings(id)).map((row) => [row.listing_id, row.sold_date])).toEqual([
        [`${id}-1`, null],
        [`${id}-2`, '2024-06-01'],
        [`${id}-3`, '2021-03-15'],
        [`${id}-4`, '2019-11-30'],
        [`${id}-5`, null],
        [`${id}-6`, '2022-02-02'],
        [`${id}-7`, null],
      ]);
      // A Sold run filters on the sold date: the last-modified watermark stays where Re-specs left it.
      expect(await source(id)).toEqual({
        batch_execution_params: JSON.stringify({ type: 'Sold', year: 2021 }),
        runtime_count: 4,
        locked_by: null,
        last_watermark: sqlTime(respecs.output.to),
        last_flow_type: 'SOLD',
      });
      expect(
        await query(
          'SELECT flow_type, rows_loaded, status FROM public.source_run WHERE source_id = :id ORDER BY started_at',
          {
            id,
          },
        ),
      ).toEqual([
        { flow_type: 'FULL_LOAD', rows_loaded: 2, status: 'SUCCEEDED' },
        { flow_type: 'NORMAL', rows_loaded: 2, status: 'SUCCEEDED' },
        { flow_type: 'RE-SPECS', rows_loaded: 6, status: 'SUCCEEDED' },
        { flow_type: 'SOLD', rows_loaded: 3, status: 'SUCCEEDED' },
      ]);
      await scheduler.fire('flow-types-reset-flow-type');
      expect((await source(id)).batch_execution_params).toBe(JSON.stringify({ flow_type: 'NORMAL' }));
    }, 180_000);

    it('runs two concurrent runs of one source one after the other', async () => {
      // Prepare
      const id = `${sourceType}-concurrent`;
      await register(sourceType, id, new Date());
      const a = requested(id);
      const b = requested(id);

      // Act: different partition keys, so the router runs them side by side.
      await runtime().put([
        { partitionKey: a.id, data: a.event },
        { partitionKey: b.id, data: b.event },
      ]);
      const records = await Promise.all([ended(a.id), ended(b.id)]);

      // Assess: both ran, never at once; the second waited for the first one's lock.
      expect(records.map((record) => record.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const runs = await query(
        'SELECT flow_type, started_at, finished_at FROM public.source_run WHERE source_id = :id ORDER BY started_at',
        { id },
      );
      // The first run switched the params to Full Load, and no schedule has reset them in between.
      expect(runs.map((row) => row.flow_type)).toEqual(['FULL_LOAD', 'FULL_LOAD']);
      const [one, two] = runs;
      expect(String(two?.started_at) >= String(one?.finished_at)).toBe(true);
      expect(await source(id)).toMatchObject({ runtime_count: 2, locked_by: null });
      expect((await listings(id)).map((row) => row.listing_id)).toEqual([`${id}-1`, `${id}-2`]);
    }, 180_000);

    it('changes nothing when the same event is delivered again', async () => {
      // Prepare
      const id = `${sourceType}-redelivered`;
      await register(sourceType, id, new Date());
      const { id: eventId, event } = requested(id);
      await runtime().put([{ partitionKey: eventId, data: event }]);
      const first = await ended(eventId);
      const before = { source: await source(id), listings: await listings(id) };

      const seen = runtime().batches.length;

      // Act
      await runtime().put([{ partitionKey: eventId, data: event }]);
      await runtime().waitForIdle();

      // Assess
      expect(first.status).toBe('SUCCEEDED');
      expect(
        runtime()
          .batches.slice(seen)
          .reduce((sum, batch) => sum + batch.duplicates, 0),
      ).toBe(1);
      expect(await source(id)).toEqual(before.source);
      expect(await listings(id)).toEqual(before.listings);
      expect(
        await query('SELECT count(*) AS runs FROM public.source_run WHERE source_id = :id', { id }),
      ).toEqual([{ runs: 1 }]);
    }, 180_000);
  },
);

describe('flow-types steps (seed 000) on the local stack', () => {
  /** Invokes a step the way the router does: the idempotency key in the client context. */
  async function invoke(
    name: string,
    key: string,
    payload: unknown,
  ): Promise<{ error?: string; result: Record<string, unknown> }> {
    const response = await lambdaClient(runtime().stack.aws).send(
      new InvokeCommand({
        FunctionName: name,
        ClientContext: Buffer.from(JSON.stringify({ custom: { idempotencyKey: key } })).toString('base64'),
        Payload: Buffer.from(JSON.stringify(payload)),
      }),
    );
    const result = JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8')) as Record<
      string,
      unknown
    >;
    return response.FunctionError === undefined ? { result } : { error: String(result.errorType), result };
  }

  it('refuses the lock while another run holds it, and takes over a lock past its lease', async () => {
    // Prepare
    const id = 'locked-source';
    await register('http-json', id, new Date());
    await transaction([
      `UPDATE public.source SET runtime_count = 3, locked_by = 'another-run', locked_at = ${literal(new Date().toISOString())}::timestamp WHERE id = ${literal(id)}`,
    ]);
    const input = { source_id: id, as_of: new Date().toISOString(), backdate_days: 30 };

    // Act
    const refused = await invoke('flow-types-validate-source', 'exec-a:Validate source', input);
    await transaction([
      `UPDATE public.source SET locked_at = ${literal(new Date(Date.now() - 3_600_000).toISOString())}::timestamp WHERE id = ${literal(id)}`,
    ]);
    const takenOver = await invoke('flow-types-validate-source', 'exec-a:Validate source', input);

    // Assess
    expect(refused.error).toBe('FlowTypes.SourceLocked');
    expect(String(refused.result.errorMessage)).toContain(
      "source 'locked-source' is locked by another run (another-run)",
    );
    expect(takenOver).toMatchObject({ result: { flow: 'NORMAL', lock: 'exec-a:Validate source' } });
    expect((await source(id)).locked_by).toBe('exec-a:Validate source');
  }, 60_000);

  it('downloads once per idempotency key, and a new run over the same window leaves the table as it was', async () => {
    // Prepare
    const id = 'download-source';
    await register('sftp-csv', id, new Date());
    const window = {
      date_field: 'last_modified_date',
      from: '1990-01-01T00:00:00.000Z',
      to: new Date().toISOString(),
    };

    // Act
    const first = await invoke('flow-types-download-data', 'exec-b:Download data', { source_id: id, window });
    const loaded = await listings(id);
    const retried = await invoke('flow-types-download-data', 'exec-b:Download data', {
      source_id: id,
      window,
    });
    const rerun = await invoke('flow-types-download-data', 'exec-c:Download data', { source_id: id, window });

    // Assess
    expect(first.result).toMatchObject({ source_id: id, rows: 5 });
    expect(retried.result).toEqual(first.result);
    expect(rerun.result).toEqual(first.result);
    expect(loaded).toHaveLength(5);
    expect(await listings(id)).toEqual(loaded);
    expect(
      await query(
        "SELECT count(*) AS effects FROM step_effects WHERE idempotency_key LIKE 'exec-_:Download data'",
      ),
    ).toEqual([{ effects: 2 }]);
  }, 60_000);
});
