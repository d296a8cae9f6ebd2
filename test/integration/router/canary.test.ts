/**
 * End to end: a 10% canary on an express engine. The share of messages the canary takes, the same
 * message always landing on the same version (a re-put is a duplicate of the version it first ran on),
 * and a rollback sending new messages back to the stable version.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import type { BatchSummary } from '../../../router/MessageEventRouter.ts';
import { rollbackAlias } from '../../../router/registry/publish.ts';
import { useRouterStack } from '../support/routerStack.ts';
import { cloudEvent } from './graphs.ts';

const runtime = useRouterStack({
  functions: {},
  shards: 2,
  batchSize: 500,
  pollIntervalMs: 100,
  sweepEveryMs: false,
});

/** An express graph with no Tasks that stamps the version it ran on into its result. */
function taggedGraph(version: number): string {
  return JSON.stringify({
    Mode: 'express',
    StartAt: 'Tag',
    States: { Tag: { Type: 'Pass', Result: { version }, ResultPath: '$.ran', End: true } },
  });
}

function events(ids: readonly string[]) {
  return ids.map((id, i) => ({ partitionKey: `k-${i % 64}`, data: cloudEvent('canary', id, { id }) }));
}

/** Per `engine@version`, the duplicates the given invocations answered. */
function duplicatesByVersion(batches: readonly BatchSummary[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const batch of batches) {
    for (const [label, row] of batch.byEngine) out[label] = (out[label] ?? 0) + row.duplicates;
  }
  return out;
}

function idOf(record: ExecutionRecord): string {
  return record.dedupKey.replace('shop/canary#', '');
}

describe('canary', () => {
  it('sends 10% of 5,000 messages to the canary, each message always to the same version, and rolls back', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: taggedGraph(1), file: 'canary.hjson' });
    const canary = await rt.publish({ source: taggedGraph(2), file: 'canary.hjson', canaryPercent: 10 });
    expect(canary.alias?.targets).toEqual([
      { version: 1, weight: 90 },
      { version: 2, weight: 10 },
    ]);
    const ids = Array.from({ length: 5_000 }, (_, i) => `c-${i}`);

    // Act
    await rt.put(events(ids));
    await rt.waitForIdle(45_000);

    // Assess: every message ran once, about a tenth of them on the canary
    const records = await rt.executions('canary');
    expect(records).toHaveLength(5_000);
    expect(records.every((r) => r.status === 'SUCCEEDED' && r.mode === 'express')).toBe(true);
    const onCanary = records.filter((r) => r.version === 2);
    // Express keeps no output, so the version each message ran on is checked against the router's own
    // count of the compiled versions it ran.
    const ran = { 'canary@1': 0, 'canary@2': 0 } as Record<string, number>;
    for (const batch of rt.batches) {
      for (const [label, row] of batch.byEngine) ran[label] = (ran[label] ?? 0) + row.succeeded;
    }
    expect(ran).toEqual({ 'canary@1': 5_000 - onCanary.length, 'canary@2': onCanary.length });
    expect(onCanary.length).toBeGreaterThanOrEqual(350);
    expect(onCanary.length).toBeLessThanOrEqual(650);

    // Assess: a re-put message is a duplicate of the version it first ran on
    const sampleCanary = onCanary.slice(0, 40).map(idOf);
    const sampleStable = records
      .filter((r) => r.version === 1)
      .slice(0, 40)
      .map(idOf);
    let from = rt.batches.length;
    await rt.put(events([...sampleCanary, ...sampleStable]));
    await rt.waitForIdle();
    let replays = rt.batches.slice(from);
    expect(duplicatesByVersion(replays)).toEqual({ 'canary@1': 40, 'canary@2': 40 });
    expect(replays.reduce((sum, b) => sum + b.succeeded, 0)).toBe(0);

    // Act: roll back
    const rolledBack = await rollbackAlias('canary', rt.registryDeps);
    await rt.awaitAlias('canary');
    expect(rolledBack.targets).toEqual([{ version: 1, weight: 100 }]);
    const rolledBackAt = new Date();
    const fresh = Array.from({ length: 300 }, (_, i) => `after-${i}`);
    from = rt.batches.length;
    await rt.put(events([...fresh, ...sampleCanary.slice(0, 10)]));
    await rt.waitForIdle();

    // Assess: new messages run on v1 again; old canary messages stay duplicates of v2
    const after = await rt.executions('canary', rolledBackAt);
    expect(after.map(idOf).sort()).toEqual([...fresh].sort());
    expect(after.every((r) => r.version === 1 && r.status === 'SUCCEEDED')).toBe(true);
    replays = rt.batches.slice(from);
    expect(duplicatesByVersion(replays)).toEqual({ 'canary@1': 0, 'canary@2': 10 });
    expect(rt.survived).toEqual([]);
  });
});
