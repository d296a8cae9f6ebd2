import { describe, expect, it } from 'vitest';
import {
  type InvokeEffect,
  type InvokeOutcome,
  runExecution,
  startExecution,
  VirtualClock,
} from '../../../../router/asl/interpreter/index.ts';
import type { JsonValue, MapState, StateMachine } from '../../../../router/asl/types.ts';
import { drive, echo, graphOf, outline, T0, task } from './helpers.ts';

const processor = (resource = 'item'): StateMachine => ({
  StartAt: 'Item',
  States: { Item: task(resource) },
});

function mapGraph(fields: Omit<MapState, 'Type'>) {
  return graphOf('Map', { Map: { Type: 'Map', End: true, ItemProcessor: processor(), ...fields } });
}

/** An invoke that takes `ms(input)` of virtual time and tracks how many run at once. */
function timedInvoke(
  clock: VirtualClock,
  ms: (input: JsonValue) => number,
  outcome?: (input: JsonValue) => InvokeOutcome,
) {
  const stats = { running: 0, max: 0, started: [] as string[], aborted: [] as string[] };
  const invoke = async (effect: InvokeEffect, signal: AbortSignal): Promise<InvokeOutcome> => {
    stats.running += 1;
    stats.max = Math.max(stats.max, stats.running);
    stats.started.push(effect.id);
    // As the SDK does: listen while the invoke runs, not after (invokes of a branch share one signal).
    const onAbort = () => stats.aborted.push(effect.id);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await clock.sleep(ms(effect.input), signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    stats.running -= 1;
    return outcome?.(effect.input) ?? { ok: true, output: effect.input };
  };
  return { stats, invoke };
}

describe('Map', () => {
  it('starts no queued item once a failed item has failed the Map: 40 items, 4 invokes at a time', async () => {
    // Prepare
    const graph = mapGraph({ ItemsPath: '$.items' });
    const clock = new VirtualClock(T0);
    const { stats, invoke } = timedInvoke(
      clock,
      (input) => (input === 0 ? 1_000 : 60_000),
      (input) =>
        input === 0 ? { ok: false, error: 'Item.Broken', cause: 'item 0' } : { ok: true, output: 1 },
    );

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'm40', input: { items: Array.from({ length: 40 }, (_, i) => i) }, startTime: T0 },
      { invoke, clock, maxConcurrentInvokes: 4 },
    );

    // Assess: the failed item's slot goes to item 4 before its failure is applied; the failure aborts
    // the four running, and none of the 35 still queued starts
    expect(result.status).toBe('FAILED');
    expect(stats.started).toHaveLength(5);
    expect(stats.aborted).toHaveLength(4);
    expect(clock.now()).toBe(T0 + 1_000);
  });

  it('returns results in item order although items finish out of order', async () => {
    // Prepare
    const graph = mapGraph({ ItemsPath: '$.items' });
    const clock = new VirtualClock(T0);
    const { invoke } = timedInvoke(clock, (input) => (10 - (input as number)) * 1000);

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'm', input: { items: [1, 2, 3, 4] }, startTime: T0 },
      {
        invoke,
        clock,
      },
    );

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.status === 'WAITING' ? undefined : result.output).toEqual([1, 2, 3, 4]);
    expect(clock.now()).toBe(T0 + 9_000);
  });

  it('never runs more than MaxConcurrency items at once', async () => {
    // Prepare
    const graph = mapGraph({ MaxConcurrency: 2 });
    const clock = new VirtualClock(T0);
    const { stats, invoke } = timedInvoke(clock, () => 1_000);

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'm', input: [1, 2, 3, 4, 5], startTime: T0 },
      {
        invoke,
        clock,
      },
    );

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(stats.max).toBe(2);
    expect(clock.now()).toBe(T0 + 3_000);
  });

  it('runs every item at once with MaxConcurrency 0 (unlimited)', async () => {
    const graph = mapGraph({ MaxConcurrency: 0 });
    const clock = new VirtualClock(T0);
    const { stats, invoke } = timedInvoke(clock, () => 1_000);

    await runExecution(graph, { executionId: 'm', input: [1, 2, 3, 4, 5], startTime: T0 }, { invoke, clock });

    expect(stats.max).toBe(5);
    expect(clock.now()).toBe(T0 + 1_000);
  });

  it('lets more than 10 items in flight listen on their shared signal without a listener-leak warning', async () => {
    const graph = mapGraph({ MaxConcurrency: 0 });
    const clock = new VirtualClock(T0);
    const { stats, invoke } = timedInvoke(clock, () => 1_000);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const input = Array.from({ length: 16 }, (_, i) => i);
      const result = await runExecution(graph, { executionId: 'm', input, startTime: T0 }, { invoke, clock });
      expect(result.status).toBe('SUCCEEDED');
      // A warning is emitted on the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(stats.max).toBe(16);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('emits only MaxConcurrency invokes up front (MaxConcurrencyPath), queueing the rest in the state', () => {
    const graph = mapGraph({ MaxConcurrencyPath: '$.limit', ItemsPath: '$.items' });

    const step = startExecution(
      graph,
      { executionId: 'm', input: { limit: 3, items: [1, 2, 3, 4, 5, 6, 7] }, startTime: T0 },
      T0,
    );

    expect(step.effects.filter((e) => e.type === 'invoke')).toHaveLength(3);
    expect(step.state.root.block).toMatchObject({ kind: 'map', next: 3, running: 3, remaining: 7 });
  });

  it('builds item inputs with ItemSelector and the $$.Map.Item context (and the older Parameters / Iterator)', () => {
    const current = mapGraph({
      ItemsPath: '$.orders',
      ItemSelector: {
        'index.$': '$$.Map.Item.Index',
        'order.$': '$$.Map.Item.Value',
        'customer.$': '$.customer',
      },
    });
    const older = graphOf('Map', {
      Map: {
        Type: 'Map',
        End: true,
        ItemsPath: '$.orders',
        Parameters: { 'n.$': '$$.Map.Item.Value' },
        Iterator: processor(),
      },
    });
    const input = { customer: 'c1', orders: ['a', 'b'] };

    expect(drive(current, input, echo).state.output).toEqual([
      { index: 0, order: 'a', customer: 'c1' },
      { index: 1, order: 'b', customer: 'c1' },
    ]);
    expect(drive(older, input, echo).state.output).toEqual([{ n: 'a' }, { n: 'b' }]);
  });

  it('returns [] for an empty array and fails with States.Runtime when ItemsPath is not an array', () => {
    const graph = mapGraph({ ItemsPath: '$.items' });

    expect(drive(graph, { items: [] }, echo).state.output).toEqual([]);
    const bad = drive(graph, { items: 'nope' }, echo).state;
    expect(bad.error).toBe('States.Runtime');
    expect(bad.cause).toContain("Map state 'Map'");
  });

  it('gives every item its own idempotency key and applies ResultSelector / ResultPath to the array', () => {
    const graph = mapGraph({ ItemsPath: '$.items', ResultSelector: { 'all.$': '$' }, ResultPath: '$.out' });

    const run = drive(graph, { items: [10, 20] }, echo);

    expect(run.invokes.map((i) => [i.id, i.idempotencyKey])).toEqual([
      ['Map#1.0[0]/Item#1.0', 'exec-1:Map#1[0]/Item#1'],
      ['Map#1.0[1]/Item#1.0', 'exec-1:Map#1[1]/Item#1'],
    ]);
    expect(run.state.output).toEqual({ items: [10, 20], out: { all: [10, 20] } });
    expect(outline(run.history)).toEqual([
      'ExecutionStarted',
      'MapStateEntered Map',
      'MapStateStarted Map',
      'MapIterationStarted Map#1.0[0]/Map',
      'TaskStateEntered Map#1.0[0]/Item',
      'TaskScheduled Map#1.0[0]/Item',
      'MapIterationStarted Map#1.0[1]/Map',
      'TaskStateEntered Map#1.0[1]/Item',
      'TaskScheduled Map#1.0[1]/Item',
      'TaskSucceeded Map#1.0[0]/Item',
      'TaskStateExited Map#1.0[0]/Item',
      'MapIterationSucceeded Map#1.0[0]/Map',
      'TaskSucceeded Map#1.0[1]/Item',
      'TaskStateExited Map#1.0[1]/Item',
      'MapIterationSucceeded Map#1.0[1]/Map',
      'MapStateSucceeded Map',
      'MapStateExited Map',
      'ExecutionSucceeded',
    ]);
  });

  it('fails on the first failed item without a tolerance, with the item error, cancelling running items', () => {
    // Prepare: item 1 fails at once, the others stay in flight.
    const graph = mapGraph({});

    // Act
    const run = drive(graph, [0, 1, 2, 3], (effect) =>
      effect.input === 1 ? { ok: false, error: 'Item.Bad', cause: 'item 1' } : undefined,
    );

    // Assess
    expect([run.state.status, run.state.error, run.state.cause]).toEqual(['FAILED', 'Item.Bad', 'item 1']);
    expect(run.cancels.sort()).toEqual(['Map#1.0[0]/Item#1.0', 'Map#1.0[2]/Item#1.0', 'Map#1.0[3]/Item#1.0']);
    expect(run.state.pending).toEqual([]);
  });

  it('tolerates up to ToleratedFailureCount failures, keeping { Error, Cause } in the failed slots', () => {
    const failOdd = (effect: InvokeEffect): InvokeOutcome =>
      (effect.input as number) % 2 === 1
        ? { ok: false, error: 'Odd', cause: `${String(effect.input)} is odd` }
        : { ok: true, output: effect.input };

    const tolerated = drive(mapGraph({ ToleratedFailureCount: 2 }), [0, 1, 2, 3, 4], failOdd).state;
    const exceeded = drive(
      mapGraph({ ItemsPath: '$.items', ToleratedFailureCountPath: '$.n' }),
      { n: 1, items: [0, 1, 2, 3] },
      failOdd,
    );

    expect(tolerated.status).toBe('SUCCEEDED');
    expect(tolerated.output).toEqual([
      0,
      { Error: 'Odd', Cause: '1 is odd' },
      2,
      { Error: 'Odd', Cause: '3 is odd' },
      4,
    ]);
    expect(exceeded.state.status).toBe('FAILED');
    expect(exceeded.state.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(exceeded.state.cause).toContain('2 of 4 items failed');
  });

  it('fails with States.ExceedToleratedFailureThreshold above ToleratedFailurePercentage / Count', () => {
    const failOver =
      (limit: number) =>
      (effect: InvokeEffect): InvokeOutcome =>
        (effect.input as number) >= limit
          ? { ok: false, error: 'Big', cause: 'too big' }
          : { ok: true, output: 0 };

    const within = drive(mapGraph({ ToleratedFailurePercentage: 40 }), [0, 1, 2, 3, 4], failOver(3)).state;
    const above = drive(mapGraph({ ToleratedFailurePercentage: 40 }), [0, 1, 2, 3, 4], failOver(2)).state;
    const count = drive(mapGraph({ ToleratedFailureCount: 0 }), [0, 1], failOver(1)).state;

    expect(within.status).toBe('SUCCEEDED');
    expect([above.status, above.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
    expect([count.status, count.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
  });
});

describe('Parallel', () => {
  const branch = (resource: string): StateMachine => ({ StartAt: 'S', States: { S: task(resource) } });

  it('returns branch results in branch order', async () => {
    const graph = graphOf('P', {
      P: { Type: 'Parallel', Branches: [branch('slow'), branch('fast')], End: true },
    });
    const clock = new VirtualClock(T0);
    const { invoke } = timedInvoke(
      clock,
      () => 0,
      (input) => ({ ok: true, output: input }),
    );
    const ordered = async (effect: InvokeEffect, signal: AbortSignal): Promise<InvokeOutcome> => {
      await clock.sleep(effect.resource === 'slow' ? 5_000 : 1_000, signal);
      return invoke({ ...effect, input: effect.resource }, signal);
    };

    const result = await runExecution(
      graph,
      { executionId: 'p', input: {}, startTime: T0 },
      { invoke: ordered, clock },
    );

    expect(result.status === 'WAITING' ? undefined : result.output).toEqual(['slow', 'fast']);
    expect(clock.now()).toBe(T0 + 5_000);
  });

  it('aborts a cancelled task-token invoke at once, while a branch elsewhere still runs', async () => {
    // Prepare: branch A's inner Parallel fails at 1 s and is caught; branch B runs on for a minute
    const inner = {
      Type: 'Parallel' as const,
      Branches: [branch('broken'), branch('slow.waitForTaskToken')],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
      Next: 'Caught',
    };
    const graph = graphOf(
      'P',
      {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Inner', States: { Inner: inner, Caught: { Type: 'Pass', End: true } } },
            branch('long'),
          ],
          End: true,
        },
      },
      { taskTokenSecret: 'k' },
    );
    const clock = new VirtualClock(T0);
    const { stats, invoke } = timedInvoke(
      clock,
      (input) => (input === 'broken' ? 1_000 : 60_000),
      (input) =>
        input === 'broken'
          ? { ok: false, error: 'Branch.Broken', cause: 'b' }
          : input === 'slow.waitForTaskToken'
            ? { pending: 'callback' }
            : { ok: true, output: 1 },
    );

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'token', input: {}, startTime: T0 },
      { invoke: (effect, signal) => invoke({ ...effect, input: effect.resource }, signal), clock },
    );

    // Assess: the token's invoke was aborted when its Parallel failed, not left to hand out its token
    expect(result.status).toBe('SUCCEEDED');
    expect(stats.aborted).toHaveLength(1);
    expect(stats.aborted[0]).toContain('[1]/S');
    expect(clock.now()).toBe(T0 + 60_000);
  });

  it('fails with the failed branch error and cancels the other branches (aborting their invokes)', async () => {
    // Prepare
    const graph = graphOf('P', {
      P: { Type: 'Parallel', Branches: [branch('long'), branch('broken'), branch('long')], End: true },
    });
    const clock = new VirtualClock(T0);
    const { stats, invoke } = timedInvoke(
      clock,
      (input) => (input === 'broken' ? 1_000 : 60_000),
      (input) =>
        input === 'broken' ? { ok: false, error: 'Branch.Broken', cause: 'b' } : { ok: true, output: 1 },
    );

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'p', input: {}, startTime: T0 },
      {
        invoke: (effect, signal) => invoke({ ...effect, input: effect.resource }, signal),
        clock,
      },
    );

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.status === 'FAILED' ? [result.error, result.cause] : undefined).toEqual([
      'Branch.Broken',
      'b',
    ]);
    expect(stats.aborted.sort()).toEqual(['P#1.0[0]/S#1.0', 'P#1.0[2]/S#1.0']);
    expect(clock.now()).toBe(T0 + 1_000);
    expect(outline(result.history).slice(-6)).toEqual([
      'TaskFailed P#1.0[1]/S',
      'ParallelBranchFailed P#1.0[1]/P',
      'ParallelBranchAborted P#1.0[0]/P',
      'ParallelBranchAborted P#1.0[2]/P',
      'ParallelStateFailed P',
      'ExecutionFailed',
    ]);
  });

  it('passes Parameters to every branch and nests Map inside Parallel', () => {
    const graph = graphOf('P', {
      P: {
        Type: 'Parallel',
        Parameters: { 'list.$': '$.values' },
        Branches: [
          {
            StartAt: 'Count',
            States: {
              Count: { Type: 'Pass', Parameters: { 'n.$': 'States.ArrayLength($.list)' }, End: true },
            },
          },
          {
            StartAt: 'Each',
            States: { Each: { Type: 'Map', ItemsPath: '$.list', ItemProcessor: processor(), End: true } },
          },
        ],
        End: true,
      },
    });

    const run = drive(graph, { values: ['x', 'y'] }, echo);

    expect(run.state.output).toEqual([{ n: 2 }, ['x', 'y']]);
    expect(run.invokes.map((i) => i.idempotencyKey)).toEqual([
      'exec-1:P#1[1]/Each#1[0]/Item#1',
      'exec-1:P#1[1]/Each#1[1]/Item#1',
    ]);
  });
});
