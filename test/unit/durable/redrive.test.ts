import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import { type CompiledGraph, compileGraph } from '../../../router/asl/interpreter/compile.ts';
import { RedriveError, redriveExecution } from '../../../router/asl/interpreter/redrive.ts';
import type { ExecutionState } from '../../../router/asl/interpreter/state.ts';
import { loadGraph } from '../../../router/asl/load.ts';
import { redriveFailedExecution } from '../../../router/cli/commands/redrive.ts';
import { decodeHistory } from '../../../router/executions/history.ts';
import { traceLines } from '../../../router/executions/historyTrace.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter } from '../../support/router.ts';

function compiled(source: string): CompiledGraph {
  const loaded = loadGraph(source, { file: 'test.hjson' });
  if (loaded.graph === undefined) throw new Error(`graph does not load: ${JSON.stringify(loaded.problems)}`);
  return compileGraph(loaded.graph);
}

const T0 = Date.parse('2026-03-01T00:00:00Z');
const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

/** Load -> Fan (Map over $.items: Item) -> Charge (flaky) -> Done. */
const GRAPH = JSON.stringify({
  StartAt: 'Load',
  States: {
    Load: { Type: 'Task', Resource: fn('load'), ResultPath: '$.loaded', Next: 'Fan' },
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Task', Resource: fn('item'), End: true } } },
      ResultPath: '$.fanned',
      Next: 'Charge',
    },
    Charge: { Type: 'Task', Resource: fn('charge'), ResultPath: '$.charged', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
});

function setup() {
  const calls: Record<string, number> = { load: 0, item: 0, charge: 0 };
  let chargeWorks = false;
  const clock = new VirtualClock(T0);
  const r = inMemoryRouter(
    {
      load: () => {
        calls.load = (calls.load ?? 0) + 1;
        return 'loaded';
      },
      item: (payload) => {
        calls.item = (calls.item ?? 0) + 1;
        return payload;
      },
      charge: () => {
        calls.charge = (calls.charge ?? 0) + 1;
        if (!chargeWorks) throw Object.assign(new Error('card declined'), { name: 'PaymentError' });
        return 'charged';
      },
    },
    {},
    clock,
  );
  return { r, calls, clock, fix: () => (chargeWorks = true) };
}

const message = kinesisEventFactory([
  kinesisRecordFactory(cloudEventFactory({ engine: 'pay', data: { items: [1, 2, 3] } }, 1), {
    partitionKey: 'p',
  }),
]);

describe('redrive', () => {
  it('re-enters only the failed state with its original input and keeps what ran before', async () => {
    // Prepare
    const { r, calls, clock, fix } = setup();
    await r.publish(GRAPH, { engine: 'pay' });
    await r.router.processBatch(message);
    const failed = [...r.executions.records.values()][0];
    if (failed === undefined) throw new Error('no execution');
    fix();
    // Act
    const { stateName } = await redriveFailedExecution(failed, {
      executions: r.executions,
      graphOf: async () => compiled(GRAPH),
      now: clock.now(),
    });
    const swept = await r.router.sweep();
    // Assess
    expect(failed.status).toBe('FAILED');
    expect(stateName).toBe('Charge');
    expect(swept.succeeded).toBe(1);
    expect(calls).toEqual({ load: 1, item: 3, charge: 2 });
    const record = [...r.executions.records.values()][0];
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.error).toBeUndefined();
    expect(record?.expiresAt).toBeGreaterThan(0);
    expect(JSON.parse(record?.output ?? 'null')).toEqual({
      items: [1, 2, 3],
      loaded: 'loaded',
      fanned: [1, 2, 3],
      charged: 'charged',
    });
    const history = decodeHistory(record?.history);
    expect(history.filter((e) => e.type === 'ExecutionRedriven')).toHaveLength(1);
    expect(history.map((e) => e.id)).toEqual([...history.keys()].map((i) => i + 1));
    const trace = traceLines(history);
    expect(trace.some((line) => / Charge \(Task\) {2}failed PaymentError$/.test(line))).toBe(true);
    expect(trace.some((line) => / Charge \(Task\) {2}succeeded \[redriven\]$/.test(line))).toBe(true);
    expect(trace.filter((line) => line.includes('Item (Task)'))).toHaveLength(3);
    expect(trace.at(-1)).toBe('redriven 1 time');
  });

  it('refuses executions that did not fail, and ones that ended in a Fail state', async () => {
    // Prepare
    const graph = compiled(
      JSON.stringify({ StartAt: 'No', States: { No: { Type: 'Fail', Error: 'Nope' } } }),
    );
    const base: ExecutionState = {
      format: 1,
      context: {
        executionId: 'e',
        name: 'e',
        startTime: T0,
        input: {},
        stateMachineName: 'f',
        stateMachineId: 'f',
      },
      status: 'FAILED',
      error: 'Nope',
      transitions: 1,
      events: 3,
      draws: 0,
      root: { path: '', keyPath: '', state: 'No', input: {}, enteredAt: T0, visits: { No: 1 }, attempt: 0 },
      pending: [],
    };
    // Act / Assess
    expect(() => redriveExecution(graph, base, T0)).toThrow(/Fail state 'No'.*fail the same way/);
    expect(() => redriveExecution(graph, { ...base, status: 'SUCCEEDED' }, T0)).toThrow(RedriveError);
    expect(() => redriveExecution(graph, { ...base, root: { ...base.root, state: '' } }, T0)).toThrow(
      /before entering a state/,
    );
  });
});
