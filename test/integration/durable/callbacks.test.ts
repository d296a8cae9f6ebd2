/**
 * Durable callbacks, history and redrive end to end: the router behind the event source mapping on the
 * embedded stack, steps on the local Lambda host, and the `router` CLI (in-process through `runCli`, and
 * once as a real child process that completes a task token from outside).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { taskToken } from '../../../router/asl/interpreter/random.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { executionIdFor } from '../../../router/executions/ExecutionStore.ts';
import { StepLog } from '../../fixtures/steps/recorder.ts';
import { runRouterCli } from '../../support/cli.ts';
import { cloudEvent, stepArn } from '../router/graphs.ts';
import { type RouterStack, useRouterStack } from '../support/routerStack.ts';

/** How long the outside worker waits before it answers: ten seconds, so the execution really parks and the shard moves on. */
const WORKER_DELAY_MS = 10_000;

const log = new StepLog();
let failCharge = true;
const tokens: string[] = [];
const runtime = useRouterStack({
  functions: {
    approver: log.step('approver', (payload) => {
      const { token, mode } = payload as { token: string; mode: string };
      tokens.push(token);
      if (mode === 'worker') startWorker(token);
      return null;
    }),
    ship: log.step('ship'),
    load: log.step('load'),
    charge: log.step('charge', () => {
      if (failCharge) throw Object.assign(new Error('card declined'), { name: 'PaymentError' });
      return 'charged';
    }),
  },
  // Every wait parks durably, so timers go through the due index and the sweep.
  settings: { ROUTER_MAX_INPROCESS_WAIT_MS: '0' },
});

let workerExit: Promise<{ code: number | null; out: string; err: string }> | undefined;

/** The outside process: waits, then runs `router task success TOKEN` as an operator would. */
function startWorker(token: string): void {
  const rt = runtime();
  workerExit = new Promise((resolve) => {
    setTimeout(() => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'router/cli/main.ts',
          'task',
          'success',
          token,
          '--output',
          '{"approvedBy":"worker"}',
        ],
        { env: { ...process.env, ...rt.env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      child.on('close', (code) => resolve({ code, out, err }));
    }, WORKER_DELAY_MS);
  });
}

function approvalGraph(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token', 'mode.$': '$.mode' } },
        ResultPath: '$.approval',
        Next: 'Ship',
        ...extra,
      },
      Ship: { Type: 'Task', Resource: stepArn('ship'), ResultPath: '$.shipped', End: true },
    },
  });
}

async function cli(rt: RouterStack, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const result = await runRouterCli(argv, { env: rt.env });
  return { code: result.code, out: result.stdout, err: result.stderr };
}

async function settled(
  rt: RouterStack,
  engine: string,
  id: string,
  timeoutMs = 20_000,
): Promise<ExecutionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await rt.execution(engine, `shop/${engine}#${id}`);
    if (record !== undefined && (record.status === 'SUCCEEDED' || record.status === 'FAILED')) return record;
    if (Date.now() > deadline) throw new Error(`execution ${engine}/${id} did not finish: ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitingFor(rt: RouterStack, engine: string, id: string): Promise<ExecutionRecord> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const record = await rt.execution(engine, `shop/${engine}#${id}`);
    if (record?.status === 'WAITING') return record;
    if (Date.now() > deadline) throw new Error(`execution ${engine}/${id} never parked: ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('callback tasks', () => {
  it(
    'parks on a task token that an outside process completes with `router task success`',
    async () => {
      // Prepare
      const rt = runtime();
      await rt.publish({ source: approvalGraph(), file: 'approvals.hjson', engine: 'approvals' });
      // Act
      await rt.put([{ partitionKey: 'a1', data: cloudEvent('approvals', 'a1', { mode: 'worker' }) }]);
      const parked = await waitingFor(rt, 'approvals', 'a1');
      const done = await settled(rt, 'approvals', 'a1', WORKER_DELAY_MS + 40_000);
      const worker = await workerExit;
      // Assess
      expect(parked.dueAt).toBeUndefined();
      expect(worker?.code).toBe(0);
      expect(worker?.out).toContain('task success');
      expect(done.status).toBe('SUCCEEDED');
      expect(JSON.parse(done.output ?? 'null')).toMatchObject({
        approval: { approvedBy: 'worker' },
        shipped: { by: 'ship' },
      });
      expect(Date.parse(done.updatedAt) - Date.parse(done.startedAt)).toBeGreaterThanOrEqual(WORKER_DELAY_MS);
      const show = await cli(rt, 'executions', 'show', done.executionId);
      expect(show.code).toBe(0);
      expect(JSON.parse(show.out)).toMatchObject({
        status: 'SUCCEEDED',
        engine: 'approvals',
        input: { mode: 'worker' },
      });
      const trace = await cli(rt, 'executions', 'trace', done.executionId);
      expect(trace.out).toMatch(/Approve \(Task\) {2}succeeded \[callback\]/);
      expect(trace.out).toMatch(/Ship \(Task\) {2}succeeded/);
    },
    WORKER_DELAY_MS + 60_000,
  );

  it('rejects unknown and finished tokens from the CLI and from the stream, changing nothing', async () => {
    // Prepare
    const rt = runtime();
    const finished = tokens[0] ?? '';
    const before = await settled(rt, 'approvals', 'a1');
    const forged = taskToken(
      new TextEncoder().encode('not-the-secret'),
      executionIdFor({ engine: 'approvals', dedupKey: 'shop/approvals#never-sent' }),
      'Approve#1.0',
      Date.parse(before.startedAt),
    );
    const guessed = taskToken(
      new TextEncoder().encode('not-the-secret'),
      before.executionId,
      'Approve#1.0',
      Date.parse(before.startedAt),
    );
    // Act
    const late = await cli(rt, 'task', 'success', finished, '--output', '1');
    const fake = await cli(rt, 'task', 'failure', forged, '--error', 'X');
    const wrongMac = await cli(rt, 'task', 'success', guessed);
    await rt.put([
      {
        partitionKey: 'cb',
        data: {
          specversion: '1.0',
          id: 'late-callback',
          source: 'test/worker',
          type: 'router.task.success',
          data: { taskToken: finished, output: 2 },
        },
      },
    ]);
    await rt.waitForIdle();
    // Assess
    expect(late.code).toBe(1);
    expect(late.err).toContain('task-not-waiting');
    expect(fake.code).toBe(1);
    expect(fake.err).toContain('unknown-task-token');
    expect(wrongMac.code).toBe(1);
    expect(wrongMac.err).toContain('task-not-waiting');
    const quarantined = await rt.quarantined();
    expect(quarantined.map((q) => q.reason)).toEqual(['task-not-waiting']);
    const after = await rt.execution('approvals', 'shop/approvals#a1');
    expect(after?.rev).toBe(before.rev);
    expect(after?.output).toBe(before.output);
  }, 30_000);

  it('fails a task whose worker stops heartbeating with States.HeartbeatTimeout, fired by the sweep', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({
      source: approvalGraph({ HeartbeatSeconds: 1 }),
      file: 'beats.hjson',
      engine: 'beats',
    });
    // Act
    await rt.put([{ partitionKey: 'h1', data: cloudEvent('beats', 'h1', { mode: 'silent' }) }]);
    const parked = await waitingFor(rt, 'beats', 'h1');
    const done = await settled(rt, 'beats', 'h1');
    // Assess
    expect(parked.dueAt).toBeGreaterThan(Date.parse(parked.startedAt));
    expect(parked.dueAt).toBeLessThanOrEqual(Date.parse(parked.startedAt) + 5_000);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('States.HeartbeatTimeout');
    expect(log.of('ship').filter((c) => JSON.stringify(c.payload).includes('silent'))).toHaveLength(0);
  }, 30_000);
});

describe('redrive', () => {
  it('restarts a failed execution from the failed state only', async () => {
    // Prepare
    const rt = runtime();
    const graph = JSON.stringify({
      StartAt: 'Load',
      States: {
        Load: { Type: 'Task', Resource: stepArn('load'), ResultPath: '$.loaded', Next: 'Charge' },
        Charge: { Type: 'Task', Resource: stepArn('charge'), ResultPath: '$.charged', Next: 'Ship' },
        Ship: { Type: 'Task', Resource: stepArn('ship'), ResultPath: '$.shipped', End: true },
      },
    });
    await rt.publish({ source: graph, file: 'payments.hjson', engine: 'payments' });
    await rt.put([{ partitionKey: 'p1', data: cloudEvent('payments', 'p1', { amount: 5 }) }]);
    const failed = await settled(rt, 'payments', 'p1');
    const shipsBefore = log.of('ship').length;
    failCharge = false;
    // Act
    const listed = await cli(rt, 'executions', 'list', '--engine', 'payments', '--status', 'failed');
    const redriven = await cli(rt, 'redrive', failed.executionId);
    const done = await settled(rt, 'payments', 'p1');
    const again = await cli(rt, 'redrive', failed.executionId);
    // Assess
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('PaymentError');
    expect(listed.out).toContain(failed.executionId);
    expect(redriven.code).toBe(0);
    expect(redriven.out).toContain("from state 'Charge'");
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({ amount: 5, charged: 'charged' });
    expect([log.of('load').length, log.of('charge').length, log.of('ship').length - shipsBefore]).toEqual([
      1, 2, 1,
    ]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('only a FAILED execution can be redriven');
    const trace = await cli(rt, 'executions', 'trace', failed.executionId);
    expect(trace.out).toContain('redriven 1 time');
  }, 30_000);

  it('puts quarantined records back on the stream once', async () => {
    // Prepare
    const rt = runtime();
    const graph = JSON.stringify({
      StartAt: 'Ship',
      States: { Ship: { Type: 'Task', Resource: stepArn('ship'), ResultPath: '$.shipped', End: true } },
    });
    await rt.put([{ partitionKey: 'g1', data: cloudEvent('ghost', 'g1', { late: true }) }]);
    await rt.waitForIdle();
    const noRoute = (await rt.quarantined()).filter((q) => q.reason === 'no-route');
    await rt.publish({ source: graph, file: 'ghost.hjson', engine: 'ghost' });
    // Act: the late callback of an earlier test is quarantined too, and is rejected again once redriven
    const first = await cli(rt, 'redrive', '--quarantined');
    const done = await settled(rt, 'ghost', 'g1');
    await rt.waitForIdle();
    const second = await cli(rt, 'redrive', '--quarantined');
    // Assess
    expect(noRoute).toHaveLength(1);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/redrove 2 quarantined records .*0 already redriven/);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({ late: true });
    expect(second.out).toMatch(/redrove 1 quarantined records .*2 already redriven/);
  }, 30_000);
});
