import { describe, expect, it } from 'vitest';
import {
  type ExecutionState,
  type InvokeEffect,
  type InvokeOutcome,
  invokeIdForToken,
  parseTaskToken,
  runExecution,
  startExecution,
  taskToken,
  VirtualClock,
} from '../../../../router/asl/interpreter/index.ts';
import type { JsonValue } from '../../../../router/asl/types.ts';
import { drive, graphOf, roundTrip, T0, task } from './helpers.ts';

/** A graph touching every kind of wait: retry timers, a Wait, Map items in flight, Parallel branches. */
const busyGraph = () =>
  graphOf('Prepare', {
    Prepare: { Type: 'Pass', Parameters: { 'items.$': '$.items', 'seed.$': '$.seed' }, Next: 'Flaky' },
    Flaky: task('flaky', {
      ResultPath: '$.flaky',
      Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 2, MaxAttempts: 2 }],
      Next: 'Each',
    }),
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 2,
      ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
      ItemProcessor: {
        StartAt: 'Double',
        States: {
          Double: task('double', { Next: 'Settle' }),
          Settle: { Type: 'Wait', Seconds: 5, End: true },
        },
      },
      ResultPath: '$.doubled',
      Next: 'Both',
    },
    Both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Sum', States: { Sum: task('sum', { InputPath: '$.doubled' }) } },
        {
          StartAt: 'Count',
          States: {
            Count: { Type: 'Pass', Parameters: { 'n.$': 'States.ArrayLength($.doubled)' }, End: true },
          },
        },
      ],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  });

/** Answers from the input only, so replays agree; `flaky` fails its first attempt. */
function answer(effect: InvokeEffect): InvokeOutcome {
  switch (effect.resource) {
    case 'flaky':
      return effect.attempt === 0
        ? { ok: false, error: 'Flaky', cause: 'first try' }
        : { ok: true, output: 'ok' };
    case 'double': {
      const item = effect.input as { value: number; index: number };
      return { ok: true, output: { index: item.index, twice: item.value * 2 } };
    }
    default:
      return { ok: true, output: (effect.input as { twice: number }[]).reduce((sum, d) => sum + d.twice, 0) };
  }
}

describe('checkpoint and resume', () => {
  it('gives the same result when the state is saved as JSON and resumed after any event', () => {
    // Prepare
    const graph = busyGraph();
    const input = { items: [1, 2, 3, 4, 5], seed: 'x' };
    const whole = drive(graph, input, answer);
    const events = whole.history.length;

    // Act + Assess: cut after every possible number of applied events.
    for (let cut = 1; cut < events; cut++) {
      const first = drive(graph, input, answer, { maxSteps: cut });
      if (first.state.status !== 'RUNNING') break;
      const saved = roundTrip(first.state);
      expect(saved).toEqual(first.state);
      const rest = drive(graph, null, answer, { state: saved, now: first.now });
      expect({ cut, status: rest.state.status, output: rest.state.output }).toEqual({
        cut,
        status: 'SUCCEEDED',
        output: whole.state.output,
      });
    }
    expect(whole.state.output).toEqual([30, { n: 5 }]);
  });

  it('re-issues an invoke that was in flight at the checkpoint with the same id and idempotency key', async () => {
    // Prepare
    const graph = graphOf('T', { T: task('step', { Parameters: { 'n.$': '$.n' } }) });
    const start = startExecution(graph, { executionId: 'r-1', input: { n: 1 }, startTime: T0 }, T0);
    const inFlight = start.effects.find((e): e is InvokeEffect => e.type === 'invoke');
    const saved = roundTrip(start.state);
    const reissued: InvokeEffect[] = [];

    // Act
    const result = await runExecution(graph, saved, {
      clock: new VirtualClock(T0 + 1_000),
      invoke: async (effect) => {
        reissued.push(effect);
        return { ok: true, output: 'done' };
      },
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(reissued).toEqual([inFlight]);
    expect(reissued[0]?.idempotencyKey).toBe('r-1:T#1');
  });

  it('resumes inside Map and Parallel from a checkpoint taken by onStep, re-issuing in-flight items', async () => {
    // Prepare
    const graph = busyGraph();
    const input = { items: [1, 2, 3, 4, 5], seed: 'y' };
    const slow = (clock: VirtualClock, seen: InvokeEffect[]) => async (effect: InvokeEffect) => {
      seen.push(effect);
      await clock.sleep(
        effect.resource === 'double' ? 1_000 * (effect.input as { value: number }).value : 500,
      );
      return answer(effect);
    };
    const checkpoints: string[] = [];
    const clock = new VirtualClock(T0);
    const whole = await runExecution(
      graph,
      { executionId: 'mp', input, startTime: T0 },
      {
        clock,
        invoke: slow(clock, []),
        onStep: (step) => {
          checkpoints.push(JSON.stringify(step.state));
        },
      },
    );
    const inside = checkpoints
      .map((text) => JSON.parse(text) as ExecutionState)
      .filter((state) => state.root.block?.kind === 'map' || state.root.block?.kind === 'parallel');

    // Act + Assess
    expect(whole.status).toBe('SUCCEEDED');
    expect(inside.length).toBeGreaterThan(3);
    for (const saved of inside) {
      const pendingKeys = saved.pending.flatMap((p) =>
        p.effect.type === 'invoke' ? [p.effect.idempotencyKey] : [],
      );
      const resumeClock = new VirtualClock(T0 + 60_000);
      const seen: InvokeEffect[] = [];
      const rest = await runExecution(graph, saved, { clock: resumeClock, invoke: slow(resumeClock, seen) });
      expect(rest.status).toBe('SUCCEEDED');
      expect(rest.status === 'SUCCEEDED' ? rest.output : undefined).toEqual(
        whole.status === 'SUCCEEDED' ? whole.output : undefined,
      );
      expect(seen.slice(0, pendingKeys.length).map((e) => e.idempotencyKey)).toEqual(pendingKeys);
    }
  });

  it('returns WAITING for a long Wait, then resumes when the timer is due', async () => {
    // Prepare
    const graph = graphOf('Nap', {
      Nap: { Type: 'Wait', Seconds: 3_600, Next: 'After' },
      After: task('after'),
    });
    const invoke = async (effect: InvokeEffect): Promise<InvokeOutcome> => ({
      ok: true,
      output: effect.input,
    });

    // Act
    const first = await runExecution(
      graph,
      { executionId: 'w', input: { a: 1 }, startTime: T0 },
      {
        clock: new VirtualClock(T0),
        invoke,
        maxInProcessWaitMs: 60_000,
      },
    );
    const saved = roundTrip(first.state);
    const resumed = await runExecution(
      graph,
      saved,
      { clock: new VirtualClock(T0 + 3_600_000), invoke, maxInProcessWaitMs: 60_000 },
      { resumeEvents: [{ type: 'TimerFired', id: 'Nap#1:wait' }] },
    );

    // Assess
    expect(first).toMatchObject({ status: 'WAITING', waitingFor: 'timer', dueAt: T0 + 3_600_000 });
    expect(resumed.status).toBe('SUCCEEDED');
    expect(resumed.status === 'SUCCEEDED' ? resumed.output : undefined).toEqual({ a: 1 });
  });

  it('fires a saved timer that is already due on resume without a resume event', async () => {
    const graph = graphOf('Nap', { Nap: { Type: 'Wait', Seconds: 120, End: true } });
    const invoke = async (): Promise<InvokeOutcome> => ({ ok: true, output: null });
    const first = await runExecution(
      graph,
      { executionId: 'w2', input: 'in', startTime: T0 },
      {
        clock: new VirtualClock(T0),
        invoke,
        maxInProcessWaitMs: 1_000,
      },
    );

    const resumed = await runExecution(graph, roundTrip(first.state), {
      clock: new VirtualClock(T0 + 200_000),
      invoke,
    });

    expect(first.status).toBe('WAITING');
    expect(resumed.status === 'SUCCEEDED' ? resumed.output : resumed.status).toBe('in');
  });

  it('waits for a callback task token, then resumes with the result carried by the token', async () => {
    // Prepare
    const graph = graphOf(
      'Approve',
      {
        Approve: task('arn:aws:states:::lambda:invoke.waitForTaskToken', {
          Parameters: { 'token.$': '$$.Task.Token', 'order.$': '$.order' },
          ResultPath: '$.approval',
        }),
      },
      { taskTokenSecret: 'test-secret' },
    );
    const calls: InvokeEffect[] = [];
    const invoke = async (effect: InvokeEffect): Promise<InvokeOutcome> => {
      calls.push(effect);
      return { pending: 'callback' };
    };

    // Act
    const first = await runExecution(
      graph,
      { executionId: 'cb', input: { order: 7 }, startTime: T0 },
      {
        clock: new VirtualClock(T0),
        invoke,
      },
    );
    const saved = roundTrip(first.state);
    const token = calls[0]?.taskToken ?? '';
    const id = invokeIdForToken(saved, token) ?? '';
    const resumed = await runExecution(
      graph,
      saved,
      { clock: new VirtualClock(T0 + 86_400_000), invoke },
      { resumeEvents: [{ type: 'TaskSucceeded', id, output: { approved: true } }] },
    );

    // Assess
    expect(first).toMatchObject({ status: 'WAITING', waitingFor: 'callback' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(parseTaskToken(new TextEncoder().encode('test-secret'), token)).toEqual({
      executionId: 'cb',
      startTime: T0,
      invokeId: 'Approve#1.0',
    });
    expect(calls[0]?.input).toEqual({ token, order: 7 });
    expect(id).toBe('Approve#1.0');
    expect(calls).toHaveLength(1);
    expect(resumed.status === 'SUCCEEDED' ? resumed.output : resumed.status).toEqual({
      order: 7,
      approval: { approved: true },
    });
  });

  it('derives task tokens from the secret, the execution and the invoke', () => {
    const tokenOf = (secret: string, executionId: string): string | undefined => {
      const graph = graphOf('A', { A: task('x.waitForTaskToken') }, { taskTokenSecret: secret });
      const step = startExecution(graph, { executionId, input: {}, startTime: T0 }, T0);
      return step.effects.find((e): e is InvokeEffect => e.type === 'invoke')?.taskToken;
    };

    expect(tokenOf('s1', 'e1')).toBe(tokenOf('s1', 'e1'));
    expect(tokenOf('s1', 'e1')).not.toBe(tokenOf('s2', 'e1'));
    expect(tokenOf('s1', 'e1')).not.toBe(tokenOf('s1', 'e2'));
  });

  it('refuses forged, foreign and malformed task tokens', () => {
    const secret = new TextEncoder().encode('s1');
    const token = taskToken(secret, 'e1', 'A#1.0', T0);
    const [locator, mac] = token.split('.');
    const otherLocator = Buffer.from(`e2\u0000${T0}\u0000A#1.0`).toString('base64url');

    expect(parseTaskToken(secret, token)).toEqual({ executionId: 'e1', startTime: T0, invokeId: 'A#1.0' });
    expect(parseTaskToken(new TextEncoder().encode('s2'), token)).toHaveProperty('invalid');
    expect(parseTaskToken(secret, `${otherLocator}.${mac}`)).toHaveProperty('invalid');
    expect(parseTaskToken(secret, `${locator}`)).toHaveProperty('invalid');
    expect(parseTaskToken(secret, 'x.y.z')).toHaveProperty('invalid');
  });

  it('fails a callback task clearly when no task token secret was configured', () => {
    const graph = graphOf('A', { A: task('x.waitForTaskToken') });

    const run = drive(graph, {}, () => undefined);

    expect(run.state.error).toBe('States.Runtime');
    expect(run.state.cause).toContain('taskTokenSecret');
  });

  it('returns WAITING (interrupted) when its signal aborts, and the saved state resumes', async () => {
    // Prepare
    const graph = graphOf('A', { A: task('a', { Next: 'B' }), B: task('b') });
    const controller = new AbortController();
    const clock = new VirtualClock(T0);
    const invoke = async (effect: InvokeEffect, signal: AbortSignal): Promise<InvokeOutcome> => {
      if (effect.resource === 'b') {
        controller.abort();
        await clock.sleep(1_000, signal);
      }
      return { ok: true, output: effect.resource };
    };

    // Act
    const first = await runExecution(
      graph,
      { executionId: 'i', input: {}, startTime: T0 },
      {
        clock,
        invoke,
        signal: controller.signal,
      },
    );
    const rest = await runExecution(graph, roundTrip(first.state), {
      clock: new VirtualClock(T0),
      invoke: async (effect): Promise<InvokeOutcome> => ({ ok: true, output: effect.resource }),
    });

    // Assess
    expect(first).toMatchObject({ status: 'WAITING', waitingFor: 'interrupted' });
    expect(rest.status === 'SUCCEEDED' ? rest.output : rest.status).toBe('b');
  });

  it('rejects when the invoker fails (infrastructure), leaving the invoke pending for the retry', async () => {
    const graph = graphOf('A', { A: task('a') });
    const start = startExecution(graph, { executionId: 'x', input: {}, startTime: T0 }, T0);
    const saved = roundTrip(start.state);

    const run = runExecution(graph, saved, {
      clock: new VirtualClock(T0),
      invoke: async () => {
        throw new Error('throttled');
      },
    });

    await expect(run).rejects.toThrow('throttled');
    expect(saved.pending.map((p) => p.effect.id)).toEqual(['A#1.0']);
  });

  it('calls onStep after each task result with a serialisable state', async () => {
    const graph = graphOf('A', { A: task('a', { Next: 'B' }), B: task('b') });
    const snapshots: JsonValue[] = [];

    await runExecution(
      graph,
      { executionId: 's', input: {}, startTime: T0 },
      {
        clock: new VirtualClock(T0),
        invoke: async (effect): Promise<InvokeOutcome> => ({ ok: true, output: effect.resource }),
        onStep: (step) => {
          snapshots.push(roundTrip(step.state.root.state));
        },
      },
    );

    expect(snapshots).toEqual(['B', 'B']);
  });

  it('calls onStep when a Parallel branch ends on a timer, before the other branch finishes', async () => {
    // Prepare
    const graph = graphOf('P', {
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 1, End: true } } },
          { StartAt: 'Work', States: { Work: task('work') } },
        ],
        End: true,
      },
    });
    const clock = new VirtualClock(T0);
    const steps: { at: number; types: string[] }[] = [];

    // Act
    await runExecution(
      graph,
      { executionId: 'pb', input: {}, startTime: T0 },
      {
        clock,
        invoke: async (): Promise<InvokeOutcome> => {
          await clock.sleep(5_000);
          return { ok: true, output: 'worked' };
        },
        onStep: (step) => {
          steps.push({ at: clock.now() - T0, types: step.history.map((h) => h.type) });
        },
      },
    );

    // Assess
    expect(steps.map((s) => [s.at, s.types.filter((t) => t.startsWith('ParallelBranch'))])).toEqual([
      [1_000, ['ParallelBranchSucceeded']],
      [5_000, ['ParallelBranchSucceeded']],
    ]);
  });
});
