/** The behaviour every ExecutionStore must have: run against memory in unit tests and DynamoDB in integration. */
import { expect, it } from 'vitest';
import { LeaseLostError } from '../../router/errors.ts';
import {
  APPLIED_CALLBACKS_KEPT,
  type ClaimRequest,
  type ExecutionRecord,
  type ExecutionStore,
  executionIdFor,
  executionMapKey,
  hasAppliedCallback,
} from '../../router/executions/ExecutionStore.ts';
import { HISTORY_MAX_BYTES } from '../../router/executions/history.ts';

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

const KiB = 1024;

/** JSON text of exactly `bytes` bytes, different for each `tag` (so content addresses differ). */
export function jsonText(bytes: number, tag: string): string {
  const wrapper = JSON.stringify({ [tag]: '' }).length;
  const unit = `${tag}.`;
  return JSON.stringify({ [tag]: unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes - wrapper) });
}

/** A serialised state as large as the documented limits allow: a 256 KiB input and a 256 KiB result. */
export function largestState(tag: string): string {
  return JSON.stringify({
    stateName: 'Step2',
    context: { input: JSON.parse(jsonText(256 * KiB, `${tag}-input`)) },
    data: {
      input: JSON.parse(jsonText(256 * KiB, `${tag}-input`)),
      step1: JSON.parse(jsonText(256 * KiB, `${tag}-result`)),
    },
  });
}

/** The large values of a record, for comparing what was written with what is read. */
function valuesOf(record: ExecutionRecord | undefined): Record<string, unknown> {
  return {
    status: record?.status,
    checkpoint: record?.checkpoint,
    history: record?.history,
    input: record?.input,
    output: record?.output,
    error: record?.error,
    cause: record?.cause,
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

  it('creates an execution that ran to its end in one claim, once; an existing record is answered, not overwritten', async () => {
    // Prepare
    const store = make();
    const completion = {
      status: 'SUCCEEDED' as const,
      output: '{"n":1}',
      input: '{}',
      now: T0 + 5,
      retentionSeconds: 60,
    };

    // Act
    const first = await store.claimFinished(request(), completion);
    const again = await store.claimFinished(request({ owner: 'invocation-b', now: T0 + 10 }), {
      ...completion,
      output: '{"n":2}',
    });
    const inFlight = await store.claim(request({ dedupKey: 'shop#2', executionId: 'running' }));
    const meetsRunning = await store.claimFinished(
      request({ dedupKey: 'shop#2', executionId: 'running', owner: 'invocation-b' }),
      completion,
    );

    // Assess
    expect(first.kind).toBe('claimed');
    expect(first.record).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"n":1}',
      startedAt: new Date(T0).toISOString(),
    });
    expect(again.kind).toBe('duplicate');
    expect((await store.get(request()))?.output).toBe('{"n":1}');
    expect(inFlight.kind).toBe('claimed');
    expect(meetsRunning.kind).toBe('in-flight');
    expect((await store.get(request({ dedupKey: 'shop#2' })))?.status).toBe('RUNNING');
  });

  it('creates many executions that ran to their end at once, each with its own answer; an expired record is replaced', async () => {
    // Prepare: one key already finished, one finished long ago (expired), sixty new ones
    const store = make();
    const completion = (n: number) => ({
      status: 'SUCCEEDED' as const,
      output: `{"n":${n}}`,
      input: '{}',
      now: T0 + 5,
      retentionSeconds: 60,
    });
    const keyed = (n: number) => {
      const key = { engine: engineName, dedupKey: `shop#${n}` };
      return request({ ...key, executionId: executionIdFor(key) });
    };
    await store.claimFinished(keyed(0), completion(0));
    await store.claimFinished(keyed(1), { ...completion(1), now: T0 - 3_600_000 });

    // Act: all at once, as the executions of a window finish
    const answers = await Promise.all(
      Array.from({ length: 62 }, (_, n) => store.claimFinished(keyed(n), completion(100 + n))),
    );

    // Assess
    expect(answers.map((a) => a.kind)).toEqual(['duplicate', ...Array.from({ length: 61 }, () => 'claimed')]);
    expect((await store.get(keyed(0)))?.output).toBe('{"n":0}');
    expect((await store.get(keyed(1)))?.output).toBe('{"n":101}');
    for (const n of [2, 30, 61]) {
      expect((await store.get(keyed(n)))?.output).toBe(`{"n":${100 + n}}`);
    }
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

  it("pages one engine's executions newest first, filtered through the status index, and counts statuses", async () => {
    // Prepare: k0..k4 started a second apart; k0 RUNNING, k1 FAILED, k2..k4 SUCCEEDED (k4 on version 4).
    const store = make();
    const year = 365 * 24 * 3600;
    for (let i = 0; i < 5; i++) {
      const key = { engine: engineName, dedupKey: `order-k${i}` };
      const claim = await store.claim(
        request({ ...key, executionId: executionIdFor(key), now: T0 + i * 1000, version: i === 4 ? 4 : 3 }),
      );
      if (i === 0) continue;
      await store.complete(claim.record, {
        status: i === 1 ? 'FAILED' : 'SUCCEEDED',
        checkpoint: '{"at":"B"}',
        now: T0 + i * 1000 + 10,
        retentionSeconds: 20 * year,
      });
    }
    const base = { engine: engineName, limit: 2, scanLimit: 100 };

    // Act
    const first = await store.listPage(base);
    const second = await store.listPage({ ...base, before: first.readTo ?? '' });
    const third = await store.listPage({ ...base, before: second.readTo ?? '' });
    const failed = await store.listPage({ ...base, status: 'FAILED' });
    const byText = await store.listPage({ ...base, text: 'k3' });
    const byVersion = await store.listPage({ ...base, version: 4 });
    const bounded = await store.listPage({ ...base, text: 'k0', scanLimit: 2 });
    const succeeded = await store.countStatus(engineName, 'SUCCEEDED', {}, 10);
    const capped = await store.countStatus(engineName, 'SUCCEEDED', {}, 2);
    const window = await store.countStatus(
      engineName,
      'SUCCEEDED',
      { from: new Date(T0 + 3000).toISOString(), to: new Date(T0 + 3000).toISOString() },
      10,
    );
    const failedRecord = failed.records[0];
    if (failedRecord === undefined) throw new Error('the FAILED execution is not listed');
    const full = await store.get(failedRecord);
    if (full === undefined) throw new Error('the FAILED execution cannot be read');
    await store.reopen(full, { status: 'WAITING', dueAt: T0 + 9000, now: T0 + 9000 });
    const afterRedrive = await store.listPage({ ...base, status: 'FAILED' });
    const waiting = await store.countStatus(engineName, 'WAITING', {}, 10);

    // Assess
    const keys = (page: { records: readonly ExecutionRecord[] }): string[] =>
      page.records.map((r) => r.dedupKey);
    expect(keys(first)).toEqual(['order-k4', 'order-k3']);
    expect(keys(second)).toEqual(['order-k2', 'order-k1']);
    expect(keys(third)).toEqual(['order-k0']);
    expect(third.readTo).toBeUndefined();
    expect(keys(failed)).toEqual(['order-k1']);
    expect(failedRecord.status).toBe('FAILED');
    expect(failedRecord.checkpoint).toBeUndefined();
    expect(keys(byText)).toEqual(['order-k3']);
    expect(keys(byVersion)).toEqual(['order-k4']);
    expect(keys(bounded)).toEqual([]);
    expect(bounded.readTo).toBeDefined();
    expect(succeeded).toEqual({ count: 3, capped: false });
    expect(capped).toEqual({ count: 2, capped: true });
    expect(window).toEqual({ count: 1, capped: false });
    expect(keys(afterRedrive)).toEqual([]);
    expect(waiting).toEqual({ count: 1, capped: false });
  });

  it('keeps a 500 KiB checkpoint by reference: the pre-check leaves it unread, a resume reads it back', async () => {
    const store = make();
    const claim = await store.claim(request());
    const state = largestState('resume');
    expect(state.length).toBeGreaterThan(500 * KiB);
    const saved = await store.checkpoint(claim.record, { checkpoint: state, leaseMs: 30_000, now: T0 + 5 });
    expect(saved.checkpoint).toBe(state);
    const peeked = (await store.peek([request()], T0 + 40_000)).get(executionMapKey(request()));
    expect(peeked?.status).toBe('RUNNING');
    expect(peeked?.checkpoint).toBeUndefined();
    expect(peeked?.refs?.checkpoint?.bytes).toBe(Buffer.byteLength(state));
    const due = await store.listDue(T0 + 40_000, 1000);
    expect(due.find((r) => r.executionId === claim.record.executionId)?.refs?.checkpoint).toBeDefined();
    const takeover = await store.claim(request({ owner: 'invocation-b', now: T0 + 40_000 }), peeked);
    expect(takeover.kind).toBe('resumed');
    expect(takeover.record.checkpoint).toBe(state);
    expect((await store.get(request()))?.checkpoint).toBe(state);
  });

  it('records a 256 KiB input and a 256 KiB output and reads them back as they were written', async () => {
    const store = make();
    const claim = await store.claim(request());
    const input = jsonText(256 * KiB, 'input');
    const output = jsonText(256 * KiB, 'output');
    const history = 'H'.repeat(HISTORY_MAX_BYTES);
    const done = await store.complete(claim.record, {
      status: 'SUCCEEDED',
      checkpoint: null,
      input,
      output,
      history,
      now: T0 + 10,
      retentionSeconds: 60,
    });
    const expected = { ...valuesOf(undefined), status: 'SUCCEEDED', input, output, history };
    expect(valuesOf(done)).toEqual(expected);
    expect(valuesOf(await store.get(request()))).toEqual(expected);
    expect(valuesOf(await store.find(claim.record.executionId, T0))).toEqual(expected);
    const duplicate = await store.claim(request({ now: T0 + 20 }));
    expect(duplicate.kind).toBe('duplicate');
  });

  it('keeps the large final state, input and cause of a failed execution, and reopens it with them', async () => {
    const store = make();
    const claim = await store.claim(request());
    const final = jsonText(300 * KiB, 'final');
    const input = jsonText(100 * KiB, 'kept-input');
    const cause = jsonText(100 * KiB, 'cause');
    await store.complete(claim.record, {
      status: 'FAILED',
      checkpoint: final,
      input,
      error: 'States.TaskFailed',
      cause,
      now: T0 + 10,
      retentionSeconds: 60,
    });
    const failed = await store.get(request());
    expect(valuesOf(failed)).toMatchObject({ checkpoint: final, input, cause, error: 'States.TaskFailed' });
    const redriven = jsonText(310 * KiB, 'redriven');
    await store.reopen(failed as ExecutionRecord, {
      checkpoint: redriven,
      status: 'WAITING',
      dueAt: T0 + 20,
      now: T0 + 20,
    });
    const reopened = await store.get(request());
    expect(valuesOf(reopened)).toEqual({
      ...valuesOf(undefined),
      status: 'WAITING',
      checkpoint: redriven,
      input,
    });
    // Values of a live execution are kept with the live ones, which do not expire with finished executions.
    expect(reopened?.refs?.input?.uri).toMatch(/\/payloads\/live\/[0-9a-f]{64}$/);
    expect(reopened?.refs?.checkpoint?.uri).toMatch(/\/payloads\/live\/[0-9a-f]{64}$/);
  });

  it('keeps an item small when many values just under 64 KiB meet, and reads them all back', async () => {
    const store = make();
    const claim = await store.claim(request());
    const near = (tag: string): string => jsonText(60 * KiB, tag);
    const saved = await store.checkpoint(claim.record, {
      checkpoint: near('state'),
      history: near('history'),
      leaseMs: 30_000,
      now: T0 + 1,
    });
    const completion = {
      checkpoint: near('final'),
      input: near('input'),
      output: near('output'),
      error: near('error'),
      cause: near('cause'),
    };
    await store.complete(saved, { status: 'FAILED', ...completion, now: T0 + 2, retentionSeconds: 60 });
    const read = await store.get(request());
    expect(valuesOf(read)).toEqual({ status: 'FAILED', history: near('history'), ...completion });
    // Six values of 60 KiB would make a 360 KiB item: all but two of them are kept by reference.
    expect(Object.keys(read?.refs ?? {}).length).toBeGreaterThanOrEqual(4);
  });

  it('records express results with large values in bulk', async () => {
    const store = make();
    const key = { engine: engineName, dedupKey: 'express#1' };
    const cause = jsonText(200 * KiB, 'express-cause');
    await store.completeMany([
      {
        record: {
          ...key,
          executionId: executionIdFor(key),
          version: 1,
          mode: 'express' as const,
          status: 'RUNNING' as const,
          startedAt: new Date(T0).toISOString(),
          updatedAt: new Date(T0).toISOString(),
        },
        completion: { status: 'FAILED', error: 'E', cause, now: T0, retentionSeconds: 60 },
      },
    ]);
    expect((await store.peek([key], T0 + 1)).get(executionMapKey(key))?.status).toBe('FAILED');
    expect((await store.get(key))?.cause).toBe(cause);
  });

  it('holds the worst case of the documented limits: 256 KiB input and result, a full history, 16 long callback keys', async () => {
    const store = make();
    const claim = await store.claim(request({ dedupKey: `shop#${'k'.repeat(880)}` }));
    const state = largestState('worst');
    const history = 'H'.repeat(HISTORY_MAX_BYTES);
    let record = claim.record;
    const callbackKeys = Array.from(
      { length: APPLIED_CALLBACKS_KEPT },
      (_, i) => `${i}#${'c'.repeat(2 * KiB)}`,
    );
    for (const key of callbackKeys) {
      record = await store.checkpoint(record, {
        checkpoint: state,
        history,
        leaseMs: 30_000,
        now: T0 + 1,
        appliedCallback: key,
      });
    }
    const cause = jsonText(256 * KiB, 'worst-cause');
    await store.complete(record, {
      status: 'FAILED',
      checkpoint: state,
      history,
      input: jsonText(256 * KiB, 'worst-input'),
      error: 'States.TaskFailed',
      cause,
      now: T0 + 2,
      retentionSeconds: 60,
    });
    const read = await store.get(request({ dedupKey: `shop#${'k'.repeat(880)}` }));
    expect(valuesOf(read)).toMatchObject({ status: 'FAILED', checkpoint: state, history, cause });
    expect(callbackKeys.every((key) => hasAppliedCallback(read as ExecutionRecord, key))).toBe(true);
  });
}
