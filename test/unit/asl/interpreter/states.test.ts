import { describe, expect, it } from 'vitest';
import type { WaitState } from '../../../../router/asl/types.ts';
import { drive, echo, graphOf, outline, T0, task } from './helpers.ts';

describe('state types', () => {
  it('runs Pass, Task, Choice, Wait and Succeed, with the whole history in order', () => {
    // Prepare
    const graph = graphOf('Start', {
      Start: { Type: 'Pass', Result: { count: 0 }, ResultPath: '$.loop', Next: 'Work' },
      Work: task('inc', { Parameters: { 'count.$': '$.loop.count' }, ResultPath: '$.loop', Next: 'Check' }),
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.loop.count', NumericGreaterThanEquals: 2, Next: 'Done' }],
        Default: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: 10, Next: 'Work' },
      Done: { Type: 'Succeed', OutputPath: '$.loop' },
    });

    // Act
    const run = drive(graph, { id: 'x' }, (effect) => {
      const input = effect.input as { count: number };
      return { ok: true, output: { count: input.count + 1 } };
    });

    // Assess
    expect(run.state.status).toBe('SUCCEEDED');
    expect(run.state.output).toEqual({ count: 2 });
    expect(run.now).toBe(T0 + 10_000);
    expect(outline(run.history)).toEqual([
      'ExecutionStarted',
      'PassStateEntered Start',
      'PassStateExited Start',
      'TaskStateEntered Work',
      'TaskScheduled Work',
      'TaskSucceeded Work',
      'TaskStateExited Work',
      'ChoiceStateEntered Check',
      'ChoiceStateExited Check',
      'WaitStateEntered Pause',
      'WaitStarted Pause',
      'WaitStateExited Pause',
      'TaskStateEntered Work',
      'TaskScheduled Work',
      'TaskSucceeded Work',
      'TaskStateExited Work',
      'ChoiceStateEntered Check',
      'ChoiceStateExited Check',
      'SucceedStateEntered Done',
      'SucceedStateExited Done',
      'ExecutionSucceeded',
    ]);
    expect(run.history.map((h) => h.id)).toEqual(run.history.map((_, i) => i + 1));
    expect(run.state.transitions).toBe(7);
  });

  it('gives each visit of a state its own idempotency key and invoke id', () => {
    // Prepare
    const graph = graphOf('Poll', {
      Poll: task('poll', { Next: 'Ready?' }),
      'Ready?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.ready', BooleanEquals: true, Next: 'End' }],
        Default: 'Poll',
      },
      End: { Type: 'Succeed' },
    });
    let calls = 0;

    // Act
    const run = drive(graph, {}, () => {
      calls += 1;
      return { ok: true, output: { ready: calls === 3 } };
    });

    // Assess
    expect(run.invokes.map((i) => [i.id, i.idempotencyKey, i.attempt])).toEqual([
      ['Poll#1.0', 'exec-1:Poll#1', 0],
      ['Poll#2.0', 'exec-1:Poll#2', 0],
      ['Poll#3.0', 'exec-1:Poll#3', 0],
    ]);
  });

  it('fails with NoChoiceMatched (reported as States.Runtime) when no rule matches and there is no Default', () => {
    const graph = graphOf('C', {
      C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'S' }] },
      S: { Type: 'Succeed' },
    });

    const run = drive(graph, { n: 2 }, echo);

    expect(run.state.status).toBe('FAILED');
    expect(run.state.error).toBe('States.Runtime');
    expect(run.state.cause).toContain("Choice state 'C': no Choice rule matched the input");
  });

  it('takes the Choice Default', () => {
    const graph = graphOf('C', {
      C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'One' }], Default: 'Other' },
      One: { Type: 'Pass', Result: 'one', End: true },
      Other: { Type: 'Pass', Result: 'other', End: true },
    });

    expect(drive(graph, { n: 1 }, echo).state.output).toBe('one');
    expect(drive(graph, { n: 5 }, echo).state.output).toBe('other');
  });

  it('fails with the Fail state Error and Cause, or ErrorPath / CausePath (paths and intrinsics)', () => {
    const fixed = graphOf('F', { F: { Type: 'Fail', Error: 'Order.Rejected', Cause: 'out of stock' } });
    const dynamic = graphOf('F', {
      F: { Type: 'Fail', ErrorPath: '$.code', CausePath: "States.Format('item {} missing', $.item)" },
    });

    const a = drive(fixed, {}, echo).state;
    const b = drive(dynamic, { code: 'E42', item: 'sku-1' }, echo).state;

    expect([a.status, a.error, a.cause]).toEqual(['FAILED', 'Order.Rejected', 'out of stock']);
    expect([b.status, b.error, b.cause]).toEqual(['FAILED', 'E42', 'item sku-1 missing']);
  });

  it('waits for Seconds, SecondsPath, Timestamp and TimestampPath', () => {
    const wait = (fields: Omit<WaitState, 'Type'>) =>
      graphOf('W', { W: { Type: 'Wait', End: true, ...fields } });

    expect(drive(wait({ Seconds: 30 }), {}, echo).now).toBe(T0 + 30_000);
    expect(drive(wait({ SecondsPath: '$.s' }), { s: 7 }, echo).now).toBe(T0 + 7_000);
    expect(drive(wait({ Timestamp: '2026-01-01T01:00:00Z' }), {}, echo).now).toBe(T0 + 3_600_000);
    expect(drive(wait({ TimestampPath: '$.at' }), { at: '2026-01-02T00:00:00Z' }, echo).now).toBe(
      T0 + 86_400_000,
    );
    // A timestamp in the past does not wait at all.
    const past = drive(wait({ Timestamp: '2025-01-01T00:00:00Z' }), { a: 1 }, echo);
    expect([past.state.status, past.timers.length, past.state.output]).toEqual(['SUCCEEDED', 0, { a: 1 }]);
  });

  it('fails a Wait whose SecondsPath is not a non-negative integer, naming the state', () => {
    const graph = graphOf('W', { W: { Type: 'Wait', SecondsPath: '$.s', End: true } });

    const run = drive(graph, { s: 'soon' }, echo);

    expect(run.state.error).toBe('States.Runtime');
    expect(run.state.cause).toContain("Wait state 'W'");
  });

  it('exposes the context object to Parameters', () => {
    // Prepare
    const graph = graphOf(
      'Pass',
      {
        Pass: { Type: 'Pass', Next: 'Call' },
        Call: task('ctx', {
          Parameters: {
            'executionId.$': '$$.Execution.Id',
            'name.$': '$$.Execution.Name',
            'input.$': '$$.Execution.Input',
            'start.$': '$$.Execution.StartTime',
            'state.$': '$$.State.Name',
            'entered.$': '$$.State.EnteredTime',
            'retry.$': '$$.State.RetryCount',
            'machine.$': '$$.StateMachine.Name',
            'key.$': '$$.Task.IdempotencyKey',
          },
        }),
      },
      { stateMachineName: 'orders' },
    );

    // Act
    const run = drive(graph, { a: 1 }, echo);

    // Assess
    expect(run.state.output).toEqual({
      executionId: 'exec-1',
      name: 'exec-1',
      input: { a: 1 },
      start: '2026-01-01T00:00:00.000Z',
      state: 'Call',
      entered: '2026-01-01T00:00:00.000Z',
      retry: 0,
      machine: 'orders',
      key: 'exec-1:Call#1',
    });
  });

  it('draws MathRandom and UUID deterministically from the execution id', () => {
    const graph = graphOf('P', {
      P: {
        Type: 'Pass',
        Parameters: { 'r.$': 'States.MathRandom(1, 1000000)', 'u.$': 'States.UUID()' },
        End: true,
      },
    });

    const a = drive(graph, {}, echo, { executionId: 'same' }).state.output;
    const b = drive(graph, {}, echo, { executionId: 'same' }).state.output;
    const c = drive(graph, {}, echo, { executionId: 'other' }).state.output;

    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect((a as { u: string }).u).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('data flow', () => {
  it('applies InputPath -> Parameters -> task -> ResultSelector -> ResultPath -> OutputPath in spec order', () => {
    // The developer guide's worked example, shortened: the task receives only the filtered, templated
    // input; its result is reshaped, merged into the raw state input, and the output filtered.
    const graph = graphOf('Call', {
      Call: task('lambda', {
        InputPath: '$.library',
        Parameters: { 'shelf.$': '$.shelf', static: 'yes' },
        ResultSelector: { 'count.$': '$.Payload.count', 'code.$': '$.StatusCode' },
        ResultPath: '$.taskResult',
        OutputPath: '$.taskResult',
      }),
    });
    let received: unknown;

    const run = drive(graph, { library: { shelf: 'A3', books: 4 }, other: true }, (effect) => {
      received = effect.input;
      return { ok: true, output: { Payload: { count: 12 }, StatusCode: 200 } };
    });

    expect(received).toEqual({ shelf: 'A3', static: 'yes' });
    expect(run.state.output).toEqual({ count: 12, code: 200 });
  });

  it('merges into the raw input with ResultPath and keeps the input with ResultPath null', () => {
    const merge = graphOf('T', { T: task('t', { InputPath: '$.a', ResultPath: '$.b.c' }) });
    const discard = graphOf('T', { T: task('t', { ResultPath: null }) });
    const empty = graphOf('P', { P: { Type: 'Pass', InputPath: null, OutputPath: '$', End: true } });

    expect(drive(merge, { a: 1 }, () => ({ ok: true, output: 'r' })).state.output).toEqual({
      a: 1,
      b: { c: 'r' },
    });
    expect(drive(discard, { a: 1 }, () => ({ ok: true, output: 'r' })).state.output).toEqual({ a: 1 });
    expect(drive(empty, { a: 1 }, echo).state.output).toEqual({});
  });

  it('uses Pass Result over Parameters, then ResultPath', () => {
    const graph = graphOf('P', {
      P: {
        Type: 'Pass',
        Parameters: { 'x.$': '$.a' },
        Result: { fixed: true },
        ResultPath: '$.r',
        End: true,
      },
    });

    expect(drive(graph, { a: 1 }, echo).state.output).toEqual({ a: 1, r: { fixed: true } });
  });

  it('fails with States.Runtime naming the path when Parameters reads a missing field', () => {
    const graph = graphOf('T', { T: task('t', { Parameters: { 'v.$': '$.missing' } }) });

    const run = drive(graph, {}, echo);

    expect(run.state.error).toBe('States.Runtime');
    expect(run.state.cause).toContain('$.missing');
    expect(run.invokes).toHaveLength(0);
  });

  it('fails with States.ResultPathMatchFailure when ResultPath crosses a non-object', () => {
    const graph = graphOf('T', { T: task('t', { ResultPath: '$.a.b' }) });

    const run = drive(graph, { a: 5 }, () => ({ ok: true, output: 1 }));

    expect(run.state.error).toBe('States.ResultPathMatchFailure');
  });
});

describe('history', () => {
  it('records every event with its id, time, thread, state and details', () => {
    // Prepare
    const graph = graphOf('Greet', {
      Greet: task('greet', { Parameters: { 'who.$': '$.name' }, ResultPath: '$.greeting', Next: 'Pause' }),
      Pause: { Type: 'Wait', Seconds: 2, OutputPath: '$.greeting', End: true },
    });

    // Act
    const run = drive(graph, { name: 'Ada' }, (effect) => ({
      ok: true,
      output: `hello ${(effect.input as { who: string }).who}`,
    }));

    // Assess
    const input = { name: 'Ada' };
    const merged = { name: 'Ada', greeting: 'hello Ada' };
    expect(run.history).toEqual([
      { id: 1, type: 'ExecutionStarted', timestamp: T0, thread: '', details: { input } },
      { id: 2, type: 'TaskStateEntered', timestamp: T0, thread: '', stateName: 'Greet', details: { input } },
      {
        id: 3,
        type: 'TaskScheduled',
        timestamp: T0,
        thread: '',
        stateName: 'Greet',
        details: { resource: 'greet', input: { who: 'Ada' } },
      },
      {
        id: 4,
        type: 'TaskSucceeded',
        timestamp: T0,
        thread: '',
        stateName: 'Greet',
        details: { output: 'hello Ada' },
      },
      {
        id: 5,
        type: 'TaskStateExited',
        timestamp: T0,
        thread: '',
        stateName: 'Greet',
        details: { output: merged },
      },
      {
        id: 6,
        type: 'WaitStateEntered',
        timestamp: T0,
        thread: '',
        stateName: 'Pause',
        details: { input: merged },
      },
      {
        id: 7,
        type: 'WaitStarted',
        timestamp: T0,
        thread: '',
        stateName: 'Pause',
        details: { dueAt: T0 + 2_000 },
      },
      {
        id: 8,
        type: 'WaitStateExited',
        timestamp: T0 + 2_000,
        thread: '',
        stateName: 'Pause',
        details: { output: 'hello Ada' },
      },
      {
        id: 9,
        type: 'ExecutionSucceeded',
        timestamp: T0 + 2_000,
        thread: '',
        details: { output: 'hello Ada' },
      },
    ]);
    expect(JSON.parse(JSON.stringify(run.state))).toEqual(run.state);
  });
});
