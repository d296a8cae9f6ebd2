import { describe, expect, it } from 'vitest';
import type { InvokeEffect } from '../../../../router/asl/interpreter/index.ts';
import { drive, graphOf, outline, T0, task } from './helpers.ts';

const fail = (error: string, cause = 'boom') => ({ ok: false as const, error, cause });

/** Fails the first `failures` invokes with `error`, then succeeds with `{ done: attempt }`. */
function flaky(failures: number, error = 'Step.Flaky') {
  const calls: { at: number; effect: InvokeEffect }[] = [];
  const handler = (effect: InvokeEffect, now: number) => {
    calls.push({ at: now, effect });
    return calls.length <= failures ? fail(error) : { ok: true as const, output: { done: effect.attempt } };
  };
  return { calls, handler };
}

describe('Retry', () => {
  it('waits IntervalSeconds x BackoffRate^n between attempts (2 s, 4 s, 8 s)', () => {
    // Prepare
    const graph = graphOf('T', {
      T: task('t', {
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }],
      }),
    });
    const { calls, handler } = flaky(3);

    // Act
    const run = drive(graph, {}, handler);

    // Assess
    expect(run.state.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.at - T0)).toEqual([0, 2_000, 6_000, 14_000]);
    expect(calls.map((c) => [c.effect.id, c.effect.attempt, c.effect.idempotencyKey])).toEqual([
      ['T#1.0', 0, 'exec-1:T#1'],
      ['T#1.1', 1, 'exec-1:T#1'],
      ['T#1.2', 2, 'exec-1:T#1'],
      ['T#1.3', 3, 'exec-1:T#1'],
    ]);
    expect(run.state.output).toEqual({ done: 3 });
    expect(outline(run.history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered T',
      'TaskScheduled T',
      'TaskFailed T',
      'TaskRetry T',
      'TaskScheduled T',
      'TaskFailed T',
      'TaskRetry T',
      'TaskScheduled T',
      'TaskFailed T',
      'TaskRetry T',
      'TaskScheduled T',
      'TaskSucceeded T',
      'TaskStateExited T',
      'ExecutionSucceeded',
    ]);
  });

  it('caps the delay at MaxDelaySeconds', () => {
    const graph = graphOf('T', {
      T: task('t', {
        Retry: [
          {
            ErrorEquals: ['States.ALL'],
            IntervalSeconds: 2,
            BackoffRate: 2,
            MaxAttempts: 4,
            MaxDelaySeconds: 5,
          },
        ],
      }),
    });
    const { calls, handler } = flaky(4);

    drive(graph, {}, handler);

    expect(calls.map((c) => c.at - T0)).toEqual([0, 2_000, 6_000, 11_000, 16_000]);
  });

  it('applies the defaults: 1 s, rate 2, 3 attempts', () => {
    const graph = graphOf('T', { T: task('t', { Retry: [{ ErrorEquals: ['States.ALL'] }] }) });
    const { calls, handler } = flaky(10);

    const run = drive(graph, {}, handler);

    expect(calls.map((c) => c.at - T0)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(run.state.error).toBe('Step.Flaky');
  });

  it('draws FULL jitter between 0 and the computed delay, the same on every replay', () => {
    const graph = graphOf('T', {
      T: task('t', {
        Retry: [
          {
            ErrorEquals: ['States.ALL'],
            IntervalSeconds: 10,
            BackoffRate: 2,
            MaxAttempts: 5,
            JitterStrategy: 'FULL',
          },
        ],
      }),
    });
    const delays = (executionId: string): number[] => {
      const { calls, handler } = flaky(5);
      drive(graph, {}, handler, { executionId });
      return calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));
    };

    const first = delays('jitter-1');

    expect(first).toHaveLength(5);
    first.forEach((delay, n) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(10_000 * 2 ** n);
    });
    expect(delays('jitter-1')).toEqual(first);
    expect(delays('jitter-2')).not.toEqual(first);
  });

  it('never retries with MaxAttempts 0', () => {
    const graph = graphOf('T', {
      T: task('t', { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 0 }] }),
    });
    const { calls, handler } = flaky(1);

    const run = drive(graph, {}, handler);

    expect(calls).toHaveLength(1);
    expect(run.state.error).toBe('Step.Flaky');
  });

  it('uses only the first matching retrier, counting attempts per retrier', () => {
    // Prepare: the specific retrier allows 1 retry; the later States.ALL one is never consulted for A.
    const graph = graphOf('T', {
      T: task('t', {
        Retry: [
          { ErrorEquals: ['A'], MaxAttempts: 1, IntervalSeconds: 1 },
          { ErrorEquals: ['States.ALL'], MaxAttempts: 5, IntervalSeconds: 1 },
        ],
      }),
    });
    const errors = ['A', 'B', 'B', 'A'];
    const seen: string[] = [];

    // Act
    const run = drive(graph, {}, () => {
      const error = errors[seen.length] ?? 'none';
      seen.push(error);
      return fail(error);
    });

    // Assess: A (retry 1 of A), B (1 of ALL), B (2 of ALL), A (A exhausted) -> fails with A.
    expect(seen).toEqual(['A', 'B', 'B', 'A']);
    expect(run.state.error).toBe('A');
  });

  it('resets retry counts when the state is left and entered again', () => {
    const graph = graphOf('T', {
      T: task('t', {
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1, IntervalSeconds: 1 }],
        Next: 'Again?',
      }),
      'Again?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.round', NumericLessThan: 2, Next: 'T' }],
        Default: 'Done',
      },
      Done: { Type: 'Succeed' },
    });
    let round = 0;
    let failedThisRound = false;

    const run = drive(graph, {}, () => {
      if (!failedThisRound) {
        failedThisRound = true;
        return fail('Again');
      }
      failedThisRound = false;
      round += 1;
      return { ok: true, output: { round } };
    });

    expect(run.state.status).toBe('SUCCEEDED');
    expect(round).toBe(2);
  });

  it('exposes the attempt as $$.State.RetryCount', () => {
    const graph = graphOf('T', {
      T: task('t', {
        Parameters: { 'n.$': '$$.State.RetryCount' },
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2, IntervalSeconds: 1 }],
      }),
    });
    const inputs: unknown[] = [];

    drive(graph, {}, (effect) => {
      inputs.push(effect.input);
      return inputs.length < 3 ? fail('X') : { ok: true, output: 1 };
    });

    expect(inputs).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });
});

describe('Catch', () => {
  it('goes to Next with { Error, Cause } placed by ResultPath on the raw input', () => {
    const graph = graphOf('T', {
      T: task('t', {
        InputPath: '$.order',
        Catch: [{ ErrorEquals: ['Order.Invalid'], Next: 'Fix', ResultPath: '$.error' }],
      }),
      Fix: { Type: 'Pass', End: true },
    });

    const run = drive(graph, { order: { id: 1 } }, () => fail('Order.Invalid', 'no lines'));

    expect(run.state.output).toEqual({
      order: { id: 1 },
      error: { Error: 'Order.Invalid', Cause: 'no lines' },
    });
    expect(outline(run.history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered T',
      'TaskScheduled T',
      'TaskFailed T',
      'TaskStateExited T',
      'PassStateEntered Fix',
      'PassStateExited Fix',
      'ExecutionSucceeded',
    ]);
  });

  it('replaces the input with the error object by default, after retries are exhausted', () => {
    const graph = graphOf('T', {
      T: task('t', {
        Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1, IntervalSeconds: 1 }],
        Catch: [
          { ErrorEquals: ['Other'], Next: 'Wrong' },
          { ErrorEquals: ['States.ALL'], Next: 'Handled' },
        ],
      }),
      Wrong: { Type: 'Fail', Error: 'wrong catcher' },
      Handled: { Type: 'Pass', End: true },
    });
    const { calls, handler } = flaky(5, 'Step.Broken');

    const run = drive(graph, { a: 1 }, handler);

    expect(calls).toHaveLength(2);
    expect(run.state.output).toEqual({ Error: 'Step.Broken', Cause: 'boom' });
  });

  it('never catches States.Runtime, even with States.ALL', () => {
    const graph = graphOf('T', {
      T: task('t', {
        Parameters: { 'v.$': '$.nope' },
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
      }),
      Handled: { Type: 'Succeed' },
    });

    const run = drive(graph, {}, () => ({ ok: true, output: 1 }));

    expect(run.state.status).toBe('FAILED');
    expect(run.state.error).toBe('States.Runtime');
  });

  it('applies Retry and Catch of a Parallel state to a branch failure', () => {
    // Prepare
    const graph = graphOf('Fan', {
      Fan: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'B', States: { B: task('b') } }],
        Retry: [{ ErrorEquals: ['Branch.Error'], MaxAttempts: 1, IntervalSeconds: 3 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Recover', ResultPath: '$.failure' }],
        End: true,
      },
      Recover: { Type: 'Pass', End: true },
    });
    const { calls, handler } = flaky(2, 'Branch.Error');

    // Act
    const run = drive(graph, { x: 1 }, handler);

    // Assess
    expect(calls.map((c) => [c.at - T0, c.effect.id, c.effect.idempotencyKey])).toEqual([
      [0, 'Fan#1.0[0]/B#1.0', 'exec-1:Fan#1[0]/B#1'],
      [3_000, 'Fan#1.1[0]/B#1.0', 'exec-1:Fan#1[0]/B#1'],
    ]);
    expect(run.state.output).toEqual({ x: 1, failure: { Error: 'Branch.Error', Cause: 'boom' } });
  });
});

describe('Retry on Map', () => {
  it('re-runs the whole Map after a failed item, keeping the items idempotency keys', () => {
    // Prepare
    const graph = graphOf('Each', {
      Each: {
        Type: 'Map',
        ItemProcessor: { StartAt: 'Item', States: { Item: task('item') } },
        Retry: [{ ErrorEquals: ['Item.Failed'], IntervalSeconds: 1, MaxAttempts: 1 }],
        End: true,
      },
    });
    let failures = 0;

    // Act
    const run = drive(graph, ['a', 'b'], (effect) => {
      if (effect.input === 'b' && failures === 0) {
        failures += 1;
        return fail('Item.Failed');
      }
      return { ok: true, output: effect.input };
    });

    // Assess
    expect(run.state.output).toEqual(['a', 'b']);
    expect(run.invokes.map((i) => [i.id, i.idempotencyKey])).toEqual([
      ['Each#1.0[0]/Item#1.0', 'exec-1:Each#1[0]/Item#1'],
      ['Each#1.0[1]/Item#1.0', 'exec-1:Each#1[1]/Item#1'],
      ['Each#1.1[0]/Item#1.0', 'exec-1:Each#1[0]/Item#1'],
      ['Each#1.1[1]/Item#1.0', 'exec-1:Each#1[1]/Item#1'],
    ]);
  });
});
