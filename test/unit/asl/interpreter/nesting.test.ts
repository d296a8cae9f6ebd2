import { describe, expect, it } from 'vitest';
import type { InvokeEffect, InvokeOutcome } from '../../../../router/asl/interpreter/index.ts';
import { drive, echo, graphOf, outline, roundTrip, task } from './helpers.ts';

const nested = () =>
  graphOf('Outer', {
    Outer: {
      Type: 'Map',
      ItemsPath: '$.groups',
      ItemProcessor: {
        StartAt: 'Inner',
        States: {
          Inner: {
            Type: 'Map',
            ItemsPath: '$.members',
            ItemProcessor: {
              StartAt: 'Check',
              States: {
                Check: {
                  Type: 'Choice',
                  Choices: [{ Variable: '$', StringEquals: 'bad', Next: 'Reject' }],
                  Default: 'Call',
                },
                Call: task('member'),
                Reject: { Type: 'Fail', Error: 'Member.Bad', Cause: 'a bad member' },
              },
            },
            End: true,
          },
        },
      },
      End: true,
    },
  });

describe('nested Map and Parallel', () => {
  it('runs a Map inside a Map, results nested in order', () => {
    const run = drive(nested(), { groups: [{ members: ['a', 'b'] }, { members: ['c'] }] }, echo);

    expect(run.state.output).toEqual([['a', 'b'], ['c']]);
    expect(run.invokes.map((i) => i.idempotencyKey)).toEqual([
      'exec-1:Outer#1[0]/Inner#1[0]/Call#1',
      'exec-1:Outer#1[0]/Inner#1[1]/Call#1',
      'exec-1:Outer#1[1]/Inner#1[0]/Call#1',
    ]);
  });

  it('fails the outer Map with a Fail state error from deep inside, cancelling every invoke still in flight', () => {
    // Prepare: group 0 has invokes in flight; group 1 reaches a Fail state at once.
    const graph = nested();

    // Act
    const run = drive(
      graph,
      { groups: [{ members: ['a', 'b'] }, { members: ['c', 'bad'] }] },
      () => undefined,
    );

    // Assess
    expect([run.state.status, run.state.error, run.state.cause]).toEqual([
      'FAILED',
      'Member.Bad',
      'a bad member',
    ]);
    expect(run.cancels.sort()).toEqual([
      'Outer#1.0[0]/Inner#1.0[0]/Call#1.0',
      'Outer#1.0[0]/Inner#1.0[1]/Call#1.0',
      'Outer#1.0[1]/Inner#1.0[0]/Call#1.0',
    ]);
    expect(run.state.pending).toEqual([]);
    expect(outline(run.history).filter((line) => line.startsWith('Map'))).toContain(
      'MapIterationAborted Outer#1.0[0]/Outer',
    );
  });

  it('fails a Parallel state with the error of a Fail state in one branch', () => {
    const graph = graphOf('P', {
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Ok', States: { Ok: { Type: 'Pass', End: true } } },
          { StartAt: 'No', States: { No: { Type: 'Fail', Error: 'Branch.No', Cause: 'refused' } } },
        ],
        Catch: [{ ErrorEquals: ['Branch.No'], Next: 'Handled', ResultPath: '$.why' }],
        End: true,
      },
      Handled: { Type: 'Pass', End: true },
    });

    const run = drive(graph, { in: 1 }, echo);

    expect(run.state.output).toEqual({ in: 1, why: { Error: 'Branch.No', Cause: 'refused' } });
  });
});

describe('determinism', () => {
  it('gives the same state, effects and history on a replay of the same events', () => {
    // Prepare: randomness, jitter and tokens all draw from the execution id.
    const graph = graphOf(
      'Draw',
      {
        Draw: {
          Type: 'Pass',
          Parameters: { 'n.$': 'States.MathRandom(0, 1000)', 'id.$': 'States.UUID()' },
          Next: 'Call',
        },
        Call: task('x.waitForTaskToken', {
          Parameters: { 'token.$': '$$.Task.Token', 'n.$': '$.n' },
          Retry: [{ ErrorEquals: ['States.ALL'], JitterStrategy: 'FULL', MaxAttempts: 2 }],
        }),
      },
      { taskTokenSecret: 'k' },
    );
    let calls = 0;
    const handler = (effect: InvokeEffect): InvokeOutcome => {
      calls += 1;
      return calls % 3 === 0 ? { ok: true, output: effect.input } : { ok: false, error: 'E', cause: 'c' };
    };

    // Act
    calls = 0;
    const first = drive(graph, {}, handler, { executionId: 'replay' });
    calls = 0;
    const second = drive(graph, {}, handler, { executionId: 'replay' });

    // Assess
    expect(first.state.status).toBe('SUCCEEDED');
    expect(JSON.stringify(second.state)).toBe(JSON.stringify(first.state));
    expect(second.history).toEqual(first.history);
    expect(second.invokes).toEqual(first.invokes);
    expect(roundTrip(first.state)).toEqual(first.state);
  });
});
