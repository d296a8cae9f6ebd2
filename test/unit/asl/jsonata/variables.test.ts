/**
 * Variables, written from AWS's "Passing data between states with variables": Assign in both query
 * languages, evaluated from the values at state entry (assignments do not see each other, and the
 * state's own Output / OutputPath still sees the old values), the scoping of Parallel branches and Map
 * iterations, `$name` in JSONPath paths and intrinsics, the history, and checkpoints.
 */
import { describe, expect, it } from 'vitest';
import { compileGraph, type ExecutionState } from '../../../../router/asl/index.ts';
import { drive } from '../interpreter/helpers.ts';
import { assignedByState, loaded, problemsOf, run } from './support.ts';

describe('Assign ("Passing data between states with variables")', () => {
  it('evaluates every assignment from the values at state entry, after the state reads them (the documented evaluation-order example)', () => {
    // The Pass states of the evaluation-order example recorded against AWS: State1's InputPath and
    // OutputPath read $answer as State0 left it, although State1 assigns a new value.
    const d = run(
      {
        StartAt: 'State0',
        States: {
          State0: {
            Type: 'Pass',
            Result: { theQuestion: 'What is the answer to life the universe and everything?' },
            Assign: { 'question.$': '$.theQuestion', answer: 42 },
            Next: 'State1',
          },
          State1: {
            Type: 'Pass',
            InputPath: '$answer',
            ResultPath: '$.theAnswer',
            OutputPath: '$answer',
            Assign: { answer: '<omitted>' },
            End: true,
          },
        },
      },
      {},
    );
    expect(d.state.output).toBe(42);
    expect(assignedByState(d)).toEqual([
      { State0: { question: 'What is the answer to life the universe and everything?', answer: 42 } },
      { State1: { answer: '<omitted>' } },
    ]);
  });

  it('does not let assignments in one Assign see each other (JSONata)', () => {
    const d = run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', Assign: { x: 1 }, Next: 'B' },
          B: { Type: 'Pass', Assign: { x: 2, y: '{% $x %}' }, Output: '{% $x %}', Next: 'C' },
          C: { Type: 'Pass', Output: { x: '{% $x %}', y: '{% $y %}' }, End: true },
        },
      },
      {},
    );
    expect(d.history.find((e) => e.stateName === 'B' && e.type === 'PassStateExited')?.details?.output).toBe(
      1,
    );
    expect(d.state.output).toEqual({ x: 2, y: 1 });
  });

  it('gives a Task Assign $states.result and $states.input in JSONata, and the ResultSelector output as $ in JSONPath', () => {
    const handler = () => ({ ok: true as const, output: { price: 5 } });
    const jsonata = run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
            Assign: { price: '{% $states.result.price %}', sku: '{% $states.input.sku %}' },
            Output: '{% $states.input %}',
            Next: 'Show',
          },
          Show: { Type: 'Pass', Output: '{% $sku & "=" & $string($price) %}', End: true },
        },
      },
      { sku: 'A' },
      handler,
    );
    expect(jsonata.state.output).toBe('A=5');
    const jsonpath = run(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
            ResultSelector: { 'cents.$': 'States.MathAdd($.price, 0)' },
            Assign: { 'cents.$': '$.cents' },
            Next: 'Show',
          },
          Show: { Type: 'Pass', Parameters: { 'text.$': "States.Format('{} cents', $cents)" }, End: true },
        },
      },
      {},
      handler,
    );
    expect(jsonpath.state.output).toEqual({ text: '5 cents' });
  });

  it('applies the matched Choice rule Assign, or the state Assign on Default (the documented Choice example)', () => {
    const graph = {
      StartAt: 'Check',
      States: {
        Check: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.input_value', NumericEquals: 42, Assign: { status: 'CORRECT' }, Next: 'Final' },
          ],
          Assign: { status: 'INCORRECT', 'guess.$': '$.input_value' },
          Default: 'Final',
        },
        Final: { Type: 'Pass', Parameters: { 'result.$': '$status' }, End: true },
      },
    };
    expect(run(graph, { input_value: 42 }).state.output).toEqual({ result: 'CORRECT' });
    expect(run(graph, { input_value: '42' }).state.output).toEqual({ result: 'INCORRECT' });
  });

  it("applies a Catcher's Assign, not the failed state's, with $states.errorOutput", () => {
    const d = run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Task',
        States: {
          Task: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
            Assign: { result: 'SUCCESS' },
            Catch: [
              {
                ErrorEquals: ['States.ALL'],
                Assign: { result: '{% $states.errorOutput %}' },
                Next: 'fallback',
              },
            ],
            End: true,
          },
          fallback: { Type: 'Pass', Output: '{% $result %}', End: true },
        },
      },
      {},
      () => ({ ok: false, error: 'Oops', cause: 'why' }),
    );
    expect(d.state.output).toEqual({ Error: 'Oops', Cause: 'why' });
  });

  it('lets Map iterations and Parallel branches read outer variables and keep their own (the documented scope examples)', () => {
    const d = run(
      {
        StartAt: 'State0',
        States: {
          State0: { Type: 'Pass', Assign: { x: 42, items: [1, 2, 3] }, Next: 'State1' },
          State1: {
            Type: 'Map',
            ItemsPath: '$items',
            MaxConcurrency: 1,
            ItemProcessor: {
              StartAt: 'Inner',
              States: {
                Inner: { Type: 'Pass', Assign: { 'innerX.$': '$x' }, Parameters: { 'x.$': '$x' }, End: true },
              },
            },
            Next: 'Fan',
          },
          Fan: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'B1',
                States: {
                  B1: { Type: 'Pass', Assign: { mine: 1 }, Next: 'B1b' },
                  B1b: { Type: 'Pass', Parameters: { 'mine.$': '$mine', 'x.$': '$x' }, End: true },
                },
              },
              {
                StartAt: 'B2',
                States: {
                  B2: { Type: 'Pass', Assign: { mine: 2 }, Next: 'B2b' },
                  B2b: { Type: 'Pass', Parameters: { 'mine.$': '$mine' }, End: true },
                },
              },
            ],
            Next: 'After',
          },
          After: { Type: 'Pass', Parameters: { 'final.$': '$x', 'all.$': '$' }, End: true },
        },
      },
      {},
    );
    expect(d.state.output).toEqual({ final: 42, all: [{ mine: 1, x: 42 }, { mine: 2 }] });
    expect(d.state.root.vars).toEqual({ x: 42, items: [1, 2, 3] });
  });

  it('refuses at publish an Assign in a branch to a variable of an outer scope (outer variables are read-only there)', () => {
    const problems = problemsOf({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { total: 0 }, Next: 'M' },
        M: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', Assign: { total: 1 }, End: true } } },
          End: true,
        },
      },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '/States/M/ItemProcessor/States/I/Assign/total', state: 'I' });
    expect(problems[0]?.message).toMatch(/outer scope/);
    expect(problems[0]?.line).toBeGreaterThan(1);
  });

  it('refuses invalid and reserved variable names, and an Assign above the size limit fails the state', () => {
    const problems = problemsOf({
      StartAt: 'A',
      States: { A: { Type: 'Pass', Assign: { '1st': 1, states: 2 }, End: true } },
    });
    expect(problems.map((p) => p.path)).toEqual(['/States/A/Assign/1st', '/States/A/Assign/states']);
    const big = run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: { A: { Type: 'Pass', Assign: { big: "{% $pad('', 300000, 'x') %}" }, End: true } },
      },
      {},
    );
    expect(big.state.error).toBe('States.DataLimitExceeded');
  });

  it('keeps variables in the checkpoint, so a resumed execution reads them', () => {
    // Prepare: stop at the Task, checkpoint as JSON, resume from the copy.
    const compiled = compileGraph(
      loaded({
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { customer: 'ada' }, Next: 'Call' },
          Call: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', Next: 'Use' },
          Use: { Type: 'Pass', Parameters: { 'who.$': '$customer' }, End: true },
        },
      }),
    );
    const first = drive(compiled, {}, () => undefined);
    const checkpoint = JSON.parse(JSON.stringify(first.state)) as ExecutionState;
    // Act
    const resumed = drive(compiled, {}, () => ({ ok: true, output: {} }), { state: checkpoint });
    // Assess
    expect(checkpoint.root.vars).toEqual({ customer: 'ada' });
    expect(resumed.state.output).toEqual({ who: 'ada' });
  });
});
