import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadGraph } from '../../../router/asl/load.ts';
import { setRegistryFactory } from '../../../router/cli/commands/engine-registry.ts';
import { DEFAULT_RESOURCE_NAMES } from '../../../router/config.ts';
import { MemoryGraphStore } from '../../../router/registry/GraphStore.ts';
import { MemoryEngineIndex } from '../../../router/registry/MemoryEngineIndex.ts';
import { runRouterCli } from '../../support/cli.ts';

/** A clock that moves one minute on every reading, so each write has its own time. */
function steppingClock(start: string): () => Date {
  let at = Date.parse(start);
  return () => {
    const now = new Date(at);
    at += 60_000;
    return now;
  };
}

function graph(comment: string): string {
  return JSON.stringify({ Comment: comment, StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } });
}

let dir = '';
let index: MemoryEngineIndex;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'engine-registry-cli-'));
  await writeFile(join(dir, 'orders-v1.json'), graph('v1'));
  await writeFile(join(dir, 'orders-v2.json'), graph('v2'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  index = new MemoryEngineIndex(steppingClock('2026-03-01T00:00:00Z'));
  const store = new MemoryGraphStore();
  setRegistryFactory(() => ({
    index,
    store,
    names: DEFAULT_RESOURCE_NAMES,
    publishLoader: (source, options) =>
      loadGraph(source, {
        file: options.file,
        ...(options.variables === undefined ? {} : { variables: options.variables }),
      }),
    graphLoader: (source, options) => loadGraph(source, { file: options.file }),
  }));
});

function cli(...argv: string[]) {
  return runRouterCli(argv, { env: {}, cwd: dir });
}

describe('router engine publish --canary', () => {
  it('says why nothing changed when the graph is identical to the version live already serves', async () => {
    // Prepare
    await cli('engine', 'publish', 'orders-v1.json', '--name', 'orders');

    // Act
    const result = await cli('engine', 'publish', 'orders-v1.json', '--name', 'orders', '--canary', '10');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^unchanged, reusing orders@1 \(live -> 1\)/);
    expect(result.stderr).toBe(
      '--canary 10 not applied: the graph is identical to orders@1, which live already sends every message to, so there is no other version to split traffic with and nothing changed; publish a changed graph to canary it, or move live with `router engine promote` or `rollback`\n',
    );
    expect((await index.getAlias('orders', 'live'))?.targets).toEqual([{ version: 1, weight: 100 }]);
  });

  it('applies the canary to the existing version when live points elsewhere', async () => {
    // Prepare: v2 published, then live moved back to v1
    await cli('engine', 'publish', 'orders-v1.json', '--name', 'orders');
    await cli('engine', 'publish', 'orders-v2.json', '--name', 'orders');
    await cli('engine', 'promote', 'orders', '1');

    // Act
    const result = await cli('engine', 'publish', 'orders-v2.json', '--name', 'orders', '--canary', '25');

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^unchanged, reusing orders@2 \(live -> 1 \(75%\), 2 \(25%\)\)/);
  });

  it('says the canary had nothing to split with on a first publish', async () => {
    // Act
    const result = await cli('engine', 'publish', 'orders-v1.json', '--name', 'fresh', '--canary', '10');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^published fresh@1 \(live -> 1\)/);
    expect(result.stderr).toBe(
      "--canary 10 not applied: fresh had no 'live' alias to split traffic with, so live now points at fresh@1 alone\n",
    );
  });

  it('refuses --canary with --no-alias', async () => {
    // Act
    const result = await cli('engine', 'publish', 'orders-v1.json', '--no-alias', '--canary', '10');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--canary moves an alias: it cannot go with --no-alias');
  });
});

describe('router engine list', () => {
  it('prints a header and dates UPDATED by the last publish or move of live', async () => {
    // Prepare: two publishes, then live moves back on the stepping clock
    await cli('engine', 'publish', 'orders-v1.json', '--name', 'orders');
    await cli('engine', 'publish', 'orders-v2.json', '--name', 'orders');
    const afterPublish = (await cli('engine', 'list')).stdout;
    await cli('engine', 'rollback', 'orders');
    const afterRollback = (await cli('engine', 'list')).stdout;

    // Assess
    const [header, row] = afterPublish.trimEnd().split('\n');
    expect(header).toMatch(/^ENGINE\s+LATEST\s+ALIAS\s+UPDATED$/);
    const published = row?.split(/\s{2,}/);
    expect(published?.slice(0, 3)).toEqual(['orders', '2', 'live -> 2']);
    const rolledBack = afterRollback
      .trimEnd()
      .split('\n')[1]
      ?.split(/\s{2,}/);
    expect(rolledBack?.slice(0, 3)).toEqual(['orders', '2', 'live -> 1']);
    const moved = (await index.getAlias('orders', 'live'))?.updatedAt;
    expect(rolledBack?.[3]).toBe(moved);
    expect(Date.parse(rolledBack?.[3] ?? '')).toBeGreaterThan(Date.parse(published?.[3] ?? ''));
  });
});
