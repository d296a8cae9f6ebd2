import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import {
  compileGraph,
  type ExecutionState,
  type JsonValue,
  runExecution,
  VirtualClock,
} from '../../../router/asl/index.ts';
import type { AwsEnvironment } from '../../../router/aws/index.ts';
import { MemoryActivityQueue } from '../../../router/invoke/ActivityQueue.ts';
import { createSdkIntegrations } from '../../../router/invoke/SdkIntegrations.ts';
import { createTaskInvoker } from '../../../router/invoke/TaskInvoker.ts';

const AWS: AwsEnvironment = { region: 'us-east-1' };
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Every SDK package loads as a stub whose client answers `answer(commandName, input)`. */
function stubSdk(answer: (command: string, input: Record<string, unknown>) => unknown) {
  const commands: { command: string; at: number }[] = [];
  let clock: VirtualClock | undefined;
  const load = async (): Promise<Record<string, unknown>> =>
    new Proxy(
      {
        StubClient: class {
          async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
            commands.push({ command: command.constructor.name, at: (clock?.now() ?? T0) - T0 });
            return answer(command.constructor.name, command.input);
          }
        },
      },
      {
        get: (target, key) =>
          typeof key === 'string' && key.endsWith('Command')
            ? {
                [key]: class {
                  constructor(readonly input: Record<string, unknown>) {}
                },
              }[key]
            : Reflect.get(target, key),
        ownKeys: () => ['StubClient'],
        getOwnPropertyDescriptor: (target, key) => Reflect.getOwnPropertyDescriptor(target, key),
      },
    );
  return {
    commands,
    sdk: createSdkIntegrations(AWS, load),
    watch(c: VirtualClock) {
      clock = c;
    },
  };
}

const QUERY_GRAPH = {
  StartAt: 'Query',
  States: {
    Query: {
      Type: 'Task' as const,
      Resource: 'arn:aws:states:us-east-1:123456789012:athena:startQueryExecution.sync',
      Parameters: { QueryString: 'SELECT 1' },
      ResultSelector: { 'state.$': '$.QueryExecution.Status.State' },
      End: true,
    },
  },
};

describe('.sync jobs', () => {
  it('park between polls: the execution waits on a timer, resumes from its checkpoint and ends with the job', async () => {
    // Prepare: the query runs for four polls, then succeeds.
    let looks = 0;
    const stub = stubSdk((command) => {
      if (command === 'StartQueryExecutionCommand') return { QueryExecutionId: 'q-1' };
      looks += 1;
      return { QueryExecution: { Status: { State: looks < 5 ? 'RUNNING' : 'SUCCEEDED' } } };
    });
    const invoke = createTaskInvoker({
      lambda: new LambdaClient({ region: 'us-east-1' }),
      sdk: stub.sdk,
      allowlist: ['*'],
      region: 'us-east-1',
    });
    const graph = compileGraph(QUERY_GRAPH);
    const clock = new VirtualClock(T0);
    stub.watch(clock);
    const deps = { invoke, clock, maxInProcessWaitMs: 3_000 };

    // Act: run until it parks, keep only the serialised checkpoint, resume at the due time until it ends.
    let result = await runExecution(graph, { executionId: 'e-1', input: {}, startTime: T0 }, deps);
    const parks: { waitingFor: string; dueIn: number }[] = [];
    while (result.status === 'WAITING') {
      parks.push({ waitingFor: result.waitingFor, dueIn: (result.dueAt ?? 0) - clock.now() });
      const saved = JSON.parse(JSON.stringify(result.state)) as ExecutionState;
      clock.advanceTo(result.dueAt ?? clock.now());
      result = await runExecution(graph, saved, deps);
    }

    // Assess: polls after 1 s and 2 s run in-process; the 5 s and 10 s ones park the execution.
    expect(result.status).toBe('SUCCEEDED');
    expect(result.status === 'SUCCEEDED' ? result.output : undefined).toEqual({ state: 'SUCCEEDED' });
    expect(stub.commands.map((c) => [c.command, c.at])).toEqual([
      ['StartQueryExecutionCommand', 0],
      ['GetQueryExecutionCommand', 1_000],
      ['GetQueryExecutionCommand', 3_000],
      ['GetQueryExecutionCommand', 8_000],
      ['GetQueryExecutionCommand', 18_000],
      ['GetQueryExecutionCommand', 38_000],
    ]);
    expect(parks).toEqual([
      { waitingFor: 'timer', dueIn: 5_000 },
      { waitingFor: 'timer', dueIn: 10_000 },
      { waitingFor: 'timer', dueIn: 20_000 },
    ]);
  });

  it('TimeoutSeconds still bounds the whole job, polls included', async () => {
    const stub = stubSdk((command) =>
      command === 'StartQueryExecutionCommand'
        ? { QueryExecutionId: 'q-1' }
        : { QueryExecution: { Status: { State: 'RUNNING' } } },
    );
    const invoke = createTaskInvoker({
      lambda: new LambdaClient({ region: 'us-east-1' }),
      sdk: stub.sdk,
      allowlist: ['*'],
      region: 'us-east-1',
    });
    const graph = compileGraph({
      ...QUERY_GRAPH,
      States: { Query: { ...QUERY_GRAPH.States.Query, TimeoutSeconds: 4 } },
    });
    const clock = new VirtualClock(T0);

    const result = await runExecution(
      graph,
      { executionId: 'e-2', input: {}, startTime: T0 },
      { invoke, clock },
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });
});

describe('activities', () => {
  it('queue the task token and input for a worker; the execution waits for the callback', async () => {
    // Prepare
    const activities = new MemoryActivityQueue(() => T0);
    const stub = stubSdk(() => ({}));
    const invoke = createTaskInvoker({
      lambda: new LambdaClient({ region: 'us-east-1' }),
      sdk: stub.sdk,
      allowlist: ['arn:aws:states:*:*:activity:approve'],
      region: 'us-east-1',
      activities,
    });
    const graph = compileGraph(
      {
        StartAt: 'Approve',
        States: {
          Approve: {
            Type: 'Task',
            Resource: 'arn:aws:states:us-east-1:123456789012:activity:approve',
            HeartbeatSeconds: 60,
            End: true,
          },
        },
      },
      { taskTokenSecret: 'secret' },
    );
    const input: JsonValue = { order: 7 };

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'e-3', input, startTime: T0 },
      { invoke, clock: new VirtualClock(T0) },
    );
    const taken = await activities.take('approve');
    const again = await activities.take('approve');

    // Assess
    expect(result).toMatchObject({ status: 'WAITING', waitingFor: 'callback' });
    const pending = result.state.pending.find((p) => p.effect.type === 'invoke');
    expect(taken).toMatchObject({ activity: 'approve', input, stateName: 'Approve' });
    expect(taken?.taskToken).toBe(pending?.effect.type === 'invoke' ? pending.effect.taskToken : 'none');
    expect(again).toBeUndefined();
  });
});
