/**
 * Nested executions on the local stack, through the router in a process of its own: a parent engine
 * starts a child engine with `states:startExecution.sync:2`, the router is killed with SIGKILL while the
 * child runs (after its start record went on the stream, before the child ended), and a new router
 * process finishes both; the parent completes exactly once with the child's output. Then `.sync`,
 * request/response and a failing child that the parent catches, in one parent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { runRouterCli } from '../../support/cli.ts';
import { stepArn } from '../router/graphs.ts';
import { type CrashStack, type RouterChild, startCrashStack, statusCounts } from './crashStack.ts';

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:';

/** The child doubles `$.n` in a step, or fails when `$.fail` is set. */
const CHILD = JSON.stringify({
  StartAt: 'Check',
  States: {
    Check: {
      Type: 'Choice',
      Choices: [{ Variable: '$.fail', IsPresent: true, Next: 'Boom' }],
      Default: 'Double',
    },
    Double: { Type: 'Task', Resource: stepArn('double'), End: true },
    Boom: { Type: 'Fail', Error: 'ChildBroke', Cause: 'the child was told to fail' },
  },
});

/** Starts the child with `.sync:2`, then records what it got in a step of its own. */
const PARENT = JSON.stringify({
  StartAt: 'RunChild',
  States: {
    RunChild: {
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: `${MACHINE}child`, 'Name.$': '$.name', 'Input.$': '$.payload' },
      ResultSelector: { 'output.$': '$.Output', 'status.$': '$.Status', 'arn.$': '$.ExecutionArn' },
      ResultPath: '$.child',
      Next: 'After',
    },
    After: { Type: 'Task', Resource: stepArn('after'), ResultPath: '$.after', End: true },
  },
});

/** Request/response, `.sync`, and a failing `.sync:2` child caught by the parent. */
const FAMILY = JSON.stringify({
  StartAt: 'Fire',
  States: {
    Fire: {
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: { StateMachineArn: 'child', Name: 'fire-and-forget', Input: { n: 1 } },
      ResultPath: '$.fired',
      Next: 'Sync',
    },
    Sync: {
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution.sync',
      Parameters: { StateMachineArn: `${MACHINE}child:1`, Input: '{"n":5}' },
      ResultPath: '$.sync',
      Next: 'Failing',
    },
    Failing: {
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: `${MACHINE}child`, Name: 'breaks', Input: { fail: true } },
      Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: 'Done' }],
      ResultPath: '$.failing',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
});

/** Resolved when the child's step is first called; the step then holds its answer until released. */
let childRunning: () => void = () => {};
const childStarted = new Promise<void>((resolve) => {
  childRunning = resolve;
});
let release: () => void = () => {};
const released = new Promise<void>((resolve) => {
  release = resolve;
});

let crash: CrashStack;
let router: RouterChild | undefined;

beforeAll(async () => {
  crash = await startCrashStack(
    {
      double: async (payload) => {
        childRunning();
        await released;
        return { n: ((payload as { n?: number }).n ?? 0) * 2 };
      },
      after: (payload) => ({ saw: payload }),
    },
    {
      // A dead owner's lease runs out quickly, so the new router takes the child over soon.
      ROUTER_LEASE_MS: '1500',
      ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:*,arn:aws:states:::states:*',
    },
  );
  await crash.publish('child', CHILD);
  await crash.publish('parent', PARENT);
  await crash.publish('family', FAMILY);
}, 120_000);

afterAll(async () => {
  await router?.kill();
  await crash?.stop();
});

async function settled(engine: string, dedupKey: string, timeoutMs = 90_000): Promise<ExecutionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await crash.executions.get({ engine, dedupKey });
    if (record?.status === 'SUCCEEDED' || record?.status === 'FAILED') return record;
    if (Date.now() > deadline) throw new Error(`${engine} ${dedupKey} did not finish: ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function event(engine: string, id: string, data: unknown) {
  return {
    partitionKey: id,
    data: { specversion: '1.0', id, source: 'nested/test', type: 'order.created', engine, data },
  };
}

describe('nested executions through the stream', () => {
  it('a .sync:2 parent survives a SIGKILL while its child runs and completes once with the child output', async () => {
    // Prepare
    router = await crash.startRouter();
    // Act
    await crash.put([event('parent', 'p1', { name: 'double-21', payload: { n: 21 } })]);
    await childStarted;
    await router.kill();
    release();
    router = await crash.startRouter();
    const parent = await settled('parent', 'nested/test#p1');
    const child = await settled('child', 'router/states.startExecution#double-21');
    // Assess
    expect(parent.status).toBe('SUCCEEDED');
    expect(JSON.parse(parent.output ?? 'null').child).toEqual({
      output: { n: 42 },
      status: 'SUCCEEDED',
      arn: 'arn:aws:states:us-east-1:000000000000:execution:child:double-21',
    });
    expect(child.parent?.executionId).toBe(parent.executionId);
    expect(parent.children).toEqual([child.executionId]);
    const afters = [...crash.calls].filter(([key]) => key.startsWith('after '));
    expect(afters.map(([, calls]) => calls)).toEqual([1]);
    const effects = await crash.effects();
    expect(effects.filter((e) => e.key.startsWith('double '))).toHaveLength(1);
    expect(await statusCounts(crash, 'child')).toEqual({ SUCCEEDED: 1 });
    expect(await crash.quarantined()).toEqual([]);
    const show = await runRouterCli(['executions', 'show', child.executionId], { env: crash.env });
    expect(JSON.parse(show.stdout)).toMatchObject({
      parent: { executionId: parent.executionId, shape: 'sync:2', waits: true },
    });
    const trace = await runRouterCli(['executions', 'trace', parent.executionId], { env: crash.env });
    expect(trace.stdout).toContain(`child: ${child.executionId}`);
  }, 240_000);

  it('request/response, .sync on a version, and a failing child caught by the parent', async () => {
    // Prepare
    router ??= await crash.startRouter();
    // Act
    await crash.put([event('family', 'f1', {})]);
    const family = await settled('family', 'nested/test#f1');
    const fired = await settled('child', 'router/states.startExecution#fire-and-forget');
    // Assess
    expect(family.status).toBe('SUCCEEDED');
    const output = JSON.parse(family.output ?? 'null');
    expect(output.fired).toMatchObject({
      ExecutionArn: 'arn:aws:states:us-east-1:000000000000:execution:child:fire-and-forget',
      StartDate: expect.any(Number),
    });
    expect(JSON.parse(fired.output ?? 'null')).toEqual({ n: 2 });
    expect(output.sync).toMatchObject({
      Input: '{"n":5}',
      Output: '{"n":10}',
      Status: 'SUCCEEDED',
      StateMachineArn: `${MACHINE}child:1`,
    });
    expect(output.caught.Error).toBe('States.TaskFailed');
    expect(JSON.parse(output.caught.Cause)).toMatchObject({
      Error: 'ChildBroke',
      Cause: 'the child was told to fail',
      Status: 'FAILED',
      Name: 'breaks',
    });
    expect(await crash.quarantined()).toEqual([]);
  }, 240_000);
});
