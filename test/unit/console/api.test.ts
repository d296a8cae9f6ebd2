/**
 * The Executions page's paging over several engines: each engine's index is read from the cursor, only
 * rows every engine has been read past are shown, so walking the pages lists every execution once,
 * newest first, with or without filters, however the engines interleave.
 */
import { describe, expect, it } from 'vitest';
import { loadGraph } from '../../../router/asl/index.ts';
import { awsEnvironmentFromEnv, dynamoDbDocumentClient, kinesisClient } from '../../../router/aws/index.ts';
import { DEFAULT_RESOURCE_NAMES } from '../../../router/config.ts';
import { ConsoleApi } from '../../../router/console/index.ts';
import { executionIdFor } from '../../../router/executions/ExecutionStore.ts';
import { MemoryExecutionStore } from '../../../router/executions/MemoryExecutionStore.ts';
import { childrenAfter, type ParentLink } from '../../../router/executions/parentLink.ts';
import { MemoryQuarantineStore } from '../../../router/quarantine/MemoryQuarantineStore.ts';
import { MemoryGraphStore } from '../../../router/registry/GraphStore.ts';
import { MemoryEngineIndex } from '../../../router/registry/MemoryEngineIndex.ts';
import { publishEngine } from '../../../router/registry/publish.ts';

const T0 = Date.parse('2026-06-01T00:00:00Z');
/** Clients that are never called here (no Stream page, no redrive). */
const NOWHERE = awsEnvironmentFromEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });

async function consoleWith(
  executions: number,
): Promise<{ api: ConsoleApi; keys: string[]; store: MemoryExecutionStore }> {
  const index = new MemoryEngineIndex();
  const load = (source: string, o: { file: string }) => loadGraph(source, { file: o.file });
  const registry = {
    index,
    store: new MemoryGraphStore(),
    names: DEFAULT_RESOURCE_NAMES,
    publishLoader: load,
    graphLoader: load,
  };
  const source = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
  for (const engine of ['orders', 'payments', 'refunds'])
    await publishEngine({ source, file: `${engine}.hjson`, engine }, load, registry);
  const store = new MemoryExecutionStore();
  const keys: string[] = [];
  // Unevenly interleaved: most are orders, every seventh a payment, every eleventh a refund.
  await store.completeMany(
    Array.from({ length: executions }, (_, i) => {
      const engine = i % 11 === 0 ? 'refunds' : i % 7 === 0 ? 'payments' : 'orders';
      const dedupKey = `shop/${engine}#${i}`;
      keys.push(dedupKey);
      const at = new Date(T0 + i * 1000).toISOString();
      return {
        record: {
          engine,
          dedupKey,
          executionId: executionIdFor({ engine, dedupKey }),
          version: 1 + (i % 2),
          mode: 'standard' as const,
          status: 'RUNNING' as const,
          startedAt: at,
          updatedAt: at,
        },
        completion: {
          status: i % 13 === 0 ? ('FAILED' as const) : ('SUCCEEDED' as const),
          now: T0 + i * 1000,
          retentionSeconds: 20 * 365 * 24 * 3600,
        },
      };
    }),
  );
  const api = new ConsoleApi({
    registry,
    executions: store,
    quarantine: new MemoryQuarantineStore(),
    kinesis: kinesisClient(NOWHERE),
    stream: {
      kinesis: kinesisClient(NOWHERE),
      dynamodb: dynamoDbDocumentClient(NOWHERE),
      stream: 'router-events',
      checkpointTable: 'router-esm-checkpoints',
      consumerName: 'message-event-router',
      now: () => T0,
    },
    env: {},
    now: () => T0,
  });
  return { api, keys: keys.reverse(), store };
}

/** Every row of every page, following the cursor; and how many pages it took. */
async function walk(
  api: ConsoleApi,
  filter: Record<string, string>,
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let before: string | undefined;
  let pages = 0;
  do {
    const page = await api.executions({ ...filter, ...(before === undefined ? {} : { before }) });
    keys.push(...page.rows.map((r) => r.dedupKey));
    before = page.next;
    pages += 1;
  } while (before !== undefined && pages < 100);
  return { keys, pages };
}

describe('the Executions page over several engines', () => {
  it('lists every execution once, newest first, page after page', async () => {
    // Prepare
    const { api, keys } = await consoleWith(1_234);

    // Act
    const all = await walk(api, {});

    // Assess
    expect(all.keys).toEqual(keys);
    expect(all.pages).toBe(Math.ceil(1_234 / 50));
  });

  it('filters by status through the index and by dedup-key text within the read bound', async () => {
    // Prepare
    const { api, keys } = await consoleWith(1_234);

    // Act
    const failed = await walk(api, { status: 'failed' });
    const text = await walk(api, { text: '#12' });
    const version = await walk(api, { engine: 'orders', version: '2' });

    // Assess
    expect(failed.keys).toEqual(keys.filter((k) => Number(k.split('#')[1]) % 13 === 0));
    expect(text.keys).toEqual(keys.filter((k) => k.includes('#12')));
    expect(version.keys).toEqual(
      keys.filter((k) => k.startsWith('shop/orders#') && Number(k.split('#')[1]) % 2 === 1),
    );
  });

  it('counts per status, the cap shared by the engines', async () => {
    // Prepare
    const few = await consoleWith(600);
    const many = await consoleWith(1_234);

    // Act
    const { counts } = await few.api.counts({});
    const capped = (await many.api.counts({})).counts;

    // Assess: every 13th FAILED, 47 of 600, under the cap of 67 per engine; 95 of 1,234 are not.
    expect(counts.FAILED).toEqual({ count: 47, capped: false });
    expect(counts.SUCCEEDED?.capped).toBe(true);
    expect(capped.FAILED?.capped).toBe(true);
    expect(capped.FAILED?.count).toBeLessThan(95);
    expect(counts.RUNNING).toEqual({ count: 0, capped: false });
  });

  it('refuses a filter it cannot read, naming it', async () => {
    const { api } = await consoleWith(10);

    await expect(api.executions({ status: 'LOST' })).rejects.toThrow(
      "status 'LOST': expected one of RUNNING, WAITING, SUCCEEDED, FAILED, QUARANTINED",
    );
    await expect(api.executions({ from: 'yesterday' })).rejects.toThrow("from 'yesterday' is not a time");
  });
});

describe('the Execution page of a nested execution', () => {
  it('links the child to its parent and the parent to its child, from their records', async () => {
    // Prepare
    const { api, store } = await consoleWith(0);
    const claim = (engine: string, dedupKey: string, parent?: ParentLink) =>
      store.claim({
        engine,
        dedupKey,
        executionId: executionIdFor({ engine, dedupKey }),
        version: 1,
        mode: 'standard',
        owner: 'test',
        leaseMs: 60_000,
        now: T0,
        ...(parent === undefined ? {} : { parent }),
      });
    const parentClaim = await claim('orders', 'shop/orders#parent');
    const parentId = parentClaim.record.executionId;
    const childClaim = await claim('payments', 'router/states.startExecution#pay-1', {
      executionId: parentId,
      token: 'token-1',
      shape: 'sync:2',
      name: 'pay-1',
    });
    const childId = childClaim.record.executionId;
    await store.checkpoint(parentClaim.record, {
      checkpoint: '{}',
      status: 'WAITING',
      leaseMs: 60_000,
      now: T0,
      children: childrenAfter(undefined, [childId]) ?? [],
    });

    // Act
    const parentPage = await api.execution(parentId, 'shop/orders#parent');
    const childPage = await api.execution(childId, 'router/states.startExecution#pay-1');

    // Assess
    expect(childPage.parent).toBe(parentId);
    expect(childPage.children).toEqual([]);
    expect(parentPage.parent).toBeUndefined();
    expect(parentPage.children).toEqual([childId]);
  });
});
