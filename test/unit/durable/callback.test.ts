import { describe, expect, it } from 'vitest';
import { readTaskTokenLocator } from '../../../router/asl/index.ts';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import { parseTaskToken, taskToken } from '../../../router/asl/interpreter/random.ts';
import type { JsonValue } from '../../../router/asl/types.ts';
import { executionIdFor } from '../../../router/executions/ExecutionStore.ts';
import { decodeHistory } from '../../../router/executions/history.ts';
import { locateTask } from '../../../router/pipeline/callback.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';
import { TaskTokenKeyring } from '../../../router/security/index.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter } from '../../support/router.ts';

const SECRET = 'unit-secret';
const T0 = Date.parse('2026-03-01T00:00:00Z');

/** Approve waits for a token (handed to `approver`), then Ship runs; a heartbeat timeout is caught. */
function approvalGraph(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: 'approver',
          Payload: { 'token.$': '$$.Task.Token', 'order.$': '$.order' },
        },
        ResultPath: '$.approval',
        Next: 'Ship',
        ...extra,
      },
      Ship: {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:ship',
        ResultPath: '$.shipped',
        End: true,
      },
    },
  });
}

function setup(clock = new VirtualClock(T0)) {
  const tokens: string[] = [];
  let shipped = 0;
  const r = inMemoryRouter(
    {
      approver: (payload: JsonValue) => {
        const token = (payload as { token: string }).token;
        tokens.push(token);
        return null;
      },
      ship: () => {
        shipped += 1;
        return { ok: true };
      },
    },
    { taskTokenSecret: SECRET },
    clock,
  );
  return { r, tokens, clock, shipped: () => shipped };
}

function message(seq: number) {
  return kinesisEventFactory([
    kinesisRecordFactory(cloudEventFactory({ engine: 'orders', data: { order: seq } }, seq), {
      partitionKey: `order-${seq}`,
    }),
  ]);
}

function callback(type: string, data: Record<string, JsonValue>, seq: number) {
  return kinesisEventFactory([
    kinesisRecordFactory(
      cloudEventFactory({ type: `router.task.${type}`, source: 'test/approver', data }, 10_000 + seq),
      { partitionKey: `cb-${seq}` },
    ),
  ]);
}

async function entries(list: AsyncIterable<QuarantineEntry>): Promise<QuarantineEntry[]> {
  const out: QuarantineEntry[] = [];
  for await (const entry of list) out.push(entry);
  return out;
}

describe('task tokens', () => {
  it('carry a signed locator naming the execution, its start and the waiting task', () => {
    // Prepare
    const secret = new TextEncoder().encode(SECRET);
    // Act
    const token = taskToken(secret, 'orders:abc', 'Approve#1.0', T0);
    // Assess
    expect(parseTaskToken(secret, token)).toEqual({
      executionId: 'orders:abc',
      startTime: T0,
      invokeId: 'Approve#1.0',
    });
    expect(parseTaskToken(new TextEncoder().encode('other'), token)).toHaveProperty('invalid');
    expect(
      parseTaskToken(
        secret,
        token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      ),
    ).toHaveProperty('invalid');
  });
});

describe('locating a task from its token', () => {
  it('checks the mac when it has the secret, and relies on the full-token comparison without it', async () => {
    // Prepare
    const { r, tokens } = setup();
    await r.publish(approvalGraph(), { engine: 'orders' });
    await r.router.processBatch(message(20));
    const real = tokens[0] ?? '';
    const locator = parseTaskToken(new TextEncoder().encode(SECRET), real);
    if ('invalid' in locator) throw new Error(locator.invalid);
    const guessed = taskToken(
      new TextEncoder().encode('guess'),
      locator.executionId,
      locator.invokeId,
      locator.startTime,
    );
    const verify = new TaskTokenKeyring({ current: SECRET, previous: [] }).verify;
    // Act
    const withSecret = await locateTask(guessed, r.executions, verify, T0);
    const withoutSecret = await locateTask(guessed, r.executions, undefined, T0);
    const realWithout = await locateTask(real, r.executions, undefined, T0);
    // Assess
    expect(withSecret).toMatchObject({ kind: 'rejected', reason: 'unknown-task-token' });
    expect(withoutSecret).toMatchObject({ kind: 'rejected', reason: 'task-not-waiting' });
    expect(realWithout).toMatchObject({ kind: 'waiting', invokeId: 'Approve#1.0' });
    expect(readTaskTokenLocator('a.b.c')).toHaveProperty('invalid');
  });
});

describe('callbacks on the router', () => {
  it('parks at a callback task, resumes on task success and records the history', async () => {
    // Prepare
    const { r, tokens, shipped } = setup();
    await r.publish(approvalGraph(), { engine: 'orders' });
    // Act
    const first = await r.router.processBatch(message(1));
    const token = tokens[0] ?? '';
    const answered = await r.router.processBatch(
      callback('success', { taskToken: token, output: { by: 'ann' } }, 1),
    );
    // Assess
    expect(first.waiting).toBe(1);
    expect(answered.succeeded).toBe(1);
    expect(shipped()).toBe(1);
    const record = [...r.executions.records.values()][0];
    expect(record?.status).toBe('SUCCEEDED');
    expect(JSON.parse(record?.output ?? 'null')).toEqual({
      order: 1,
      approval: { by: 'ann' },
      shipped: { ok: true },
    });
    const types = decodeHistory(record?.history).map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('parks an express execution at a callback task with the token its step was given', async () => {
    // Prepare: the approver acts once per idempotency key, as a step should, so only the first token
    // it is handed is ever answered.
    const answeredKeys = new Set<string>();
    const tokens: string[] = [];
    let approverCalls = 0;
    const r = inMemoryRouter(
      {
        approver: (payload: JsonValue, effect) => {
          approverCalls += 1;
          if (answeredKeys.has(effect.idempotencyKey)) return null;
          answeredKeys.add(effect.idempotencyKey);
          tokens.push((payload as { token: string }).token);
          return null;
        },
        ship: () => ({ ok: true }),
      },
      { taskTokenSecret: SECRET },
      new VirtualClock(T0),
    );
    const graph = JSON.parse(approvalGraph()) as Record<string, unknown>;
    await r.publish(JSON.stringify({ ...graph, Mode: 'express' }), { engine: 'orders' });
    // Act
    const first = await r.router.processBatch(message(1));
    const answered = await r.router.processBatch(
      callback('success', { taskToken: tokens[0] ?? '', output: { by: 'ann' } }, 1),
    );
    // Assess
    expect(first.waiting).toBe(1);
    expect(approverCalls).toBe(1);
    expect(answered).toMatchObject({ succeeded: 1, quarantined: 0 });
    const record = [...r.executions.records.values()][0];
    expect(record?.status).toBe('SUCCEEDED');
    expect(JSON.parse(record?.output ?? 'null')).toMatchObject({ approval: { by: 'ann' } });
  });

  it('fails the task with the error and cause of a task failure', async () => {
    // Prepare
    const { r, tokens, shipped } = setup();
    await r.publish(approvalGraph(), { engine: 'orders' });
    await r.router.processBatch(message(2));
    // Act
    const result = await r.router.processBatch(
      callback('failure', { taskToken: tokens[0] ?? '', error: 'Rejected', cause: 'out of stock' }, 2),
    );
    // Assess
    expect(result.failed).toBe(1);
    expect(shipped()).toBe(0);
    const record = [...r.executions.records.values()][0];
    expect([record?.status, record?.error, record?.cause]).toEqual(['FAILED', 'Rejected', 'out of stock']);
  });

  it('acknowledges a redelivered callback as a duplicate, and still quarantines a different late answer', async () => {
    // Prepare
    const { r, tokens, shipped } = setup();
    await r.publish(approvalGraph(), { engine: 'orders' });
    await r.router.processBatch(message(8));
    const answer = callback('success', { taskToken: tokens[0] ?? '', output: { by: 'ann' } }, 8);
    await r.router.processBatch(answer);
    // Act
    const redelivered = await r.router.processBatch(answer);
    const late = await r.router.processBatch(
      callback('success', { taskToken: tokens[0] ?? '', output: { by: 'bob' } }, 9),
    );
    // Assess
    expect(redelivered).toMatchObject({ duplicates: 1, quarantined: 0, succeeded: 0 });
    expect(late).toMatchObject({ duplicates: 0, quarantined: 1 });
    expect(shipped()).toBe(1);
    expect((await entries(r.quarantine.list())).map((e) => e.reason)).toEqual(['task-not-waiting']);
    const record = [...r.executions.records.values()][0];
    expect(JSON.parse(record?.output ?? 'null')).toMatchObject({ approval: { by: 'ann' } });
  });

  it('rejects a forged token and an answered one, changing nothing', async () => {
    // Prepare
    const { r, tokens } = setup();
    await r.publish(approvalGraph(), { engine: 'orders' });
    await r.router.processBatch(message(3));
    const token = tokens[0] ?? '';
    await r.router.processBatch(callback('success', { taskToken: token, output: 1 }, 3));
    const before = JSON.stringify([...r.executions.records.values()]);
    const forged = taskToken(
      new TextEncoder().encode('guess'),
      executionIdFor({ engine: 'orders', dedupKey: 'x' }),
      'Approve#1.0',
      T0,
    );
    // Act
    const again = await r.router.processBatch(callback('success', { taskToken: token, output: 2 }, 4));
    const fake = await r.router.processBatch(callback('failure', { taskToken: forged }, 5));
    const garbage = await r.router.processBatch(callback('heartbeat', { taskToken: 'not-a-token' }, 6));
    // Assess
    expect([again.quarantined, fake.quarantined, garbage.quarantined]).toEqual([1, 1, 1]);
    expect(JSON.stringify([...r.executions.records.values()])).toBe(before);
    const reasons = (await entries(r.quarantine.list())).map((e) => [e.reason, e.message]);
    expect(reasons.map(([reason]) => reason).sort()).toEqual([
      'task-not-waiting',
      'unknown-task-token',
      'unknown-task-token',
    ]);
    expect(reasons.find(([reason]) => reason === 'task-not-waiting')?.[1]).toContain('is SUCCEEDED');
  });

  it('times a silent task out with States.HeartbeatTimeout through the sweep, and heartbeats keep it alive', async () => {
    // Prepare
    const clock = new VirtualClock(T0, { auto: false });
    const { r, tokens } = setup(clock);
    await r.publish(approvalGraph({ HeartbeatSeconds: 60 }), { engine: 'orders' });
    await r.router.processBatch(message(7));
    const token = tokens[0] ?? '';
    // Act
    clock.advance(45_000);
    await r.router.processBatch(callback('heartbeat', { taskToken: token }, 7));
    clock.advance(45_000);
    const early = await r.router.sweep();
    clock.advance(20_000);
    const late = await r.router.sweep();
    // Assess
    expect(early.failed).toBe(0);
    expect(late.failed).toBe(1);
    const record = [...r.executions.records.values()][0];
    expect(record?.status).toBe('FAILED');
    expect(record?.error).toBe('States.HeartbeatTimeout');
  });

  it('quarantines a callback whose execution cannot be resumed, as unprocessable', async () => {
    // Prepare
    const { r, tokens } = setup();
    await r.publish(approvalGraph(), { engine: 'orders' });
    await r.router.processBatch(message(9));
    const record = [...r.executions.records.values()][0];
    if (record === undefined) throw new Error('no execution recorded');
    r.executions.records.set(`${record.engine}#${record.dedupKey}`, { ...record, checkpoint: '{broken' });
    // Act
    const result = await r.router.processBatch(
      callback('success', { taskToken: tokens[0] ?? '', output: 1 }, 9),
    );
    // Assess
    expect([result.quarantined, result.failures.length]).toEqual([1, 0]);
    const [entry] = await entries(r.quarantine.list());
    expect(entry?.reason).toBe('unprocessable');
    expect(entry?.message).toMatch(/task token .*JSON/);
  });

  it('lets the sweep take over a resumed execution whose owner died, once its lease ran out', async () => {
    // Prepare
    const clock = new VirtualClock(T0, { auto: false });
    const { r } = setup(clock);
    await r.publish(approvalGraph({ HeartbeatSeconds: 30 }), { engine: 'orders' });
    await r.router.processBatch(message(12));
    const parked = [...r.executions.records.values()][0];
    if (parked === undefined) throw new Error('no execution recorded');
    await r.executions.claim(
      { ...parked, owner: 'dead', leaseMs: 60_000, now: clock.now(), wake: true },
      parked,
    );
    // Act
    clock.advance(45_000);
    const whileLeased = await r.router.sweep();
    clock.advance(16_000);
    const afterLease = await r.router.sweep();
    // Assess
    expect(whileLeased.failed).toBe(0);
    expect(afterLease.failed).toBe(1);
    expect([...r.executions.records.values()][0]?.error).toBe('States.HeartbeatTimeout');
  });

  it('lets a callback take over an execution whose owner died, once its lease ran out', async () => {
    // Prepare
    const clock = new VirtualClock(T0, { auto: false });
    const { r, tokens, shipped } = setup(clock);
    await r.publish(approvalGraph(), { engine: 'orders' });
    await r.router.processBatch(message(11));
    const parked = [...r.executions.records.values()][0];
    if (parked === undefined) throw new Error('no execution recorded');
    // An owner takes it over (as a callback would) and dies before writing anything.
    const claim = await r.executions.claim(
      { ...parked, owner: 'dead', leaseMs: 60_000, now: clock.now(), wake: true },
      parked,
    );
    const whileLeased = await r.router.sweep();
    clock.advance(61_000);
    // Act
    await r.router.processBatch(callback('success', { taskToken: tokens[0] ?? '', output: 'late' }, 11));
    // Assess
    expect(claim.kind).toBe('resumed');
    expect(whileLeased.succeeded + whileLeased.waiting).toBe(0);
    expect(shipped()).toBe(1);
    expect([...r.executions.records.values()][0]?.status).toBe('SUCCEEDED');
    expect(await r.executions.listDue(clock.now(), 10)).toEqual([]);
  });

  it('asks for a redelivery while the execution is still running elsewhere', async () => {
    // Prepare
    const { r, tokens } = setup();
    await r.publish(approvalGraph(), { engine: 'orders' });
    await r.router.processBatch(message(8));
    const record = [...r.executions.records.values()][0];
    if (record === undefined) throw new Error('no execution recorded');
    r.executions.records.set(`${record.engine}#${record.dedupKey}`, {
      ...record,
      status: 'RUNNING',
      leaseOwner: 'someone-else',
      leaseExpiresAt: T0 + 60_000,
    });
    // Act
    const result = await r.router.processBatch(
      callback('success', { taskToken: tokens[0] ?? '', output: 1 }, 8),
    );
    // Assess
    expect(result.failures).toHaveLength(1);
    expect(result.quarantined).toBe(0);
  });
});
