/**
 * Nested executions in memory: a parent engine starts a child engine of the same router with
 * `states:startExecution` in every pattern; the child start and the child's answer travel as records the
 * router puts on its own stream (collected here and fed back as the next batches).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import type { JsonValue } from '../../../router/asl/types.ts';
import { executionSummary } from '../../../router/cli/commands/executions.ts';
import { DEFAULT_ALLOWLIST } from '../../../router/config.ts';
import { linkLines } from '../../../router/executions/historyTrace.ts';
import {
  CHILD_SOURCE,
  childIdentity,
  stateMachineTarget,
} from '../../../router/executions/NestedExecutions.ts';
import { describeExecution, settlementOf } from '../../../router/executions/parentLink.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { type InMemoryRouter, inMemoryRouter } from '../../support/router.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:';
const SETTINGS = {
  taskTokenSecret: 'nested-secret',
  allowlist: [...DEFAULT_ALLOWLIST, 'arn:aws:states:::states:*', 'arn:aws:states:::aws-sdk:sfn:*'],
};

function parentGraph(
  resource: string,
  parameters: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    StartAt: 'Child',
    States: {
      Child: {
        Type: 'Task',
        Resource: `arn:aws:states:::states:${resource}`,
        Parameters: parameters,
        ResultPath: '$.child',
        End: true,
        ...extra,
      },
      ...('Catch' in extra ? { Caught: { Type: 'Pass', End: true } } : {}),
    },
  });
}

/** The child doubles `$.n` in a Lambda step, or fails when `$.fail` is set. */
const CHILD_GRAPH = JSON.stringify({
  StartAt: 'Check',
  States: {
    Check: {
      Type: 'Choice',
      Choices: [{ Variable: '$.fail', IsPresent: true, Next: 'Boom' }],
      Default: 'Double',
    },
    Double: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:double', End: true },
    Boom: { Type: 'Fail', Error: 'ChildBroke', Cause: 'the child was told to fail' },
  },
});

async function setup(parent: string): Promise<{ r: InMemoryRouter; doubled: () => number }> {
  let doubled = 0;
  const r = inMemoryRouter(
    {
      double: (payload: JsonValue) => {
        doubled += 1;
        return { n: ((payload as { n: number }).n ?? 0) * 2 };
      },
    },
    SETTINGS,
    new VirtualClock(T0),
  );
  await r.publish(CHILD_GRAPH, { engine: 'child' });
  await r.publish(parent, { engine: 'parent' });
  return { r, doubled: () => doubled };
}

let seq = 0;
function parentMessage(data: JsonValue) {
  seq += 1;
  return kinesisEventFactory([
    kinesisRecordFactory(cloudEventFactory({ engine: 'parent', data }, seq), { partitionKey: `p-${seq}` }),
  ]);
}

/** Feeds the records the router put on its stream since `from` back to it, as one batch. */
async function deliver(r: InMemoryRouter, from: number): Promise<number> {
  const records = r.streamed.slice(from);
  if (records.length > 0) {
    await r.router.processBatch(
      kinesisEventFactory(records.map((x) => kinesisRecordFactory(x.data, { partitionKey: x.partitionKey }))),
    );
  }
  return from + records.length;
}

/** Runs the stream until it has nothing left to say. */
async function drain(r: InMemoryRouter): Promise<void> {
  let at = 0;
  for (let round = 0; round < 10; round += 1) {
    const next = await deliver(r, at);
    if (next === at) return;
    at = next;
  }
}

async function only(r: InMemoryRouter, engine: string) {
  const list = await r.executions.list({ engine, limit: 10 });
  expect(list).toHaveLength(1);
  const [record] = list;
  if (record === undefined) throw new Error(`no ${engine} execution`);
  return (await r.executions.find(record.executionId)) ?? record;
}

describe('states:startExecution of an engine of this runtime', () => {
  it('.sync:2 waits for the child and gets DescribeExecution with Input and Output as JSON', async () => {
    // Prepare
    const { r, doubled } = await setup(
      parentGraph('startExecution.sync:2', {
        StateMachineArn: `${ARN}child`,
        Name: 'double-21',
        'Input.$': '$.payload',
      }),
    );
    // Act
    await r.router.processBatch(parentMessage({ payload: { n: 21 } }));
    const waiting = await only(r, 'parent');
    await drain(r);
    // Assess
    expect(waiting.status).toBe('WAITING');
    const child = await only(r, 'child');
    const parent = await only(r, 'parent');
    expect(doubled()).toBe(1);
    expect(child.status).toBe('SUCCEEDED');
    expect(child.parent).toMatchObject({ executionId: parent.executionId, shape: 'sync:2' });
    expect(parent.children).toEqual([child.executionId]);
    expect(parent.status).toBe('SUCCEEDED');
    expect(JSON.parse(parent.output ?? 'null').child).toEqual({
      ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:child:double-21',
      Input: { n: 21 },
      InputDetails: { Included: true },
      Name: 'double-21',
      Output: { n: 42 },
      OutputDetails: { Included: true },
      StartDate: T0,
      StateMachineArn: `${ARN}child`,
      Status: 'SUCCEEDED',
      StopDate: T0,
    });
  });

  it('.sync gives Input and Output as JSON text', async () => {
    // Prepare
    const { r } = await setup(
      parentGraph('startExecution.sync', { StateMachineArn: 'child', Input: { n: 2 } }),
    );
    // Act
    await r.router.processBatch(parentMessage({}));
    await drain(r);
    // Assess
    const parent = await only(r, 'parent');
    const result = JSON.parse(parent.output ?? 'null').child;
    expect(result).toMatchObject({ Input: '{"n":2}', Output: '{"n":4}', Status: 'SUCCEEDED' });
    expect(result.Name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('request/response returns ExecutionArn and StartDate at once, and the child still runs', async () => {
    // Prepare
    const { r, doubled } = await setup(
      parentGraph('startExecution', { StateMachineArn: `${ARN}child`, Name: 'fire', Input: { n: 5 } }),
    );
    // Act
    await r.router.processBatch(parentMessage({}));
    const parent = await only(r, 'parent');
    await drain(r);
    // Assess
    expect(parent.status).toBe('SUCCEEDED');
    expect(JSON.parse(parent.output ?? 'null').child).toMatchObject({
      ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:child:fire',
      StartDate: T0,
    });
    const child = await only(r, 'child');
    expect(child.status).toBe('SUCCEEDED');
    expect(child.parent).toEqual(expect.objectContaining({ executionId: parent.executionId }));
    expect(child.parent?.token).toBeUndefined();
    expect(doubled()).toBe(1);
  });

  it('a failed child fails the task with States.TaskFailed, which the parent catches', async () => {
    // Prepare
    const { r } = await setup(
      parentGraph(
        'startExecution.sync:2',
        { StateMachineArn: `${ARN}child`, Name: 'breaks', Input: { fail: true } },
        { Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Caught' }] },
      ),
    );
    // Act
    await r.router.processBatch(parentMessage({}));
    await drain(r);
    // Assess
    const parent = await only(r, 'parent');
    expect(parent.status).toBe('SUCCEEDED');
    const { error } = JSON.parse(parent.output ?? 'null');
    expect(error.Error).toBe('States.TaskFailed');
    expect(JSON.parse(error.Cause)).toEqual({
      Cause: 'the child was told to fail',
      Error: 'ChildBroke',
      ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:child:breaks',
      Input: { fail: true },
      InputDetails: { Included: true },
      Name: 'breaks',
      StartDate: T0,
      StateMachineArn: `${ARN}child`,
      Status: 'FAILED',
      StopDate: T0,
    });
  });

  it('starts one child when the parent message, the child start and the answer are all delivered twice', async () => {
    // Prepare
    const { r, doubled } = await setup(
      parentGraph('startExecution.sync:2', { StateMachineArn: `${ARN}child`, Input: { n: 1 } }),
    );
    const message = parentMessage({});
    // Act
    await r.router.processBatch(message);
    await r.router.processBatch(message);
    const starts = r.streamed.length;
    await deliver(r, 0);
    const afterFirstStart = r.streamed.length;
    await r.router.processBatch(
      kinesisEventFactory(
        r.streamed
          .slice(0, starts)
          .map((x) => kinesisRecordFactory(x.data, { partitionKey: x.partitionKey })),
      ),
    );
    const answers = r.streamed.slice(starts);
    await deliver(r, starts);
    await deliver(r, starts);
    // Assess
    expect(starts).toBe(1);
    expect(afterFirstStart).toBe(2);
    expect(new Set(answers.map((a) => JSON.stringify(a.data))).size).toBe(1);
    expect(await r.executions.list({ engine: 'child', limit: 10 })).toHaveLength(1);
    expect((await only(r, 'parent')).status).toBe('SUCCEEDED');
    expect(doubled()).toBe(1);
    expect(r.metrics.totals.get('Quarantined') ?? 0).toBe(0);
  });

  it('.waitForTaskToken: the child answers through aws-sdk:sfn:sendTaskSuccess with the token it was given', async () => {
    // Prepare
    const r = inMemoryRouter({ double: () => ({ approved: 1 }) }, SETTINGS, new VirtualClock(T0));
    await r.publish(
      JSON.stringify({
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:double',
            Next: 'Answer',
          },
          Answer: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sfn:sendTaskSuccess',
            Parameters: { 'TaskToken.$': '$$.Execution.Input.token', 'Output.$': 'States.JsonToString($)' },
            End: true,
          },
        },
      }),
      { engine: 'child' },
    );
    await r.publish(
      parentGraph('startExecution.waitForTaskToken', {
        StateMachineArn: `${ARN}child`,
        Input: { 'token.$': '$$.Task.Token' },
      }),
      { engine: 'parent' },
    );
    // Act
    await r.router.processBatch(parentMessage({}));
    await drain(r);
    // Assess
    const parent = await only(r, 'parent');
    expect(parent.status).toBe('SUCCEEDED');
    expect(JSON.parse(parent.output ?? 'null').child).toEqual({ approved: 1 });
    expect((await only(r, 'child')).parent?.token).toBeUndefined();
  });
});

describe('nested executions, further cases', () => {
  it('an express child answers its parent too', async () => {
    // Prepare
    const { r } = await setup(
      parentGraph('startExecution.sync:2', { StateMachineArn: `${ARN}quick`, Input: { n: 3 } }),
    );
    await r.publish(JSON.stringify({ ...JSON.parse(CHILD_GRAPH), Mode: 'express' }), { engine: 'quick' });
    // Act
    await r.router.processBatch(parentMessage({}));
    await drain(r);
    // Assess
    const parent = await only(r, 'parent');
    expect(parent.status).toBe('SUCCEEDED');
    expect(JSON.parse(parent.output ?? 'null').child).toMatchObject({
      Output: { n: 6 },
      Status: 'SUCCEEDED',
    });
    expect((await only(r, 'quick')).parent?.executionId).toBe(parent.executionId);
  });

  it('runs three levels: a grandchild answers the child, which answers the parent', async () => {
    // Prepare
    const { r } = await setup(
      parentGraph('startExecution.sync:2', { StateMachineArn: `${ARN}middle`, Input: { n: 4 } }),
    );
    await r.publish(
      JSON.stringify({
        StartAt: 'Down',
        States: {
          Down: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: `${ARN}child`, 'Input.$': '$' },
            OutputPath: '$.Output',
            End: true,
          },
        },
      }),
      { engine: 'middle' },
    );
    // Act
    await r.router.processBatch(parentMessage({}));
    await drain(r);
    // Assess
    const parent = await only(r, 'parent');
    const middle = await only(r, 'middle');
    const child = await only(r, 'child');
    expect(JSON.parse(parent.output ?? 'null').child.Output).toEqual({ n: 8 });
    expect(middle.parent?.executionId).toBe(parent.executionId);
    expect(child.parent?.executionId).toBe(middle.executionId);
    expect(middle.children).toEqual([child.executionId]);
  });

  it('aws-sdk:sfn:sendTaskFailure with our token fails the waiting task with its error and cause', async () => {
    // Prepare
    const r = inMemoryRouter({}, SETTINGS, new VirtualClock(T0));
    await r.publish(
      JSON.stringify({
        StartAt: 'Refuse',
        States: {
          Refuse: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sfn:sendTaskFailure',
            Parameters: { 'TaskToken.$': '$.token', Error: 'Refused', Cause: 'no stock' },
            End: true,
          },
        },
      }),
      { engine: 'child' },
    );
    await r.publish(
      parentGraph(
        'startExecution.waitForTaskToken',
        { StateMachineArn: 'child', Input: { 'token.$': '$$.Task.Token' } },
        { Catch: [{ ErrorEquals: ['Refused'], ResultPath: '$.error', Next: 'Caught' }] },
      ),
      { engine: 'parent' },
    );
    // Act
    await r.router.processBatch(parentMessage({}));
    await drain(r);
    // Assess
    const parent = await only(r, 'parent');
    expect(JSON.parse(parent.output ?? 'null').error).toEqual({ Error: 'Refused', Cause: 'no stock' });
  });

  it('a child that ends after its parent timed out is dropped, not quarantined', async () => {
    // Prepare
    const clock = new VirtualClock(T0);
    const r = inMemoryRouter(
      { double: (payload: JsonValue) => ({ n: ((payload as { n: number }).n ?? 0) * 2 }) },
      { ...SETTINGS, maxInProcessWaitMs: 0 },
      clock,
    );
    await r.publish(CHILD_GRAPH, { engine: 'child' });
    await r.publish(
      parentGraph(
        'startExecution.sync:2',
        { StateMachineArn: 'child', Input: { n: 1 } },
        {
          TimeoutSeconds: 5,
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Caught' }],
        },
      ),
      { engine: 'parent' },
    );
    await r.router.processBatch(parentMessage({}));
    // Act
    clock.advanceTo(T0 + 6_000);
    await r.router.sweep();
    await drain(r);
    // Assess
    const parent = await only(r, 'parent');
    expect(JSON.parse(parent.output ?? 'null').error.Error).toBe('States.Timeout');
    expect((await only(r, 'child')).status).toBe('SUCCEEDED');
    expect(r.metrics.totals.get('Quarantined') ?? 0).toBe(0);
  });
});

describe('answering a parent again', () => {
  it('a repeated start record of a child that already ended answers its parent again', async () => {
    // Prepare
    const { r, doubled } = await setup(
      parentGraph('startExecution.sync:2', { StateMachineArn: 'child', Name: 'again', Input: { n: 4 } }),
    );
    await r.router.processBatch(parentMessage({}));
    await deliver(r, 0);
    const lost = r.streamed.length;
    // Act: the first answer is lost; the parent puts the start record again
    await r.router.processBatch(
      kinesisEventFactory([kinesisRecordFactory(r.streamed[0]?.data ?? {}, { partitionKey: 'again' })]),
    );
    await deliver(r, lost);
    // Assess
    expect(lost).toBe(2);
    expect(r.streamed).toHaveLength(3);
    expect(r.streamed[2]?.data).toEqual(r.streamed[1]?.data);
    const parent = await only(r, 'parent');
    expect(parent.status).toBe('SUCCEEDED');
    expect(JSON.parse(parent.output ?? 'null').child.Output).toEqual({ n: 8 });
    expect(doubled()).toBe(1);
  });
});

describe('stopping children', () => {
  it('a parent whose .sync task times out stops the child it waited on, which answers no one', async () => {
    // Prepare
    const clock = new VirtualClock(T0);
    const r = inMemoryRouter({ double: () => ({ n: 0 }) }, { ...SETTINGS, maxInProcessWaitMs: 0 }, clock);
    await r.publish(
      JSON.stringify({
        StartAt: 'Sleep',
        States: {
          Sleep: { Type: 'Wait', Seconds: 60, Next: 'Double' },
          Double: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:double',
            End: true,
          },
        },
      }),
      { engine: 'sleeper' },
    );
    await r.publish(
      parentGraph(
        'startExecution.sync',
        { StateMachineArn: 'sleeper', Input: {} },
        {
          TimeoutSeconds: 5,
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Caught' }],
        },
      ),
      { engine: 'parent' },
    );
    await r.router.processBatch(parentMessage({}));
    await drain(r);
    const sleeping = await only(r, 'sleeper');
    // Act
    clock.advanceTo(T0 + 6_000);
    await r.router.sweep();
    clock.advanceTo(T0 + 61_000);
    await r.router.sweep();
    await drain(r);
    // Assess
    expect(sleeping.status).toBe('WAITING');
    const child = await only(r, 'sleeper');
    expect(child.status).toBe('FAILED');
    expect(child.error).toBe('States.Aborted');
    expect(child.cause).toContain("task 'Child' stopped waiting");
    const parent = await only(r, 'parent');
    expect(JSON.parse(parent.output ?? 'null').error.Error).toBe('States.Timeout');
    expect(r.metrics.totals.get('Quarantined') ?? 0).toBe(0);
  });
});

describe('child identity', () => {
  it('reads state machine ARNs and plain names, with a version or an alias', () => {
    expect(stateMachineTarget(`${ARN}orders`)).toEqual({ engine: 'orders' });
    expect(stateMachineTarget(`${ARN}orders:3`)).toEqual({ engine: 'orders', qualifier: '3' });
    expect(stateMachineTarget('orders:canary')).toEqual({ engine: 'orders', qualifier: 'canary' });
    expect(stateMachineTarget('arn:aws:lambda:us-east-1:1:function:f')).toBeUndefined();
  });

  it('keys the child by its Name, else by the parent invoke, and refuses names Step Functions refuses', () => {
    const scope = { region: 'eu-west-1', accountId: '1' };
    const named = childIdentity({ Name: 'n1' }, 'p:Child#1', { engine: 'e' }, scope);
    const derived = childIdentity({}, 'p:Child#1', { engine: 'e' }, scope);
    const again = childIdentity({}, 'p:Child#1', { engine: 'e' }, scope);
    const other = childIdentity({}, 'p:[0]Child#1', { engine: 'e' }, scope);
    expect(named).toMatchObject({
      dedupKey: `${CHILD_SOURCE}#n1`,
      executionArn: 'arn:aws:states:eu-west-1:1:execution:e:n1',
    });
    expect(derived).toEqual(again);
    expect(derived).not.toEqual(other);
    expect(childIdentity({ Name: 'a b' }, 'k', { engine: 'e' }, scope)).toHaveProperty('invalid');
    expect(childIdentity({ Name: 'x'.repeat(81) }, 'k', { engine: 'e' }, scope)).toHaveProperty('invalid');
  });

  it('settles nothing without a token, and passes a raw end as it is', () => {
    const end = { status: 'FAILED' as const, input: {}, error: 'E', cause: 'C', stopDate: T0 };
    expect(settlementOf({ executionId: 'p' }, end, T0)).toBeUndefined();
    expect(settlementOf({ executionId: 'p', token: 't' }, end, T0)).toMatchObject({
      ok: false,
      error: 'E',
      cause: 'C',
    });
    expect(
      describeExecution({ executionId: 'p' }, { ...end, status: 'SUCCEEDED', output: [1] }, T0, 'sync'),
    ).toMatchObject({ Output: '[1]', Input: '{}' });
  });
});

describe('showing the links', () => {
  it('prints the parent without its token, and the children, in show and in the trace', () => {
    // Prepare
    const record = {
      engine: 'child',
      dedupKey: `${CHILD_SOURCE}#n1`,
      executionId: 'child:abc',
      version: 1,
      mode: 'standard' as const,
      status: 'RUNNING' as const,
      rev: 1,
      startedAt: '2026-03-01T00:00:00.000Z',
      updatedAt: '2026-03-01T00:00:00.000Z',
      parent: {
        executionId: 'parent:xyz',
        invokeId: 'Child#1.0',
        token: 'secret-token',
        shape: 'sync:2' as const,
      },
      children: ['grandchild:def'],
    };
    // Act
    const summary = executionSummary(record);
    const lines = linkLines(record);
    // Assess
    expect(summary.parent).toEqual({
      executionId: 'parent:xyz',
      invokeId: 'Child#1.0',
      shape: 'sync:2',
      waits: true,
    });
    expect(JSON.stringify(summary)).not.toContain('secret-token');
    expect(summary.children).toEqual(['grandchild:def']);
    expect(lines).toEqual(['parent: parent:xyz task Child#1.0, waits (sync:2)', 'child: grandchild:def']);
  });
});
