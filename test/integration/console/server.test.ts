/**
 * The console's server over HTTP with in-memory stores: it serves the page and its bundled script,
 * answers the API, and guards itself: a token when one is set (given once in the address, then a
 * cookie, or a bearer header), writes only as JSON from its own origin, and refusals that say why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadGraph } from '../../../router/asl/index.ts';
import { awsEnvironmentFromEnv, dynamoDbDocumentClient, kinesisClient } from '../../../router/aws/index.ts';
import { DEFAULT_RESOURCE_NAMES } from '../../../router/config.ts';
import { ConsoleApi, type RunningConsole, startConsole } from '../../../router/console/index.ts';
import { MemoryExecutionStore } from '../../../router/executions/MemoryExecutionStore.ts';
import { MemoryQuarantineStore } from '../../../router/quarantine/MemoryQuarantineStore.ts';
import { MemoryGraphStore } from '../../../router/registry/GraphStore.ts';
import { MemoryEngineIndex } from '../../../router/registry/MemoryEngineIndex.ts';
import { publishEngine } from '../../../router/registry/publish.ts';

let running: RunningConsole | undefined;
const NOWHERE = awsEnvironmentFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });

afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(options: { host?: string; token?: string } = {}): Promise<RunningConsole> {
  const index = new MemoryEngineIndex();
  const store = new MemoryGraphStore();
  const load = (source: string, o: { file: string }) => loadGraph(source, { file: o.file });
  const registry = { index, store, names: DEFAULT_RESOURCE_NAMES, publishLoader: load, graphLoader: load };
  await publishEngine(
    {
      source: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }),
      file: 'orders.hjson',
      engine: 'orders',
    },
    load,
    registry,
  );
  const api = new ConsoleApi({
    registry,
    executions: new MemoryExecutionStore(),
    quarantine: new MemoryQuarantineStore(),
    kinesis: { send: () => Promise.reject(new Error('no stream in this test')) },
    // The Stream page is not opened here: its clients point at a port nothing listens on.
    stream: {
      kinesis: kinesisClient(NOWHERE),
      dynamodb: dynamoDbDocumentClient(NOWHERE),
      stream: 'router-events',
      checkpointTable: 'router-esm-checkpoints',
      consumerName: 'message-event-router',
      now: Date.now,
    },
    env: {},
    now: Date.now,
  });
  running = await startConsole({ api, port: 0, ...options });
  return running;
}

describe('the console server', () => {
  it('serves the page, its script built from the project, and the API on 127.0.0.1 without a token', async () => {
    // Prepare
    const console = await serve();

    // Act
    const page = await fetch(console.url);
    const script = await fetch(`${console.url}app.js`);
    const engines = await fetch(`${console.url}api/engines`);
    const graph = await fetch(`${console.url}api/graph?engine=orders&version=1`);
    const missing = await fetch(`${console.url}api/graph?engine=orders&version=9`);

    // Assess
    expect(console.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await script.text()).length).toBeGreaterThan(10_000);
    expect(await engines.json()).toMatchObject([
      { engine: 'orders', latestVersion: 1, live: { text: 'live -> 1' } },
    ]);
    expect(await graph.json()).toMatchObject({
      nodes: expect.arrayContaining([expect.objectContaining({ id: 'A' })]),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.stringContaining('orders@9') });
  });

  it('asks for its token when it has one: the address sets a cookie, a bearer header also works', async () => {
    // Prepare
    const console = await serve({ token: 'secret-token' });
    const base = console.url.replace(/\?token=.*$/, '');

    // Act
    const bare = await fetch(`${base}api/engines`);
    const wrong = await fetch(`${base}api/engines`, { headers: { authorization: 'Bearer nope' } });
    const bearer = await fetch(`${base}api/engines`, { headers: { authorization: 'Bearer secret-token' } });
    const entry = await fetch(console.url, { redirect: 'manual' });
    const cookie = entry.headers.get('set-cookie')?.split(';')[0] ?? '';
    const withCookie = await fetch(`${base}api/engines`, { headers: { cookie } });

    // Assess
    expect(console.url).toMatch(/\?token=secret-token$/);
    expect(bare.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(bearer.status).toBe(200);
    expect(entry.status).toBe(303);
    expect(cookie).toBe('router_console_token=secret-token');
    expect(withCookie.status).toBe(200);
  });

  it('generates a token when bound beyond loopback', async () => {
    const console = await serve({ host: '0.0.0.0' });

    expect(console.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/\?token=[\w-]{24}$/);
  });

  it('takes writes only as JSON from its own origin, and says why it refuses one', async () => {
    // Prepare
    const console = await serve();
    const json = { 'content-type': 'application/json' };

    // Act
    const form = await fetch(`${console.url}api/rollback`, { method: 'POST', body: 'engine=orders' });
    const foreign = await fetch(`${console.url}api/promote`, {
      method: 'POST',
      headers: { ...json, origin: 'http://evil.example' },
      body: JSON.stringify({ engine: 'orders', version: 1 }),
    });
    const promote = await fetch(`${console.url}api/promote`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ engine: 'orders', version: 1 }),
    });
    const badVersion = await fetch(`${console.url}api/promote`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ engine: 'orders', version: 'x' }),
    });

    // Assess
    expect(form.status).toBe(415);
    expect(foreign.status).toBe(403);
    expect(promote.status).toBe(200);
    expect(await promote.json()).toMatchObject({ text: 'live -> 1' });
    expect(badVersion.status).toBe(400);
    expect(await badVersion.json()).toEqual({ error: 'version must be a positive integer' });
  });
});
