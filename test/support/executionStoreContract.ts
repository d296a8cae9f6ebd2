/** The behaviour every ExecutionStore must have: run against memory in unit tests and DynamoDB in integration. */
import { expect, it } from 'vitest';
import { LeaseLostError } from '../../router/errors.ts';
import {
  APPLIED_CALLBACKS_KEPT,
  type ClaimRequest,
  type ExecutionStore,
  executionIdFor,
  executionMapKey,
} from '../../router/executions/ExecutionStore.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A run-unique prefix, so cases never see each other's records, even in a shared external table. */
const RUN = `${process.pid}-${Date.now().toString(36)}`;
let engineName = 'orders';

function request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  const key = { engine: engineName, dedupKey: 'shop#1' };
  return {
    ...key,
    executionId: executionIdFor(key),
    version: 3,
    mode: 'standard',
    owner: 'invocation-a',
    leaseMs: 30_000,
    now: T0,
    ...overrides,
  };
}

/** Registers the contract's cases in the current describe block. */
export function executionStoreContract(makeStore: () => ExecutionStore): void {
  let cases = 0;
  const make = (): ExecutionStore => {
    cases += 1;
    engineName = `orders-${RUN}-${cases}`;
    return makeStore();
  };
  it('claims a new execution once; a second claim sees it in flight', async () => {
    const store = make();
    const first = await store.claim(request());
    const second = await store.claim(request({ owner: 'invocation-b', now: T0 + 1000 }));
    expect(first.kind).toBe('claimed');
    expect(second.kind).toBe('in-flight');
  });

  it('answers a finished execution as a duplicate until it expires', async () => {
    const store = make();
    const claim = await store.claim(request());
    await store.complete(claim.record, {
      status: 'SUCCEEDED',
      output: '{"ok":true}',
      now: T0 + 10,
      retentionSeconds: 60,
    });
    const duplicate = await store.claim(request({ now: T0 + 20_000 }));
    expect(duplicate.kind).toBe('duplicate');
    expect(duplicate.record.output).toBe('{"ok":true}');
    const afterTtl = await store.claim(request({ now: T0 + 61_000 }));
    expect(afterTtl.kind).toBe('claimed');
  });

  it('takes over an expired lease and resumes from the checkpoint; the old owner is locked out', async () => {
    const store = make();
    const claim = await store.claim(request());
    const saved = await store.checkpoint(claim.record, {
      checkpoint: '{"at":"B"}',
      leaseMs: 30_000,
      now: T0 + 5,
    });
    const takeover = await store.claim(request({ owner: 'invocation-b', now: T0 + 40_000 }));
    expect(takeover.kind).toBe('resumed');
    expect(takeover.record.checkpoint).toBe('{"at":"B"}');
    await expect(
      store.checkpoint(saved, { checkpoint: '{"at":"C"}', leaseMs: 30_000, now: T0 + 40_001 }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    const done = await store.complete(takeover.record, {
      status: 'FAILED',
      error: 'E',
      now: T0 + 40_002,
      retentionSeconds: 60,
    });
    expect(done.status).toBe('FAILED');
  });

  it('drops the checkpoint of an execution that succeeded and keeps the final state of one that failed', async () => {
    const store = make();
    const claim = await store.claim(request());
    const saved = await store.checkpoint(claim.record, {
      checkpoint: '{"at":"B"}',
      leaseMs: 30_000,
      now: T0 + 1,
    });
    await store.complete(saved, {
      status: 'SUCCEEDED',
      checkpoint: null,
      input: '{"order":1}',
      now: T0 + 2,
      retentionSeconds: 60,
    });
    const succeeded = await store.get(request());
    expect(succeeded?.checkpoint).toBeUndefined();
    expect(succeeded?.input).toBe('{"order":1}');
    const other = await store.claim(request({ dedupKey: 'shop#2' }));
    await store.complete(other.record, {
      status: 'FAILED',
      checkpoint: '{"at":"C"}',
      now: T0 + 3,
      retentionSeconds: 60,
    });
    expect((await store.get(request({ dedupKey: 'shop#2' })))?.checkpoint).toBe('{"at":"C"}');
  });

  it('keeps a durable wait until it is due', async () => {
    const store = make();
    const claim = await store.claim(request());
    await store.checkpoint(claim.record, {
      checkpoint: '{}',
      status: 'WAITING',
      dueAt: T0 + 120_000,
      leaseMs: 0,
      now: T0 + 1,
    });
    expect((await store.claim(request({ owner: 'b', now: T0 + 60_000 }))).kind).toBe('waiting');
    expect((await store.claim(request({ owner: 'b', now: T0 + 120_000 }))).kind).toBe('resumed');
  });

  it('remembers the latest callback messages applied, with the checkpoint that holds their results', async () => {
    const store = make();
    const claim = await store.claim(request());
    let record = await store.checkpoint(claim.record, {
      checkpoint: '{"at":"A"}',
      leaseMs: 30_000,
      now: T0 + 1,
      appliedCallback: 'approver#1',
    });
    record = await store.checkpoint(record, { checkpoint: '{"at":"B"}', leaseMs: 30_000, now: T0 + 2 });
    for (let i = 2; i <= APPLIED_CALLBACKS_KEPT + 1; i++) {
      record = await store.checkpoint(record, {
        checkpoint: '{"at":"C"}',
        leaseMs: 30_000,
        now: T0 + 2 + i,
        appliedCallback: `approver#${i}`,
      });
    }
    const stored = await store.get(request());
    expect(stored?.callbacks).toHaveLength(APPLIED_CALLBACKS_KEPT);
    expect(stored?.callbacks?.[0]).toBe('approver#2');
    expect(stored?.callbacks?.at(-1)).toBe(`approver#${APPLIED_CALLBACKS_KEPT + 1}`);
    expect(stored?.callbacks).toEqual(record.callbacks);
    await store.complete(record, {
      status: 'SUCCEEDED',
      checkpoint: null,
      now: T0 + 99,
      retentionSeconds: 60,
    });
    expect((await store.get(request()))?.callbacks).toEqual(record.callbacks);
  });

  it('counts retryable failures and releases the lease for the redelivery', async () => {
    const store = make();
    await store.claim(request());
    expect(await store.recordFailure(request(), T0 + 1)).toBe(1);
    expect(await store.recordFailure(request(), T0 + 2)).toBe(2);
    expect((await store.claim(request({ owner: 'b', now: T0 + 3 }))).kind).toBe('resumed');
  });

  it('peeks many keys at once and records express results in bulk', async () => {
    const store = make();
    const keys = Array.from({ length: 150 }, (_, i) => ({ engine: engineName, dedupKey: `k${i}` }));
    await store.completeMany(
      keys.slice(0, 100).map((key) => ({
        record: {
          ...key,
          executionId: executionIdFor(key),
          version: 1,
          mode: 'express' as const,
          status: 'RUNNING' as const,
          startedAt: new Date(T0).toISOString(),
          updatedAt: new Date(T0).toISOString(),
        },
        completion: { status: 'SUCCEEDED' as const, now: T0, retentionSeconds: 60 },
      })),
    );
    const found = await store.peek(keys, T0 + 1);
    expect(found.size).toBe(100);
    expect(found.get(executionMapKey({ engine: engineName, dedupKey: 'k99' }))?.status).toBe('SUCCEEDED');
    expect(found.has(executionMapKey({ engine: engineName, dedupKey: 'k100' }))).toBe(false);
  });
}
