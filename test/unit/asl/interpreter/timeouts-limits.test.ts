import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  DEFAULT_MAX_TRANSITIONS,
  type InvokeEffect,
  runExecution,
  startExecution,
  VirtualClock,
} from '../../../../router/asl/interpreter/index.ts';
import { drive, echo, graphOf, outline, T0, task } from './helpers.ts';

describe('Task timeouts and heartbeats', () => {
  it('fails with States.Timeout after TimeoutSeconds and cancels the invoke', () => {
    const graph = graphOf('T', { T: task('slow', { TimeoutSeconds: 5 }) });

    const run = drive(graph, {}, () => undefined);

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.Timeout']);
    expect(run.state.cause).toBe("Task state 'T' did not finish within 5 seconds (TimeoutSeconds)");
    expect(run.now).toBe(T0 + 5_000);
    expect(run.cancels).toEqual(['T#1.0']);
    expect(run.invokes[0]?.timeoutSeconds).toBe(5);
    expect(outline(run.history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered T',
      'TaskScheduled T',
      'TaskTimedOut T',
      'ExecutionFailed',
    ]);
  });

  it('reads TimeoutSecondsPath from the input and retries a timed-out attempt (runtime aborts the invoke)', async () => {
    // Prepare: the first attempt takes 10 s against a 3 s timeout; the retry answers at once.
    const graph = graphOf('T', {
      T: task('slow', {
        TimeoutSecondsPath: '$.timeout',
        Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 1, MaxAttempts: 1 }],
      }),
    });
    const clock = new VirtualClock(T0);
    const aborted: string[] = [];
    const invoke = async (effect: InvokeEffect, signal: AbortSignal) => {
      signal.addEventListener('abort', () => aborted.push(effect.id), { once: true });
      if (effect.attempt === 0) await clock.sleep(10_000, signal);
      return { ok: true as const, output: { attempt: effect.attempt } };
    };

    // Act
    const result = await runExecution(
      graph,
      { executionId: 't', input: { timeout: 3 }, startTime: T0 },
      {
        invoke,
        clock,
      },
    );

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.status === 'SUCCEEDED' ? result.output : undefined).toEqual({ attempt: 1 });
    expect(aborted).toEqual(['T#1.0']);
    expect(clock.now()).toBe(T0 + 4_000);
  });

  it('keeps a task alive while heartbeats arrive and fails with States.HeartbeatTimeout when they stop', () => {
    // Prepare
    const graph = graphOf('T', {
      T: task('cb', {
        HeartbeatSeconds: 2,
        Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], Next: 'Lost', ResultPath: '$.lost' }],
      }),
      Lost: { Type: 'Pass', End: true },
    });
    const start = startExecution(graph, { executionId: 'h', input: {}, startTime: T0 }, T0);
    const id = 'T#1.0';

    // Act
    const beat = applyEvent(graph, start.state, { type: 'TaskHeartbeat', id }, T0 + 1_500);
    const staleTimer = applyEvent(graph, beat.state, { type: 'TimerFired', id: `${id}:hb0` }, T0 + 2_000);
    const lost = applyEvent(graph, staleTimer.state, { type: 'TimerFired', id: `${id}:hb1` }, T0 + 3_500);

    // Assess
    expect(start.effects).toContainEqual({
      type: 'timer',
      id: `${id}:hb0`,
      dueAt: T0 + 2_000,
      reason: 'heartbeat',
    });
    expect(beat.effects).toEqual([
      { type: 'cancel', id: `${id}:hb0` },
      { type: 'timer', id: `${id}:hb1`, dueAt: T0 + 3_500, reason: 'heartbeat' },
    ]);
    expect(staleTimer.history).toEqual([]);
    expect(lost.effects).toEqual([{ type: 'cancel', id }]);
    expect(lost.state.status).toBe('SUCCEEDED');
    expect(lost.state.output).toMatchObject({ lost: { Error: 'States.HeartbeatTimeout' } });
  });

  it('ignores a late result for an invoke that has already timed out', () => {
    const graph = graphOf('T', {
      T: task('slow', { TimeoutSeconds: 1, Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Late' }] }),
      Late: { Type: 'Wait', Seconds: 100, End: true },
    });
    const start = startExecution(graph, { executionId: 'l', input: {}, startTime: T0 }, T0);
    const timedOut = applyEvent(graph, start.state, { type: 'TimerFired', id: 'T#1.0:timeout' }, T0 + 1_000);
    const before = JSON.stringify(timedOut.state);

    const late = applyEvent(
      graph,
      timedOut.state,
      { type: 'TaskSucceeded', id: 'T#1.0', output: 1 },
      T0 + 2_000,
    );

    expect(late.effects).toEqual([]);
    expect(late.history).toEqual([]);
    expect(JSON.stringify(late.state)).toBe(before);
  });

  it('times the whole execution out after the state machine TimeoutSeconds', () => {
    const graph = graphOf('W', { W: { Type: 'Wait', Seconds: 120, End: true } }, {}, { TimeoutSeconds: 60 });

    const run = drive(graph, {}, echo);

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.Timeout']);
    expect(run.now).toBe(T0 + 60_000);
    expect(run.cancels).toEqual(['W#1:wait']);
    expect(outline(run.history).at(-1)).toBe('ExecutionTimedOut');
    expect(run.state.pending).toEqual([]);
  });
});

describe('limits', () => {
  it('fails an endless Pass/Choice loop at the transition limit with States.Runtime naming the limit', () => {
    // Prepare
    const graph = graphOf('Spin', {
      Spin: { Type: 'Pass', Next: 'Again?' },
      'Again?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }],
        Default: 'Spin',
      },
      Done: { Type: 'Succeed' },
    });

    // Act
    const run = drive(graph, {}, echo);

    // Assess
    expect(run.state.status).toBe('FAILED');
    expect(run.state.error).toBe('States.Runtime');
    expect(run.state.cause).toContain(`limit of ${DEFAULT_MAX_TRANSITIONS} state transitions`);
    expect(run.state.transitions).toBe(DEFAULT_MAX_TRANSITIONS + 1);
    expect(outline(run.history).at(-1)).toBe('ExecutionFailed');
  });

  it('honours options.maxTransitions', () => {
    const graph = graphOf('Spin', { Spin: { Type: 'Pass', Next: 'Spin' } }, { maxTransitions: 10 });

    expect(drive(graph, {}, echo).state.cause).toContain('limit of 10 state transitions');
  });

  it('fails with States.DataLimitExceeded when a task result exceeds maxPayloadBytes (not caught by States.ALL)', () => {
    const graph = graphOf(
      'T',
      {
        T: task('big', { Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }] }),
        Caught: { Type: 'Succeed' },
      },
      { maxPayloadBytes: 1_000 },
    );

    const run = drive(graph, {}, () => ({ ok: true, output: 'x'.repeat(2_000) }));

    expect(run.state.status).toBe('FAILED');
    expect(run.state.error).toBe('States.DataLimitExceeded');
    expect(run.state.cause).toContain('above the limit of 1000 bytes');
  });

  it('catches States.DataLimitExceeded when named explicitly, and checks multi-byte text by UTF-8 size', () => {
    const graph = graphOf(
      'T',
      {
        T: task('big', { Catch: [{ ErrorEquals: ['States.DataLimitExceeded'], Next: 'Caught' }] }),
        Caught: { Type: 'Pass', Result: 'caught', End: true },
      },
      { maxPayloadBytes: 1_000 },
    );

    // 400 three-byte characters: 400 UTF-16 units but 1,202 bytes of JSON.
    const run = drive(graph, {}, () => ({ ok: true, output: '€'.repeat(400) }));
    const small = drive(graph, {}, () => ({ ok: true, output: '€'.repeat(300) }));

    expect(run.state.output).toBe('caught');
    expect(small.state.output).toBe('€'.repeat(300));
  });

  it('rejects an execution input above the limit at the start', () => {
    const graph = graphOf('P', { P: { Type: 'Pass', End: true } }, { maxPayloadBytes: 100 });

    const run = drive(graph, { text: 'y'.repeat(200) }, echo);

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(run.state.transitions).toBe(0);
  });
});
