/**
 * JSONata states, written from AWS's "Transforming data with JSONata in Step Functions" and the
 * Amazon States Language's JSONata sections: `{% %}` expressions in every field that takes one,
 * Arguments and Output, `$states`, Choice Condition, Map Items, expressions in the numeric fields,
 * Catch Output, and the States.QueryEvaluationError causes recorded against AWS (field paths such as
 * `Output/result`, "returned nothing (undefined)").
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../../router/asl/index.ts';
import { T0 } from '../interpreter/helpers.ts';
import { run } from './support.ts';

const J = { QueryLanguage: 'JSONata' } as const;

describe('JSONata states ("Transforming data with JSONata in Step Functions")', () => {
  it('pass Arguments built from $states.input to the resource and take Output from $states.result', () => {
    // Prepare
    const graph = {
      ...J,
      StartAt: 'Price',
      States: {
        Price: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:123456789012:function:price',
          Arguments: { sku: '{% $states.input.sku %}', static: 'Hello', 'not-evaluated': '$customerName' },
          Output: { total: '{% $states.result.price * $states.input.qty %}' },
          End: true,
        },
      },
    };
    // Act
    const d = run(graph, { sku: 'A-1', qty: 3 }, () => ({ ok: true, output: { price: 2.5 } }));
    // Assess
    expect(d.invokes[0]?.input).toEqual({ sku: 'A-1', static: 'Hello', 'not-evaluated': '$customerName' });
    expect(d.state.output).toEqual({ total: 7.5 });
  });

  it('default a Task output to its result and a Pass output to its input', () => {
    const d = run(
      {
        ...J,
        StartAt: 'P',
        States: {
          P: { Type: 'Pass', Next: 'T' },
          T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f', End: true },
        },
      },
      { a: 1 },
      () => ({ ok: true, output: { r: 2 } }),
    );
    expect(d.invokes[0]?.input).toEqual({ a: 1 });
    expect(d.state.output).toEqual({ r: 2 });
  });

  it('read $states.context (the context object) in any field', () => {
    const d = run(
      {
        ...J,
        StartAt: 'P',
        States: { P: { Type: 'Pass', Output: '{% $states.context.State.Name %}', End: true } },
      },
      {},
    );
    expect(d.state.output).toBe('P');
  });

  it('branch on a Choice rule Condition, with the rule Output, and fall to Default', () => {
    const graph = {
      ...J,
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [{ Condition: '{% $states.input.total > 100 %}', Output: { big: true }, Next: 'Done' }],
          Default: 'Done',
          Output: { big: false },
        },
        Done: { Type: 'Succeed' },
      },
    };
    expect(run(graph, { total: 250 }).state.output).toEqual({ big: true });
    expect(run(graph, { total: 5 }).state.output).toEqual({ big: false });
  });

  it('fail with States.QueryEvaluationError when a Condition is not a boolean', () => {
    const d = run(
      {
        ...J,
        StartAt: 'C',
        States: {
          C: { Type: 'Choice', Choices: [{ Condition: "{% 'yes' %}", Next: 'D' }], Default: 'D' },
          D: { Type: 'Succeed' },
        },
      },
      {},
    );
    expect(d.state.error).toBe('States.QueryEvaluationError');
    expect(d.state.cause).toContain("Expected 'boolean', but was 'string'");
  });

  it('iterate a Map over Items with an ItemSelector reading $states.context.Map.Item', () => {
    const d = run(
      {
        ...J,
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            Items: '{% $states.input.lines %}',
            ItemSelector: {
              sku: '{% $states.context.Map.Item.Value.sku %}',
              at: '{% $states.context.Map.Item.Index %}',
            },
            MaxConcurrency: '{% 1 %}',
            ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } },
            Output: '{% $states.result.sku %}',
            End: true,
          },
        },
      },
      { lines: [{ sku: 'a' }, { sku: 'b' }] },
    );
    expect(d.state.output).toEqual(['a', 'b']);
  });

  it("refuse Items that are not an array with AWS's cause", () => {
    const d = run(
      {
        ...J,
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            Items: '{% 1 %}',
            ItemProcessor: { StartAt: 'E', States: { E: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      {},
    );
    expect(d.state.error).toBe('States.QueryEvaluationError');
    expect(d.state.cause).toBe(
      "An error occurred while executing the state 'M'. The JSONata expression '1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1",
    );
  });

  it('evaluate Wait Seconds and Task TimeoutSeconds written as expressions', () => {
    const d = run(
      {
        ...J,
        StartAt: 'W',
        States: {
          W: { Type: 'Wait', Seconds: '{% $states.input.delay %}', Next: 'T' },
          T: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
            TimeoutSeconds: '{% $states.input.delay * 2 %}',
            End: true,
          },
        },
      },
      { delay: 30 },
    );
    expect(d.invokes[0]?.timeoutSeconds).toBe(60);
    expect(d.invokes[0]?.stateName).toBe('T');
    expect(d.now - T0).toBe(30_000);
  });

  it('build a Fail Error and Cause from expressions', () => {
    const d = run(
      {
        ...J,
        StartAt: 'F',
        States: { F: { Type: 'Fail', Error: "{% 'Order.' & $states.input.why %}", Cause: 'literal' } },
      },
      { why: 'Rejected' },
    );
    expect(d.state.error).toBe('Order.Rejected');
    expect(d.state.cause).toBe('literal');
  });

  it('give a Catcher $states.errorOutput and use it as the default output', () => {
    const graph = {
      ...J,
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
          Catch: [
            {
              ErrorEquals: ['States.ALL'],
              Output: { failed: '{% $states.errorOutput.Error %}', input: '{% $states.input %}' },
              Next: 'Done',
            },
          ],
          End: true,
        },
        Done: { Type: 'Succeed' },
      },
    };
    const d = run(graph, { id: 1 }, () => ({ ok: false, error: 'Boom', cause: 'bad' }));
    expect(d.state.output).toEqual({ failed: 'Boom', input: { id: 1 } });
  });

  it('report an undefined result with the field path AWS records (Output/result)', () => {
    const d = run(
      {
        ...J,
        StartAt: 'State0',
        States: { State0: { Type: 'Pass', Output: { result: '{% $doesNotExist %}' }, End: true } },
      },
      {},
    );
    expect(d.state.error).toBe('States.QueryEvaluationError');
    expect(d.state.cause).toBe(
      "An error occurred while executing the state 'State0'. The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined).",
    );
  });

  it('let States.ALL catch States.QueryEvaluationError', () => {
    const d = run(
      {
        ...J,
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
            Arguments: '{% $nothing %}',
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done' }],
            End: true,
          },
          Done: { Type: 'Pass', End: true },
        },
      },
      {},
    );
    expect(d.state.status).toBe('SUCCEEDED');
    expect(d.state.output).toMatchObject({ Error: 'States.QueryEvaluationError' });
  });

  it('run JSONata and JSONPath states side by side in one graph', () => {
    const d = run(
      {
        StartAt: 'Path',
        States: {
          Path: { Type: 'Pass', Parameters: { 'n.$': '$.n' }, Next: 'Ata' },
          Ata: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.n + 1 %}', End: true },
        },
      },
      { n: 1 },
    );
    expect(d.state.output).toBe(2);
  });
});

describe('JSONata functions Step Functions adds ("JSONata functions provided by Step Functions")', () => {
  const evaluate = (expression: string, input: JsonValue = {}): unknown =>
    run(
      { ...J, StartAt: 'P', States: { P: { Type: 'Pass', Output: `{% ${expression} %}`, End: true } } },
      input,
    ).state;

  it('partition, range, hash and parse as documented', () => {
    expect(evaluate('$partition([1,2,3,4,5,6,7,8,9], 4)')).toMatchObject({
      output: [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
    });
    expect(evaluate('$range(0, 10, 2)')).toMatchObject({ output: [0, 2, 4, 6, 8, 10] });
    expect(evaluate("$hash('input data', 'SHA-256')")).toMatchObject({
      output: createHash('sha256').update('input data').digest('hex'),
    });
    expect(evaluate('$parse(\'{"a": [1, 2]}\')')).toMatchObject({ output: { a: [1, 2] } });
  });

  it('repeat $random for a seed, and draw $random() and $uuid() from the execution so a replay repeats them', () => {
    const a = evaluate('[$random(7), $random(7), $random(), $uuid()]') as { output: unknown[] };
    const b = evaluate('[$random(7), $random(7), $random(), $uuid()]') as { output: unknown[] };
    expect(a.output[0]).toBe(a.output[1]);
    expect(a.output).toEqual(b.output);
    expect(a.output[3]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('read $now() from the execution clock', () => {
    expect(evaluate('$now()')).toMatchObject({ output: new Date(T0).toISOString() });
  });

  it('fail a runaway expression with States.QueryEvaluationError instead of stalling', () => {
    const state = evaluate('($f := function($n){ $f($n + 1) }; $f(0))') as { error?: string; cause?: string };
    expect(state.error).toBe('States.QueryEvaluationError');
    expect(state.cause).toMatch(/evaluation stopped after/);
    const big = evaluate("$pad('', 100000000)") as { error?: string; cause?: string };
    expect(big.cause).toMatch(/exceeds the limit/);
  });
});
