/**
 * End to end: engine versions change under a running router. New messages take the new version at once,
 * executions keep the version they started on (in flight, and when resumed from a checkpoint after a
 * lost invocation), a graph that fails validation never reaches S3 or the index, and a damaged object
 * for a new version never replaces the version the router already runs.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../../router/aws/clients.ts';
import { graphKey, PublishValidationError, promoteVersion } from '../../../router/registry/publish.ts';
import { Gate, StepLog, throttlingError } from '../../fixtures/steps/recorder.ts';
import { useRouterStack } from '../support/routerStack.ts';
import { cloudEvent, stepArn } from './graphs.ts';

const log = new StepLog();
const held = new Gate();
const lost = new Gate();
/** Event ids whose `settle` step waits at `lost`, then fails retryably once. */
const failAfterGate = new Set<string>();

const runtime = useRouterStack({
  functions: {
    hold: {
      timeoutSeconds: 30,
      handler: log.step('hold', async (payload) => {
        if ((payload as { hold?: unknown }).hold === true) await held.pass();
        return 'held';
      }),
    },
    finish: log.step('finish', (payload) => payload),
    prepare: log.step('prepare'),
    settle: {
      timeoutSeconds: 30,
      handler: log.step('settle', async (payload) => {
        const id = String((payload as { id?: unknown }).id);
        if (failAfterGate.delete(id)) {
          await lost.pass();
          throw throttlingError(`settle ${id}`);
        }
        return payload;
      }),
    },
  },
  shards: 2,
  settings: { ROUTER_MAX_ATTEMPTS: '5' },
});
// Registered after the stack, so it runs first: a failed test must not leave a step held at stop.
afterAll(() => {
  held.release();
  lost.release();
});

/**
 * Two Tasks; the second reports which version ran it. Written after every step, so an execution held in
 * its first step is already in the store, pinned to its version.
 */
function versionedGraph(version: string, first: string, second: string): string {
  return JSON.stringify({
    Comment: `release ${version}`,
    Checkpoint: 'every-step',
    StartAt: 'First',
    States: {
      First: { Type: 'Task', Resource: stepArn(first), ResultPath: '$.first', Next: 'Second' },
      Second: {
        Type: 'Task',
        Resource: stepArn(second),
        Parameters: { version, 'id.$': '$$.Execution.Name', 'data.$': '$' },
        End: true,
      },
    },
  });
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('publishing while events flow', () => {
  it('runs new messages on v2 while executions started on v1 finish on v1', async () => {
    // Prepare
    const rt = runtime();
    const [slowShard, fastShard] = await rt.shardKeys();
    if (slowShard === undefined || fastShard === undefined) throw new Error('the stream needs two shards');
    await rt.publish({ source: versionedGraph('v1', 'hold', 'finish'), file: 'flow.hjson' });
    const heldIds = ['h-1', 'h-2', 'h-3'];
    await rt.put(
      heldIds.map((id, i) => ({
        partitionKey: `held-${i}`,
        explicitHashKey: slowShard.hashKey,
        data: cloudEvent('flow', id, { hold: true }),
      })),
    );
    await until('three v1 executions to be held mid-flight', () => held.waiting === 3);
    for (const id of heldIds) {
      const record = await rt.execution('flow', `shop/flow#${id}`);
      expect(record).toMatchObject({ status: 'RUNNING', version: 1 });
      expect(record?.leaseExpiresAt).toBeGreaterThan(Date.now());
    }
    // Act
    const v2 = await rt.publish({ source: versionedGraph('v2', 'hold', 'finish'), file: 'flow.hjson' });
    const newIds = ['n-1', 'n-2', 'n-3'];
    await rt.put(
      newIds.map((id, i) => ({
        partitionKey: `new-${i}`,
        explicitHashKey: fastShard.hashKey,
        data: cloudEvent('flow', id, { hold: false }),
      })),
    );
    await until('the new messages to finish while v1 executions are held', async () => {
      const records = await Promise.all(newIds.map((id) => rt.execution('flow', `shop/flow#${id}`)));
      return records.every((r) => r?.status === 'SUCCEEDED');
    });
    expect(held.waiting).toBe(3);
    // A copy of a held message on the other shard finds its execution leased and goes back to the stream.
    const beforeCopy = rt.batches.length;
    await rt.put([
      {
        partitionKey: 'copy',
        explicitHashKey: fastShard.hashKey,
        data: cloudEvent('flow', 'h-1', { hold: true }),
      },
    ]);
    await until('the copy to meet the lease', () =>
      rt.batches.slice(beforeCopy).some((b) => b.retried === 1),
    );
    held.release();
    await rt.waitForIdle();
    const copyAnswered = rt.batches.slice(beforeCopy).filter((b) => b.records === 1 && b.retried === 0);
    expect(copyAnswered).toEqual([expect.objectContaining({ duplicates: 1, succeeded: 0 })]);
    // Assess
    expect(v2.version).toBe(2);
    const versions = Object.fromEntries(
      (await rt.executions('flow')).map((r) => [r.dedupKey.replace('shop/flow#', ''), [r.status, r.version]]),
    );
    expect(versions).toEqual({
      'h-1': ['SUCCEEDED', 1],
      'h-2': ['SUCCEEDED', 1],
      'h-3': ['SUCCEEDED', 1],
      'n-1': ['SUCCEEDED', 2],
      'n-2': ['SUCCEEDED', 2],
      'n-3': ['SUCCEEDED', 2],
    });
    const ranOn = Object.fromEntries(
      log.of('finish').map((call) => {
        const p = call.payload as { id: string; version: string };
        return [p.id, p.version];
      }),
    );
    expect(ranOn).toEqual({
      'h-1': 'v1',
      'h-2': 'v1',
      'h-3': 'v1',
      'n-1': 'v2',
      'n-2': 'v2',
      'n-3': 'v2',
    });
    expect(log.of('finish')).toHaveLength(6);
    expect(log.of('hold').filter((c) => (c.payload as { hold: boolean }).hold)).toHaveLength(3);
  });

  it('resumes an interrupted execution from its checkpoint on the version it started on', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: versionedGraph('v1', 'prepare', 'settle'), file: 'pinned.hjson' });
    failAfterGate.add('r-1');
    // Act: the second step is in flight on v1 when the alias moves, then fails retryably
    await rt.put([{ partitionKey: 'pinned', data: cloudEvent('pinned', 'r-1', { amount: 5 }) }]);
    await until('the second step to be in flight', () => lost.waiting === 1);
    // The checkpoint of the first step is written while the second one is already invoked.
    await until('the first step to be checkpointed', async () => {
      return (await rt.execution('pinned', 'shop/pinned#r-1'))?.checkpoint !== undefined;
    });
    const checkpointed = await rt.execution('pinned', 'shop/pinned#r-1');
    await rt.publish({ source: versionedGraph('v2', 'prepare', 'finish'), file: 'pinned.hjson' });
    lost.release();
    await rt.waitForIdle();
    // Assess
    expect(checkpointed).toMatchObject({ status: 'RUNNING', version: 1 });
    const record = await rt.execution('pinned', 'shop/pinned#r-1');
    expect(record).toMatchObject({ status: 'SUCCEEDED', version: 1 });
    expect(JSON.parse(record?.output ?? 'null')).toMatchObject({ version: 'v1', id: 'r-1' });
    expect(log.of('prepare').filter((c) => (c.payload as { amount?: number }).amount === 5)).toHaveLength(1);
    const settles = log.of('settle');
    expect(settles).toHaveLength(2);
    expect(new Set(settles.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(log.of('finish').some((c) => (c.payload as { id: string }).id === 'r-1')).toBe(false);
    expect(rt.logs.some((l) => l.message === 'record will be retried' && l.fields.engine === 'pinned')).toBe(
      true,
    );
  });
});

describe('publishing guards', () => {
  it('refuses a graph that fails validation: nothing in S3, nothing in the index, alias unchanged', async () => {
    const rt = runtime();
    const broken = JSON.stringify({
      StartAt: 'First',
      States: { First: { Type: 'Task', Resource: stepArn('prepare'), Next: 'Missing' } },
    });
    await rt.publish({ source: versionedGraph('v1', 'prepare', 'finish'), file: 'guarded.hjson' });
    const aliasBefore = await rt.registry.index.getAlias('guarded', 'live');
    // Act
    const fresh = await rt.publish({ source: broken, file: 'fresh.hjson' }).catch((e: unknown) => e);
    const next = await rt.publish({ source: broken, file: 'guarded.hjson' }).catch((e: unknown) => e);
    // Assess
    expect(fresh).toBeInstanceOf(PublishValidationError);
    expect(next).toBeInstanceOf(PublishValidationError);
    expect(String((next as Error).message)).toMatch(/^guarded\.hjson: not published, \d+ problem/);
    expect(String((next as Error).message)).toContain('Missing');
    const s3 = s3Client(rt.stack.aws);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: rt.names.bucket, Prefix: 'engines/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys.filter((k) => k?.startsWith('engines/fresh/'))).toEqual([]);
    expect(keys.filter((k) => k?.startsWith('engines/guarded/'))).toEqual([graphKey('guarded', 1)]);
    expect(await rt.registry.index.listVersions('fresh')).toEqual([]);
    expect((await rt.registry.index.listVersions('guarded')).map((v) => v.version)).toEqual([1]);
    expect(await rt.registry.index.getAlias('guarded', 'live')).toEqual(aliasBefore);
  });

  it('keeps running the loaded version when a new version’s object in S3 is damaged', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: versionedGraph('v1', 'prepare', 'finish'), file: 'sturdy.hjson' });
    await rt.put([{ partitionKey: 'sturdy', data: cloudEvent('sturdy', 's-1', {}) }]);
    await rt.waitForIdle();
    const v2 = await rt.publish({
      source: versionedGraph('v2', 'prepare', 'finish'),
      file: 'sturdy.hjson',
      alias: null,
    });
    await s3Client(rt.stack.aws).send(
      new PutObjectCommand({ Bucket: rt.names.bucket, Key: v2.record.s3Key, Body: '{ "StartAt": "Tru' }),
    );
    await promoteVersion('sturdy', v2.version, rt.registryDeps);
    await rt.awaitAlias('sturdy');
    // Act
    await rt.put(
      ['s-2', 's-3'].map((id) => ({ partitionKey: 'sturdy', data: cloudEvent('sturdy', id, {}) })),
    );
    await rt.waitForIdle();
    // Assess
    const records = await rt.executions('sturdy');
    expect(records.map((r) => [r.dedupKey, r.status, r.version]).sort()).toEqual([
      ['shop/sturdy#s-1', 'SUCCEEDED', 1],
      ['shop/sturdy#s-2', 'SUCCEEDED', 1],
      ['shop/sturdy#s-3', 'SUCCEEDED', 1],
    ]);
    const ranOn = log.of('finish').filter((c) => String((c.payload as { id: string }).id).startsWith('s-'));
    expect(ranOn.map((c) => (c.payload as { version: string }).version)).toEqual(['v1', 'v1', 'v1']);
    const logged = rt.logs.find(
      (l) =>
        l.level === 'error' && l.message === 'engine sturdy@2 could not be loaded; still serving sturdy@1',
    );
    expect(String(logged?.fields.error)).toContain('does not match its recorded sha256');
    expect((await rt.quarantined()).filter((q) => q.engine === 'sturdy')).toEqual([]);
  });

  it('quarantines messages for an engine whose only version cannot load, and moves on', async () => {
    // Prepare: a fresh engine whose stored object is damaged before the router ever loaded it
    const rt = runtime();
    const published = await rt.publish({
      source: versionedGraph('v1', 'prepare', 'finish'),
      file: 'fragile.hjson',
    });
    await s3Client(rt.stack.aws).send(
      new PutObjectCommand({ Bucket: rt.names.bucket, Key: published.record.s3Key, Body: 'not a graph' }),
    );
    await rt.publish({ source: versionedGraph('v1', 'prepare', 'finish'), file: 'steady.hjson' });
    // Act
    await rt.put([
      { partitionKey: 'fragile', data: cloudEvent('fragile', 'x-1', {}) },
      { partitionKey: 'fragile', data: cloudEvent('steady', 'y-1', {}) },
    ]);
    await rt.waitForIdle();
    // Assess
    const entries = (await rt.quarantined()).filter((q) => q.engine === 'fragile');
    expect(entries.map((q) => q.reason)).toEqual(['engine-unavailable']);
    expect(entries[0]?.message).toContain('engine fragile@1: object s3://');
    expect(entries[0]?.message).toContain('does not match its recorded sha256');
    expect(await rt.execution('fragile', 'shop/fragile#x-1')).toBeUndefined();
    expect((await rt.execution('steady', 'shop/steady#y-1'))?.status).toBe('SUCCEEDED');
  });
});
