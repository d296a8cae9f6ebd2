import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  type Clock,
  compileGraph,
  type ExecutionState,
  type InvokeEffect,
  type InvokeOutcome,
  type RunResult,
  runExecution,
  SharedSignal,
  VirtualClock,
} from '../../../router/asl/interpreter/index.ts';
import { executeGraph, RunScope, SAFETY_MARGIN_MS } from '../../../router/executions/execute.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');

/** Work (a Task), then Rest (a 5 s in-process Wait), then Finish (a Task). */
const graph = compileGraph({
  StartAt: 'Work',
  States: {
    Work: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:work', Next: 'Rest' },
    Rest: { Type: 'Wait', Seconds: 5, Next: 'Finish' },
    Finish: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:finish', End: true },
  },
});

const answer = async (effect: InvokeEffect): Promise<InvokeOutcome> => ({
  ok: true,
  output: effect.resource,
});

/** A promise and the function that resolves it, for waiting on an event rather than on time. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function roundTrip(state: ExecutionState): ExecutionState {
  return JSON.parse(JSON.stringify(state)) as ExecutionState;
}

function outputOf(result: RunResult): unknown {
  return result.status === 'SUCCEEDED' ? result.output : `${result.status} ${result.state.error ?? ''}`;
}

describe('the deadline of a batch', () => {
  it('ends every run in progress as WAITING (interrupted) with one listener on the shared signal, and each saved state resumes', async () => {
    // Prepare: runs blocked on an invoke that ignores its signal, and runs asleep on their Wait
    const controller = new AbortController();
    const shared = new SharedSignal(controller.signal);
    const virtual = new VirtualClock(T0, { auto: false });
    const blocked = 3;
    const asleep = 2;
    let waiting = 0;
    const allWaiting = deferred();
    const arrived = (): void => {
      waiting += 1;
      if (waiting === blocked + asleep) allWaiting.resolve();
    };
    const clock: Clock = {
      now: () => virtual.now(),
      sleep: (ms, signal) => virtual.sleep(ms, signal),
      timer: (ms, fire) => {
        arrived();
        return virtual.timer(ms, fire);
      },
    };
    const invoke = (effect: InvokeEffect, id: number): Promise<InvokeOutcome> => {
      if (id < blocked) {
        arrived();
        return new Promise<InvokeOutcome>(() => {});
      }
      return answer(effect);
    };
    const runs = Array.from({ length: blocked + asleep }, (_, id) =>
      executeGraph(
        graph,
        { kind: 'new', executionId: `e-${id}`, name: `e-${id}`, input: {}, startTime: T0 },
        { invoke: (effect) => invoke(effect, id), clock, maxInProcessWaitMs: 10_000, signal: shared },
      ),
    );
    await allWaiting.promise;
    const listeners = getEventListeners(controller.signal, 'abort').length;

    // Act
    controller.abort();
    const results = await Promise.all(runs);
    const resumed = await Promise.all(
      results.map((result) =>
        runExecution(graph, roundTrip(result.state), { clock: new VirtualClock(T0), invoke: answer }),
      ),
    );

    // Assess
    expect(listeners).toBe(1);
    expect(results.map((r) => (r.status === 'WAITING' ? r.waitingFor : r.status))).toEqual(
      Array(blocked + asleep).fill('interrupted'),
    );
    expect(results.map((r) => r.state.pending.map((p) => p.effect.type))).toEqual([
      ['invoke'],
      ['invoke'],
      ['invoke'],
      ['timer'],
      ['timer'],
    ]);
    expect(resumed.map(outputOf)).toEqual(
      Array(blocked + asleep).fill('arn:aws:lambda:us-east-1:000000000000:function:finish'),
    );
  });

  it('interrupts the runs of a scope whose deadline has already passed, keeping their first invoke pending', async () => {
    // Prepare
    const scope = new RunScope(
      { invoke: answer, clock: new VirtualClock(T0), maxInProcessWaitMs: 10_000 },
      () => SAFETY_MARGIN_MS,
    );

    // Act
    const result = await executeGraph(
      graph,
      { kind: 'new', executionId: 'late', name: 'late', input: {}, startTime: T0 },
      scope.deps.express,
    );
    scope.close();

    // Assess
    expect(result).toMatchObject({ status: 'WAITING', waitingFor: 'interrupted' });
    expect(result.state.pending.map((p) => p.effect.type)).toEqual(['invoke']);
  });
});
