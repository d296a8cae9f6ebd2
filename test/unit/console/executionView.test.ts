/**
 * What the console draws for an execution, from a real interpreter run: the graph model of the parsed
 * graph (scopes for Map items and Parallel branches), every state visit with the status it is coloured
 * in, the error and cause of the failed one, and the work the Cost page prices.
 */
import { describe, expect, it } from 'vitest';
import { compileGraph, type EngineGraph } from '../../../router/asl/index.ts';
import { costOf } from '../../../router/console/cost.ts';
import { threadScope, visitsOf } from '../../../router/console/executionView.ts';
import { graphModel } from '../../../router/console/graphView.ts';
import { appendHistory } from '../../../router/executions/index.ts';
import { drive, T0, task } from '../asl/interpreter/helpers.ts';

/** Items fan out (item 1 fails once and is retried), Pay's decline is caught, Finish fails uncaught. */
const GRAPH: EngineGraph = {
  StartAt: 'Fan',
  States: {
    Fan: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'Work',
        States: {
          Work: task('work', { Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 2 }] }),
        },
      },
      ResultPath: '$.fan',
      Next: 'Pay',
    },
    Pay: task('pay', { Catch: [{ ErrorEquals: ['Declined'], Next: 'Sorry' }], Next: 'Never' }),
    Sorry: { Type: 'Pass', Next: 'Finish' },
    Finish: task('finish'),
    Never: { Type: 'Succeed' },
  },
};

function run() {
  let flaky = true;
  return drive(compileGraph(GRAPH), { items: ['a', 'b'] }, (effect) => {
    if (effect.resource === 'work') {
      if (effect.input === 'b' && flaky) {
        flaky = false;
        return { ok: false, error: 'Flaky', cause: 'try again' };
      }
      return { ok: true, output: effect.input };
    }
    if (effect.resource === 'pay') return { ok: false, error: 'Declined', cause: 'card declined' };
    return { ok: false, error: 'Broken', cause: 'the finisher broke' };
  });
}

describe('the console execution view', () => {
  it('models the graph with a scope per Map item processor and Parallel branch', () => {
    // Act
    const model = graphModel({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'L', States: { L: { Type: 'Pass', End: true } } },
            { StartAt: 'R', States: { R: { Type: 'Pass', End: true } } },
          ],
          End: true,
        },
      },
    });

    // Assess
    expect(model.scopes.map((s) => [s.id, s.owner ?? null])).toEqual([
      ['', null],
      ['Both/0', 'Both'],
      ['Both/1', 'Both'],
    ]);
    expect(model.nodes.find((n) => n.id === 'Both')?.children).toEqual(['Both/0', 'Both/1']);
    expect(model.nodes.map((n) => n.id)).toContain('Both/1/R');
    expect(model.edges).toContainEqual({ from: 'Both/1/(start)', to: 'Both/1/R', kind: 'next' });
  });

  it('places a history thread in its scope: a Map item in the processor, a Parallel branch in its own', () => {
    const types = new Map([
      ['Fan', 'Map'],
      ['Both', 'Parallel'],
    ]);
    const typeOf = (id: string) => types.get(id);

    expect(threadScope('', typeOf)).toEqual({ scope: '', items: [] });
    expect(threadScope('Fan#1.0[2]/', typeOf)).toEqual({ scope: 'Fan/*', items: [2] });
    expect(threadScope('Both#1.0[1]/', typeOf)).toEqual({ scope: 'Both/1', items: [1] });
  });

  it('colours each visit by what happened: retried item, caught decline, failed finish with its cause', () => {
    // Prepare
    const { history, state } = run();
    const model = graphModel(GRAPH);

    // Act
    const visits = visitsOf(history, model);

    // Assess
    expect(state.status).toBe('FAILED');
    expect(visits.map((v) => [v.node, v.items, v.status, v.retries])).toEqual([
      ['Fan', [], 'succeeded', 0],
      ['Fan/*/Work', [0], 'succeeded', 0],
      ['Fan/*/Work', [1], 'retried', 1],
      ['Pay', [], 'caught', 0],
      ['Sorry', [], 'succeeded', 0],
      ['Finish', [], 'failed', 0],
    ]);
    expect(visits.find((v) => v.node === 'Finish')).toMatchObject({
      error: 'Broken',
      cause: 'the finisher broke',
    });
    expect(visits.find((v) => v.node === 'Pay')).toMatchObject({ error: 'Declined', cause: 'card declined' });
    expect(visits.some((v) => v.node === 'Never')).toBe(false);
  });

  it('counts the work the Cost page prices: transitions, invocations, store writes', () => {
    // Prepare
    const { history } = run();
    const stored = appendHistory(undefined, history);
    const at = new Date(T0).toISOString();

    // Act
    const cost = costOf({
      engine: 'orders',
      dedupKey: 'shop/orders#1',
      executionId: 'orders:abc',
      version: 1,
      mode: 'standard',
      status: 'FAILED',
      rev: 3,
      startedAt: at,
      updatedAt: at,
      ...(stored === undefined ? {} : { history: stored }),
    });

    // Assess: Fan, two Work items, Pay, Sorry, Finish; work three times (one retry), pay, finish.
    expect(cost).toMatchObject({ transitions: 6, invocations: 5, storeWrites: 3, storeReads: 1 });
    expect(cost.standardUsd).toBeGreaterThan(6 * 0.000025);
    expect(cost.standardUsd).toBeLessThan(6 * 0.000025 + 0.000002);
    expect(cost.expressUsd).toBeLessThan(cost.standardUsd);
  });
});
