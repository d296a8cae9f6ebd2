import { describe, expect, it } from 'vitest';
import type { EngineGraph, GraphProblem } from '../../../router/asl/types.ts';
import { chooseVersion } from '../../../router/registry/canary.ts';
import { EngineIndexError } from '../../../router/registry/EngineIndex.ts';
import { EngineLoadError, EngineResolver } from '../../../router/registry/EngineResolver.ts';
import { MemoryGraphStore } from '../../../router/registry/GraphStore.ts';
import { MemoryEngineIndex } from '../../../router/registry/MemoryEngineIndex.ts';
import {
  graphKey,
  PublishValidationError,
  promoteVersion,
  publishEngine,
  rollbackAlias,
} from '../../../router/registry/publish.ts';

/** A loader that accepts any JSON object with StartAt and States, and reports a problem otherwise. */
function jsonLoader(
  source: string,
  options: { file: string },
): { graph?: EngineGraph; problems: GraphProblem[] } {
  const value = JSON.parse(source) as EngineGraph;
  if (typeof value.StartAt !== 'string') {
    return { problems: [{ file: options.file, path: '/StartAt', message: 'StartAt is required' }] };
  }
  return { graph: value, problems: [] };
}

const graph = (comment: string, extra: Partial<EngineGraph> = {}): string =>
  JSON.stringify({ Comment: comment, StartAt: 'A', States: { A: { Type: 'Succeed' } }, ...extra });

function setup() {
  const index = new MemoryEngineIndex();
  const store = new MemoryGraphStore();
  const compiled: string[] = [];
  const resolver = new EngineResolver<string>({
    index,
    store,
    load: jsonLoader,
    compile: (g) => {
      compiled.push(g.Comment ?? '');
      return `compiled:${g.Comment}`;
    },
    aliasTtlMs: 0,
  });
  return { index, store, resolver, compiled, deps: { index, store } };
}

describe('publishEngine', () => {
  it('assigns increasing versions, stores the object and points live at the new version', async () => {
    // Prepare
    const { deps, store } = setup();
    // Act
    const first = await publishEngine(
      { source: graph('one'), file: 'engines/orders.hjson' },
      jsonLoader,
      deps,
    );
    const second = await publishEngine(
      { source: graph('two'), file: 'engines/orders.hjson' },
      jsonLoader,
      deps,
    );
    // Assess
    expect([first.engine, first.version, second.version]).toEqual(['orders', 1, 2]);
    expect(store.objects.has(graphKey('orders', 1))).toBe(true);
    expect(second.alias?.targets).toEqual([{ version: 2, weight: 100 }]);
    expect(second.alias?.previous).toEqual([[{ version: 1, weight: 100 }]]);
  });

  it('reuses the latest version when the graph is unchanged', async () => {
    const { deps } = setup();
    await publishEngine({ source: graph('same'), file: 'a.hjson' }, jsonLoader, deps);
    const again = await publishEngine({ source: graph('same'), file: 'a.hjson' }, jsonLoader, deps);
    expect(again).toMatchObject({ version: 1, created: false });
  });

  it('refuses an invalid graph and stores nothing', async () => {
    const { deps, store, index } = setup();
    const attempt = publishEngine({ source: '{"States":{}}', file: 'bad.hjson' }, jsonLoader, deps);
    await expect(attempt).rejects.toBeInstanceOf(PublishValidationError);
    await expect(attempt).rejects.toThrow(
      /bad\.hjson: not published, 1 problem\(s\)[\s\S]*StartAt is required/,
    );
    expect(store.objects.size).toBe(0);
    expect(await index.listEngines()).toEqual([]);
  });

  it('rejects an engine name that cannot be a key', async () => {
    const { deps } = setup();
    await expect(
      publishEngine({ source: graph('x'), file: 'x.hjson', engine: 'has space' }, jsonLoader, deps),
    ).rejects.toBeInstanceOf(EngineIndexError);
  });

  it('starts a canary, promotes and rolls back', async () => {
    const { deps } = setup();
    await publishEngine({ source: graph('v1'), file: 'e.hjson' }, jsonLoader, deps);
    const canary = await publishEngine(
      { source: graph('v2'), file: 'e.hjson', canaryPercent: 10 },
      jsonLoader,
      deps,
    );
    expect(canary.alias?.targets).toEqual([
      { version: 1, weight: 90 },
      { version: 2, weight: 10 },
    ]);
    const promoted = await promoteVersion('e', 2, deps);
    expect(promoted.targets).toEqual([{ version: 2, weight: 100 }]);
    const back = await rollbackAlias('e', deps);
    expect(back.targets).toEqual(canary.alias?.targets);
    await expect(promoteVersion('e', 9, deps)).rejects.toThrow(/e@9 does not exist/);
  });
});

describe('chooseVersion', () => {
  it('is sticky per key and follows the weights', () => {
    const targets = [
      { version: 1, weight: 90 },
      { version: 2, weight: 10 },
    ];
    let canary = 0;
    for (let i = 0; i < 5000; i += 1) {
      const key = `source#${i}`;
      const version = chooseVersion(targets, key);
      expect(chooseVersion(targets, key)).toBe(version);
      if (version === 2) canary += 1;
    }
    expect(canary / 5000).toBeGreaterThan(0.08);
    expect(canary / 5000).toBeLessThan(0.12);
  });

  it('has no answer when nothing has weight', () => {
    expect(chooseVersion([{ version: 1, weight: 0 }], 'k')).toBeUndefined();
  });
});

describe('EngineResolver', () => {
  it("keeps as many versions as it is given, counting loads and evictions, and takes an engine's last good version back without loading it", async () => {
    // Prepare
    const index = new MemoryEngineIndex();
    const store = new MemoryGraphStore();
    const deps = { index, store };
    const compiled: string[] = [];
    const resolver = new EngineResolver<string>({
      index,
      store,
      load: jsonLoader,
      compile: (g) => {
        compiled.push(g.Comment ?? '');
        return `compiled:${g.Comment}`;
      },
      maxVersions: 2,
    });
    for (const name of ['a', 'b', 'c']) {
      await publishEngine({ source: graph(name), file: `${name}.hjson`, engine: name }, jsonLoader, deps);
    }
    const aliases = await resolver.snapshot();

    // Act: three engines round robin through a cache of two, twice over
    for (let round = 0; round < 2; round += 1) {
      for (const name of ['a', 'b', 'c']) await resolver.resolve(name, 'k', aliases);
    }

    // Assess
    expect(compiled).toEqual(['a', 'b', 'c']);
    expect(resolver.stats).toMatchObject({ loads: 3, hits: 0, misses: 6 });
    expect(resolver.stats.evictions).toBe(4);
  });

  it('keeps 1,000 engines by default: every record after the first loads is a hit', async () => {
    // Prepare
    const { deps, resolver, compiled } = setup();
    for (let e = 0; e < 1_000; e += 1) {
      await publishEngine({ source: graph(`e${e}`), file: `e${e}.hjson`, engine: `e${e}` }, jsonLoader, deps);
    }
    const aliases = await resolver.snapshot();
    for (let e = 0; e < 1_000; e += 1) await resolver.resolve(`e${e}`, 'k', aliases);
    const before = { ...resolver.stats };

    // Act
    for (let e = 0; e < 1_000; e += 1) await resolver.resolve(`e${e}`, 'k', aliases);

    // Assess
    expect(compiled).toHaveLength(1_000);
    expect(resolver.stats.hits - before.hits).toBe(1_000);
    expect(resolver.stats.misses - before.misses).toBe(0);
    expect(resolver.stats.evictions).toBe(0);
  });

  it('loads each version once, however many concurrent callers', async () => {
    const { deps, resolver, compiled } = setup();
    await publishEngine({ source: graph('v1'), file: 'e.hjson' }, jsonLoader, deps);
    const loaded = await Promise.all(Array.from({ length: 20 }, (_, i) => resolver.resolve('e', `k${i}`)));
    expect(new Set(loaded.map((l) => l.compiled))).toEqual(new Set(['compiled:v1']));
    expect(compiled).toEqual(['v1']);
    expect(resolver.stats.misses).toBeGreaterThanOrEqual(1);
  });

  it('keeps serving the last good version when a new one is damaged', async () => {
    // Prepare
    const { deps, store } = setup();
    const errors: string[] = [];
    const resolver = new EngineResolver<string>({
      ...deps,
      load: jsonLoader,
      compile: (g) => String(g.Comment),
      aliasTtlMs: 0,
      onError: (message) => errors.push(message),
    });
    await publishEngine({ source: graph('v1'), file: 'e.hjson' }, jsonLoader, deps);
    expect((await resolver.resolve('e', 'k')).version).toBe(1);
    await publishEngine({ source: graph('v2'), file: 'e.hjson' }, jsonLoader, deps);
    store.objects.set(graphKey('e', 2), Buffer.from('{"StartAt": "tampered"}'));
    resolver.invalidateAliases();
    // Act
    const served = await resolver.resolve('e', 'k');
    const direct = await resolver.version('e', 2).catch((error: unknown) => error);
    // Assess
    expect(served.version).toBe(1);
    expect(errors).toEqual(['engine e@2 could not be loaded; still serving e@1']);
    expect(direct).toBeInstanceOf(EngineLoadError);
    expect(String(direct)).toMatch(/engines\/e\/2\.hjson does not match its recorded sha256/);
  });

  it('names an engine with no live alias', async () => {
    const { resolver } = setup();
    await expect(resolver.resolve('missing', 'k')).rejects.toThrow(/engine 'missing' has no 'live' alias/);
  });

  it('serves the last good aliases when the index fails, and says when they were read', async () => {
    // Prepare
    const { deps, index, store } = setup();
    await publishEngine({ source: graph('v1'), file: 'e.hjson' }, jsonLoader, deps);
    let fail = false;
    const flaky = Object.assign(Object.create(index) as MemoryEngineIndex, {
      listAliases: async (alias: string) => {
        if (fail) throw new Error('index down');
        return index.listAliases(alias);
      },
    });
    let now = Date.parse('2026-05-01T00:00:00Z');
    const errors: string[] = [];
    const resolver = new EngineResolver<string>({
      index: flaky,
      store,
      load: jsonLoader,
      compile: String,
      aliasTtlMs: 1_000,
      clock: { now: () => now },
      onError: (message) => errors.push(message),
    });
    expect((await resolver.resolve('e', 'k')).version).toBe(1);
    // Act
    fail = true;
    now += 5_000;
    const served = await resolver.resolve('e', 'k');
    // Assess
    expect(served.version).toBe(1);
    expect(resolver.stats.refreshFailures).toBe(1);
    expect(resolver.stats.staleServed).toBe(1);
    expect(errors).toEqual([
      'refreshing engine aliases failed; keeping the last good aliases, read at 2026-05-01T00:00:00.000Z',
    ]);
  });

  it('sees a promote or rollback in the first snapshot after the TTL, however long it sat idle', async () => {
    // Prepare
    const { deps, index, store } = setup();
    await publishEngine({ source: graph('v1'), file: 'e.hjson' }, jsonLoader, deps);
    await publishEngine({ source: graph('v2'), file: 'e.hjson' }, jsonLoader, deps);
    let now = Date.parse('2026-05-01T00:00:00Z');
    let reads = 0;
    const counting = Object.assign(Object.create(index) as MemoryEngineIndex, {
      listAliases: (alias: string) => {
        reads += 1;
        return index.listAliases(alias);
      },
    });
    const resolver = new EngineResolver<string>({
      index: counting,
      store,
      load: jsonLoader,
      compile: String,
      aliasTtlMs: 1_000,
      clock: { now: () => now },
    });
    expect((await resolver.resolve('e', 'k', await resolver.snapshot())).version).toBe(2);
    // Act: roll back, stay idle for an hour, then the next batch
    await rollbackAlias('e', deps);
    now += 3_600_000;
    const afterRollback = await resolver.resolve('e', 'k', await resolver.snapshot());
    await promoteVersion('e', 2, deps);
    now += 1_001;
    const afterPromote = await resolver.resolve('e', 'k', await resolver.snapshot());
    // Assess
    expect(afterRollback.version).toBe(1);
    expect(afterPromote.version).toBe(2);
    expect(reads).toBe(3);
  });

  it('answers from memory within the TTL and refreshes in the background past half of it', async () => {
    // Prepare
    const { deps, index, store } = setup();
    await publishEngine({ source: graph('v1'), file: 'e.hjson' }, jsonLoader, deps);
    let now = 0;
    let reads = 0;
    const counting = Object.assign(Object.create(index) as MemoryEngineIndex, {
      listAliases: (alias: string) => {
        reads += 1;
        return index.listAliases(alias);
      },
    });
    const resolver = new EngineResolver<string>({
      index: counting,
      store,
      load: jsonLoader,
      compile: String,
      aliasTtlMs: 1_000,
      clock: { now: () => now },
    });
    const first = await resolver.snapshot();
    // Act
    now = 400;
    const young = await resolver.snapshot();
    now = 600;
    const ageing = await resolver.snapshot();
    await new Promise((resolve) => setImmediate(resolve));
    const refreshed = await resolver.snapshot();
    // Assess
    expect(young).toBe(first);
    expect(ageing).toBe(first);
    expect(refreshed).not.toBe(first);
    expect(refreshed.loadedAt).toBe(600);
    expect(reads).toBe(2);
  });

  it('reads a version that failed to load once per failure TTL, not once per message', async () => {
    const { deps, store } = setup();
    await publishEngine({ source: graph('v1'), file: 'e.hjson' }, jsonLoader, deps);
    store.objects.set(graphKey('e', 1), Buffer.from('damaged'));
    let reads = 0;
    const counting = {
      put: store.put.bind(store),
      get: (key: string) => {
        reads += 1;
        return store.get(key);
      },
    };
    const resolver = new EngineResolver<string>({
      index: deps.index,
      store: counting,
      load: jsonLoader,
      compile: String,
      failureTtlMs: 60_000,
    });
    for (let i = 0; i < 5; i += 1)
      await expect(resolver.version('e', 1)).rejects.toBeInstanceOf(EngineLoadError);
    expect(reads).toBe(1);
  });
});
