/**
 * A single state run on its own, as Step Functions' TestState API runs it ("Using TestState API to test
 * a state in Step Functions"): status SUCCEEDED / CAUGHT_ERROR / RETRIABLE / FAILED, the next state, the
 * data at each step of the data flow (inspectionLevel DEBUG), the variables, the context object, a
 * retry attempt and a Map iteration, in both query languages.
 */
import { describe, expect, it } from 'vitest';
import {
  compileGraph,
  type InvokeEffect,
  type InvokeOutcome,
  type JsonValue,
  type StateTest,
  StateTestError,
  testState,
  VirtualClock,
} from '../../../../router/asl/index.ts';
import { loaded } from '../jsonata/support.ts';
import { T0 } from './helpers.ts';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:charge';
const J = { QueryLanguage: 'JSONata' } as const;

/** Runs `test` on `graph`, answering unmocked invokes with `answer` and recording them. */
async function runState(
  graph: object,
  test: StateTest,
  answer: (effect: InvokeEffect) => InvokeOutcome = (e) => ({ ok: true, output: e.input }),
) {
  const invokes: InvokeEffect[] = [];
  const result = await testState(compileGraph(loaded(graph)), test, {
    invoke: (effect) => {
      invokes.push(effect);
      return Promise.resolve(answer(effect));
    },
    clock: new VirtualClock(T0),
  });
  return { ...result, invokes };
}

const CHARGE_PATH = {
  StartAt: 'Charge',
  States: {
    Charge: {
      Type: 'Task',
      Resource: LAMBDA,
      InputPath: '$.order',
      Parameters: { 'id.$': '$.id', 'customer.$': '$customer', 'attempt.$': '$$.State.RetryCount' },
      ResultSelector: { 'status.$': '$.Payload.status' },
      ResultPath: '$.charge',
      OutputPath: '$.charge',
      Assign: { 'lastStatus.$': '$.status' },
      Retry: [
        { ErrorEquals: ['Payment.Busy'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 2 },
        { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 1 },
      ],
      Catch: [
        { ErrorEquals: ['Payment.Declined'], Next: 'Refused', ResultPath: '$.error' },
        { ErrorEquals: ['States.ALL'], Next: 'Broken' },
      ],
      Next: 'Ship',
    },
    Ship: { Type: 'Succeed' },
    Refused: { Type: 'Fail', Error: 'Refused' },
    Broken: { Type: 'Fail', Error: 'Broken' },
  },
};

describe('testState: a JSONPath Task', () => {
  it('shows every step of the data flow with a mocked result, and names the next state', async () => {
    // Act
    const r = await runState(CHARGE_PATH, {
      stateName: 'Charge',
      input: { order: { id: 7 }, note: 'x' },
      variables: { customer: 'c-1' },
      mock: { ok: true, output: { StatusCode: 200, Payload: { status: 'paid' } } },
    });

    // Assess
    expect(r.invokes).toEqual([]);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.nextState).toBe('Ship');
    expect(r.output).toEqual({ status: 'paid' });
    expect(r.inspectionData).toEqual({
      input: { order: { id: 7 }, note: 'x' },
      afterInputPath: { id: 7 },
      afterParameters: { id: 7, customer: 'c-1', attempt: 0 },
      result: { StatusCode: 200, Payload: { status: 'paid' } },
      afterResultSelector: { status: 'paid' },
      afterResultPath: { order: { id: 7 }, note: 'x', charge: { status: 'paid' } },
      variables: { customer: 'c-1', lastStatus: 'paid' },
      assignedVariables: { lastStatus: 'paid' },
    });
    expect(r.history.map((h) => [h.type, h.stateName])).toEqual([
      ['TaskStateEntered', 'Charge'],
      ['TaskScheduled', 'Charge'],
      ['TaskSucceeded', 'Charge'],
      ['TaskStateExited', 'Charge'],
      ['SucceedStateEntered', 'Ship'],
    ]);
  });

  it('invokes the resource when nothing is mocked, and stops at the next state', async () => {
    const r = await runState(
      CHARGE_PATH,
      { stateName: 'Charge', input: { order: { id: 8 } }, variables: { customer: 'c-2' } },
      () => ({
        ok: true,
        output: { Payload: { status: 'held' } },
      }),
    );
    expect(r.invokes.map((e) => [e.stateName, e.input])).toEqual([
      ['Charge', { id: 8, customer: 'c-2', attempt: 0 }],
    ]);
    expect(r).toMatchObject({ status: 'SUCCEEDED', nextState: 'Ship', output: { status: 'held' } });
  });

  it('is RETRIABLE when the matching Retrier has attempts left, with its index and back-off', async () => {
    const r = await runState(CHARGE_PATH, {
      stateName: 'Charge',
      input: { order: { id: 7 } },
      variables: { customer: 'c-1' },
      mock: { ok: false, error: 'Payment.Busy', cause: 'try later' },
      retrierRetryCount: 1,
    });
    expect(r).toMatchObject({
      status: 'RETRIABLE',
      nextState: 'Charge',
      error: 'Payment.Busy',
      cause: 'try later',
    });
    // Second retry of retrier 0: 2 s x 3^1.
    expect(r.inspectionData.errorDetails).toEqual({ retryIndex: 0, retryBackoffIntervalSeconds: 6 });
    expect(r.inspectionData.afterParameters).toEqual({ id: 7, customer: 'c-1', attempt: 1 });
    expect(r.output).toBeUndefined();
  });

  it('is CAUGHT_ERROR once the Retrier is spent, with the Catcher index, its Next and output', async () => {
    const r = await runState(CHARGE_PATH, {
      stateName: 'Charge',
      input: { order: { id: 7 } },
      variables: { customer: 'c-1' },
      mock: { ok: false, error: 'Payment.Busy', cause: 'try later' },
      retrierRetryCount: 2,
    });
    expect(r).toMatchObject({
      status: 'CAUGHT_ERROR',
      nextState: 'Broken',
      error: 'Payment.Busy',
      output: { Error: 'Payment.Busy', Cause: 'try later' },
    });
    expect(r.inspectionData.errorDetails).toEqual({ catchIndex: 1 });

    const declined = await runState(CHARGE_PATH, {
      stateName: 'Charge',
      input: { order: { id: 7 } },
      variables: { customer: 'c-1' },
      // Retrier 1 (States.ALL, MaxAttempts 1) has made its retry.
      retrierRetryCount: 1,
      mock: { ok: false, error: 'Payment.Declined', cause: 'card expired' },
    });
    expect(declined).toMatchObject({
      status: 'CAUGHT_ERROR',
      nextState: 'Refused',
      output: { order: { id: 7 }, error: { Error: 'Payment.Declined', Cause: 'card expired' } },
    });
    expect(declined.inspectionData.errorDetails).toEqual({ catchIndex: 0 });
  });

  it('is FAILED when nothing handles the error, and FAILED for a Fail state', async () => {
    const bare = {
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: LAMBDA, End: true } },
    };
    const r = await runState(bare, {
      stateName: 'T',
      input: {},
      mock: { ok: false, error: 'Boom', cause: 'it broke' },
    });
    expect(r).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'it broke' });
    expect(r.nextState).toBeUndefined();

    const fail = await runState(CHARGE_PATH, { stateName: 'Refused', input: {} });
    expect(fail).toMatchObject({ status: 'FAILED', error: 'Refused', cause: '' });
  });

  it('lays the given context object over the one the runtime builds', async () => {
    const graph = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Pass',
          Parameters: {
            'id.$': '$$.Execution.Id',
            'entered.$': '$$.State.EnteredTime',
            'sm.$': '$$.StateMachine.Name',
          },
          End: true,
        },
      },
    };
    const r = await runState(graph, {
      stateName: 'P',
      input: {},
      context: {
        Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:sm:e-9' },
        State: { EnteredTime: '2026-02-01T10:00:00.000Z' },
      },
    });
    expect(r).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        id: 'arn:aws:states:us-east-1:123456789012:execution:sm:e-9',
        entered: '2026-02-01T10:00:00.000Z',
        sm: 'engine',
      },
    });
    expect(r.nextState).toBeUndefined();
  });
});

describe('testState: Pass, Choice and Assign in both languages', () => {
  it('runs a JSONPath Pass with Assign reading its result and the given variables', async () => {
    const graph = {
      StartAt: 'Count',
      States: {
        Count: {
          Type: 'Pass',
          Parameters: { 'next.$': 'States.MathAdd($count, 1)' },
          ResultPath: '$.counter',
          Assign: { 'count.$': '$.next', 'previous.$': '$count' },
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    const r = await runState(graph, { stateName: 'Count', input: { a: 1 }, variables: { count: 4 } });
    expect(r).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Done',
      output: { a: 1, counter: { next: 5 } },
    });
    expect(r.inspectionData).toEqual({
      input: { a: 1 },
      afterParameters: { next: 5 },
      result: { next: 5 },
      afterResultPath: { a: 1, counter: { next: 5 } },
      variables: { count: 5, previous: 4 },
      assignedVariables: { count: 5, previous: 4 },
    });
  });

  it('runs a JSONata Pass with Output and Assign', async () => {
    const graph = {
      ...J,
      StartAt: 'Total',
      States: {
        Total: {
          Type: 'Pass',
          Output: { total: '{% $sum($states.input.items) + $carry %}' },
          Assign: { carry: '{% $count($states.input.items) %}' },
          End: true,
        },
      },
    };
    const r = await runState(graph, {
      stateName: 'Total',
      input: { items: [1, 2, 3] },
      variables: { carry: 10 },
    });
    expect(r).toMatchObject({ status: 'SUCCEEDED', output: { total: 16 } });
    expect(r.inspectionData).toEqual({
      input: { items: [1, 2, 3] },
      variables: { carry: 3 },
      assignedVariables: { carry: 3 },
    });
  });

  it('follows a JSONata Choice Condition with the rule Assign, and Default with the state Assign', async () => {
    const graph = {
      ...J,
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [
            {
              Condition: '{% $states.input.total > $limit %}',
              Assign: { route: 'review' },
              Output: { held: '{% $states.input.total %}' },
              Next: 'Review',
            },
          ],
          Default: 'Ship',
          Assign: { route: 'ship' },
        },
        Review: { Type: 'Succeed' },
        Ship: { Type: 'Succeed' },
      },
    };
    const big = await runState(graph, {
      stateName: 'Route',
      input: { total: 900 },
      variables: { limit: 500 },
    });
    expect(big).toMatchObject({ status: 'SUCCEEDED', nextState: 'Review', output: { held: 900 } });
    expect(big.inspectionData.assignedVariables).toEqual({ route: 'review' });
    const small = await runState(graph, {
      stateName: 'Route',
      input: { total: 90 },
      variables: { limit: 500 },
    });
    expect(small).toMatchObject({ status: 'SUCCEEDED', nextState: 'Ship', output: { total: 90 } });
    expect(small.inspectionData.variables).toEqual({ limit: 500, route: 'ship' });
  });

  it('follows a JSONPath Choice to itself without running it twice', async () => {
    const graph = {
      StartAt: 'Poll',
      States: {
        Poll: {
          Type: 'Choice',
          Choices: [{ Variable: '$.ready', BooleanEquals: false, Next: 'Poll' }],
          Default: 'Go',
        },
        Go: { Type: 'Succeed' },
      },
    };
    const r = await runState(graph, { stateName: 'Poll', input: { ready: false } });
    expect(r).toMatchObject({ status: 'SUCCEEDED', nextState: 'Poll', output: { ready: false } });
    expect(r.history.filter((h) => h.type === 'ChoiceStateExited')).toHaveLength(1);
  });

  it('is FAILED when no Choice rule matches and there is no Default', async () => {
    const graph = {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'D' }] },
        D: { Type: 'Succeed' },
      },
    };
    const r = await runState(graph, { stateName: 'C', input: { n: 2 } });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
  });
});

describe('testState: JSONata Task, Map iterations and Map states', () => {
  const ENRICH = {
    ...J,
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        Items: '{% $states.input.orders %}',
        ItemSelector: {
          sku: '{% $states.context.Map.Item.Value.sku %}',
          position: '{% $states.context.Map.Item.Index %}',
        },
        ItemProcessor: {
          StartAt: 'Price',
          States: {
            Price: {
              Type: 'Task',
              Resource: LAMBDA,
              Arguments: {
                sku: '{% $states.input.sku %}',
                position: '{% $states.input.position %}',
                currency: '{% $currency %}',
                try: '{% $states.context.State.RetryCount %}',
              },
              Output: { sku: '{% $states.input.sku %}', price: '{% $states.result.price %}' },
              Assign: { lastPrice: '{% $states.result.price %}' },
              Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 2, IntervalSeconds: 5 }],
              End: true,
            },
          },
        },
        Output: { priced: '{% $states.result %}' },
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  };

  it('runs a state of a Map item processor with its iteration input and variables', async () => {
    const r = await runState(ENRICH, {
      stateName: 'Price',
      input: { sku: 'A-1', position: 3 },
      variables: { currency: 'EUR' },
      mock: { ok: true, output: { price: 12 } },
    });
    expect(r).toMatchObject({ status: 'SUCCEEDED', output: { sku: 'A-1', price: 12 } });
    expect(r.nextState).toBeUndefined();
    expect(r.inspectionData).toEqual({
      input: { sku: 'A-1', position: 3 },
      afterArguments: { sku: 'A-1', position: 3, currency: 'EUR', try: 0 },
      result: { price: 12 },
      variables: { currency: 'EUR', lastPrice: 12 },
      assignedVariables: { lastPrice: 12 },
    });
  });

  it('gives the Map iteration to $$.Map.Item and $states.context.Map.Item', async () => {
    const graph = (language: 'JSONPath' | 'JSONata') => ({
      StartAt: 'Tag',
      States: {
        Tag:
          language === 'JSONata'
            ? {
                Type: 'Pass',
                QueryLanguage: 'JSONata',
                Output: {
                  at: '{% $states.context.Map.Item.Index %}',
                  item: '{% $states.context.Map.Item.Value %}',
                },
                End: true,
              }
            : {
                Type: 'Pass',
                Parameters: { 'at.$': '$$.Map.Item.Index', 'item.$': '$$.Map.Item.Value' },
                End: true,
              },
      },
    });
    for (const language of ['JSONPath', 'JSONata'] as const) {
      const r = await runState(graph(language), {
        stateName: 'Tag',
        input: {},
        mapItem: { index: 4, value: { sku: 'B-2' } },
      });
      expect(r).toMatchObject({ status: 'SUCCEEDED', output: { at: 4, item: { sku: 'B-2' } } });
    }
  });

  it('gives the retry attempt to $states.context.State.RetryCount and goes RETRIABLE', async () => {
    const r = await runState(ENRICH, {
      stateName: 'Price',
      input: { sku: 'A-1', position: 0 },
      variables: { currency: 'EUR' },
      context: { State: { RetryCount: 1 } },
      mock: { ok: false, error: 'States.TaskFailed', cause: 'timeout upstream' },
    });
    expect(r).toMatchObject({ status: 'RETRIABLE', nextState: 'Price', error: 'States.TaskFailed' });
    expect(r.inspectionData.afterArguments).toEqual({ sku: 'A-1', position: 0, currency: 'EUR', try: 1 });
    // Second retry: 5 s x 2^1.
    expect(r.inspectionData.errorDetails).toEqual({ retryIndex: 0, retryBackoffIntervalSeconds: 10 });
    const spent = await runState(ENRICH, {
      stateName: 'Price',
      input: { sku: 'A-1', position: 0 },
      variables: { currency: 'EUR' },
      retrierRetryCount: 2,
      mock: { ok: false, error: 'States.TaskFailed', cause: 'timeout upstream' },
    });
    expect(spent).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed', cause: 'timeout upstream' });
  });

  it('runs a Map state with its iterations mocked, or running them', async () => {
    const mocked = await runState(ENRICH, {
      stateName: 'Each',
      input: { orders: [{ sku: 'A' }, { sku: 'B' }] },
      mock: { ok: true, output: [{ sku: 'A', price: 1 }] },
    });
    expect(mocked.invokes).toEqual([]);
    expect(mocked).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Done',
      output: { priced: [{ sku: 'A', price: 1 }] },
    });
    expect(mocked.inspectionData.result).toEqual([{ sku: 'A', price: 1 }]);

    const ran = await runState(
      ENRICH,
      { stateName: 'Each', input: { orders: [{ sku: 'A' }, { sku: 'B' }] }, variables: { currency: 'USD' } },
      (e) => ({ ok: true, output: { price: (e.input as { position: number }).position + 10 } }),
    );
    expect(ran.invokes.map((e) => e.input)).toEqual([
      { sku: 'A', position: 0, currency: 'USD', try: 0 },
      { sku: 'B', position: 1, currency: 'USD', try: 0 },
    ]);
    expect(ran).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Done',
      output: {
        priced: [
          { sku: 'A', price: 10 },
          { sku: 'B', price: 11 },
        ],
      },
    });
  });

  it('refuses a state the graph does not have, naming the states it has', async () => {
    await expect(runState(ENRICH, { stateName: 'Nope', input: {} })).rejects.toThrow(StateTestError);
    await expect(runState(ENRICH, { stateName: 'Nope', input: {} })).rejects.toThrow(
      "the graph has no state named 'Nope' (states: 'Each', 'Price', 'Done')",
    );
  });
});

describe('testState: Wait', () => {
  it('leaves a Wait state on the virtual clock without waiting', async () => {
    const graph = {
      StartAt: 'Pause',
      States: { Pause: { Type: 'Wait', Seconds: 86_400, Next: 'Go' }, Go: { Type: 'Succeed' } },
    };
    const r = await runState(graph, { stateName: 'Pause', input: { x: 1 } as JsonValue });
    expect(r).toMatchObject({ status: 'SUCCEEDED', nextState: 'Go', output: { x: 1 } });
    expect(r.history.map((h) => [h.type, h.timestamp - T0])).toEqual([
      ['WaitStateEntered', 0],
      ['WaitStarted', 0],
      ['WaitStateExited', 86_400_000],
      ['SucceedStateEntered', 86_400_000],
    ]);
  });
});
