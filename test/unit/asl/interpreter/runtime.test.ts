import { describe, expect, it } from 'vitest';
import {
  type InvokeEffect,
  type InvokeOutcome,
  runExecution,
  SharedSignal,
  UNCANCELLABLE_SIGNAL,
  VirtualClock,
} from '../../../../router/asl/interpreter/index.ts';
import { graphOf, outline, T0, task } from './helpers.ts';

describe('runExecution', () => {
  it('bounds the invokes running at once with maxConcurrentInvokes', async () => {
    // Prepare
    const graph = graphOf('Each', {
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: task('t') } }, End: true },
    });
    const clock = new VirtualClock(T0);
    let running = 0;
    let most = 0;
    const invoke = async (effect: InvokeEffect): Promise<InvokeOutcome> => {
      running += 1;
      most = Math.max(most, running);
      await clock.sleep(1_000);
      running -= 1;
      return { ok: true, output: effect.input };
    };

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'b', input: [1, 2, 3, 4, 5, 6, 7], startTime: T0 },
      {
        clock,
        invoke,
        maxConcurrentInvokes: 3,
      },
    );

    // Assess
    expect(result.status === 'SUCCEEDED' ? result.output : result.status).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
    expect(clock.now()).toBe(T0 + 3_000);
  });

  it('applies outcomes an invoker returns at once, even behind a long queue of invokes', async () => {
    // Prepare: the first two invokes wait, so the other 11,998 queue up; each of those answers at once.
    const graph = graphOf('Each', {
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: task('t') } }, End: true },
    });
    const clock = new VirtualClock(T0);
    const items = Array.from({ length: 12_000 }, (_, i) => i);
    let calls = 0;
    const invoke = (effect: InvokeEffect): InvokeOutcome | Promise<InvokeOutcome> => {
      calls += 1;
      const outcome: InvokeOutcome = { ok: true, output: (effect.input as number) * 2 };
      return calls <= 2 ? clock.sleep(1_000).then(() => outcome) : outcome;
    };

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'q', input: items, startTime: T0 },
      { clock, invoke, maxConcurrentInvokes: 2, history: false },
    );

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.status === 'SUCCEEDED' ? result.output : null).toEqual(items.map((i) => i * 2));
    expect(calls).toBe(items.length);
  });

  it('queues the outcomes of invokes in the order they ended, answered at once or not', async () => {
    // Prepare: one invoke at a time; the first waits, the ones it lets start answer at once.
    const graph = graphOf('Each', {
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: task('t') } }, End: true },
    });
    const clock = new VirtualClock(T0);
    let calls = 0;
    const invoke = (effect: InvokeEffect): InvokeOutcome | Promise<InvokeOutcome> => {
      calls += 1;
      const outcome: InvokeOutcome = { ok: true, output: effect.input };
      return calls === 1 ? clock.sleep(1_000).then(() => outcome) : outcome;
    };

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'o', input: [0, 1, 2, 3], startTime: T0 },
      { clock, invoke, maxConcurrentInvokes: 1 },
    );

    // Assess
    const succeeded = result.history.filter((e) => e.type === 'TaskSucceeded').map((e) => e.thread);
    expect(succeeded).toEqual(['Each#1.0[0]/', 'Each#1.0[1]/', 'Each#1.0[2]/', 'Each#1.0[3]/']);
  });

  it('keeps no history when asked to, with the same outcome', async () => {
    // Prepare
    const graph = graphOf('Each', {
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: task('t') } }, Next: 'Last' },
      Last: task('t'),
    });
    const invoke = async (effect: InvokeEffect): Promise<InvokeOutcome> => ({
      ok: true,
      output: effect.input,
    });
    const run = (history: boolean) =>
      runExecution(
        graph,
        { executionId: 'h', input: [1, 2, 3], startTime: T0 },
        { clock: new VirtualClock(T0), invoke, history },
      );

    // Act
    const kept = await run(true);
    const none = await run(false);

    // Assess
    expect(kept.history.length).toBeGreaterThan(5);
    expect(none.history).toEqual([]);
    expect(none.status).toBe('SUCCEEDED');
    expect(none.status === 'SUCCEEDED' ? none.output : undefined).toEqual(
      kept.status === 'SUCCEEDED' ? kept.output : 'kept failed',
    );
  });

  it('times the execution out while a task is in flight, aborting the invoke', async () => {
    // Prepare
    const graph = graphOf('T', { T: task('slow') }, {}, { TimeoutSeconds: 30 });
    const clock = new VirtualClock(T0);
    let aborted = false;

    // Act
    const result = await runExecution(
      graph,
      { executionId: 'to', input: {}, startTime: T0 },
      {
        clock,
        invoke: async (_effect, signal): Promise<InvokeOutcome> => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
          await clock.sleep(3_600_000, signal);
          return { ok: true, output: 'late' };
        },
      },
    );

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.status === 'FAILED' ? result.error : undefined).toBe('States.Timeout');
    expect(aborted).toBe(true);
    expect(clock.now()).toBe(T0 + 30_000);
    expect(outline(result.history).at(-1)).toBe('ExecutionTimedOut');
  });

  it('keeps only the latest historyLimit events', async () => {
    const graph = graphOf(
      'Loop',
      {
        Loop: { Type: 'Pass', Next: 'Again?' },
        'Again?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.done', IsPresent: true, Next: 'End' }],
          Default: 'Loop',
        },
        End: { Type: 'Succeed' },
      },
      { maxTransitions: 500 },
    );

    const result = await runExecution(
      graph,
      { executionId: 'h', input: {}, startTime: T0 },
      {
        clock: new VirtualClock(T0),
        invoke: async (): Promise<InvokeOutcome> => ({ ok: true, output: null }),
        historyLimit: 50,
      },
    );

    expect(result.history).toHaveLength(50);
    expect(result.history.at(-1)?.type).toBe('ExecutionFailed');
    expect(result.history.at(-1)?.id).toBe(result.state.events);
  });

  it('returns WAITING on a callback with the nearest timer as dueAt (a heartbeat further than the in-process bound)', async () => {
    const graph = graphOf(
      'Cb',
      { Cb: task('x.waitForTaskToken', { HeartbeatSeconds: 600 }) },
      { taskTokenSecret: 'k' },
    );

    const result = await runExecution(
      graph,
      { executionId: 'w', input: {}, startTime: T0 },
      {
        clock: new VirtualClock(T0),
        invoke: async (): Promise<InvokeOutcome> => ({ pending: 'callback' }),
        maxInProcessWaitMs: 60_000,
      },
    );

    expect(result).toMatchObject({ status: 'WAITING', waitingFor: 'callback', dueAt: T0 + 600_000 });
    expect(result.state.pending.find((p) => p.effect.type === 'invoke')?.submitted).toBe(true);
  });

  it('rejects with the error of a throwing onStep (a lost lease) and aborts the invokes still running', async () => {
    // Prepare
    const graph = graphOf('P', {
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Fast', States: { Fast: task('fast') } },
          { StartAt: 'Slow', States: { Slow: task('slow') } },
        ],
        End: true,
      },
    });
    const clock = new VirtualClock(T0);
    const aborted: string[] = [];

    // Act
    const run = runExecution(
      graph,
      { executionId: 'lease', input: {}, startTime: T0 },
      {
        clock,
        invoke: async (effect, signal): Promise<InvokeOutcome> => {
          // As the SDK does: listen while the invoke runs, not after (branches share one signal).
          const onAbort = () => aborted.push(effect.resource);
          signal.addEventListener('abort', onAbort);
          try {
            if (effect.resource === 'slow') await clock.sleep(60_000, signal);
          } finally {
            signal.removeEventListener('abort', onAbort);
          }
          return { ok: true, output: effect.resource };
        },
        onStep: () => {
          throw new Error('lease lost');
        },
      },
    );

    // Assess
    await expect(run).rejects.toThrow('lease lost');
    expect(aborted).toEqual(['slow']);
  });

  it('waits in-process on a clock that can only sleep, and cancels the sleep a result makes needless', async () => {
    // Prepare: a Wait, then a Task whose 60 s timeout the result beats
    const graph = graphOf('W', {
      W: { Type: 'Wait', Seconds: 5, Next: 'T' },
      T: task('t', { TimeoutSeconds: 60 }),
    });
    const virtual = new VirtualClock(T0);
    const clock = {
      now: () => virtual.now(),
      sleep: (ms: number, signal?: AbortSignal) => virtual.sleep(ms, signal),
    };
    const invoke = async (effect: InvokeEffect): Promise<InvokeOutcome> => {
      await virtual.sleep(1_000);
      return { ok: true, output: effect.resource };
    };

    // Act
    const result = await runExecution(
      graph,
      { executionId: 's', input: {}, startTime: T0 },
      { clock, invoke },
    );

    // Assess
    expect(result.status === 'SUCCEEDED' ? result.output : result.status).toBe('t');
    expect(virtual.now()).toBe(T0 + 6_000);
    expect(virtual.pending).toBe(0);
  });
});

describe('SharedSignal', () => {
  it("hands its runs' invokes the uncancellable signal and ends them as interrupted waits when it aborts", async () => {
    // Prepare
    const graph = graphOf('T', { T: task('slow') });
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const given: AbortSignal[] = [];
    let started: () => void = () => {};
    const invoking = new Promise<void>((resolve) => {
      started = resolve;
    });

    // Act
    const running = runExecution(
      graph,
      { executionId: 'shared', input: {}, startTime: T0 },
      {
        clock: new VirtualClock(T0),
        signal: shared,
        invoke: (_effect, signal): Promise<InvokeOutcome> => {
          given.push(signal);
          started();
          return new Promise<InvokeOutcome>(() => {});
        },
      },
    );
    await invoking;
    controller.abort();
    const result = await running;

    // Assess
    expect(given).toEqual([UNCANCELLABLE_SIGNAL]);
    expect(UNCANCELLABLE_SIGNAL.aborted).toBe(false);
    expect(result.status === 'WAITING' ? result.waitingFor : result.status).toBe('interrupted');
  });

  it('wakes, once, the runs that joined and have not left, in whatever slot they took', () => {
    // Prepare
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const woken: string[] = [];
    const run = (name: string) => ({ interrupt: () => woken.push(name) });
    const first = shared.join(run('first'));
    shared.join(run('second'));
    shared.leave(first);
    shared.join(run('third'));

    // Act
    controller.abort();
    controller.signal.dispatchEvent(new Event('abort'));

    // Assess
    expect(woken.sort()).toEqual(['second', 'third']);
  });
});
