import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../../router/asl/errors.ts';
import {
  applyInputPath,
  applyOutputPath,
  applyResultPath,
  compileInputPath,
  compileOutputPath,
  compileResultPath,
} from '../../../../router/asl/expressions/dataflow.ts';
import { compilePayloadTemplate } from '../../../../router/asl/expressions/payload.ts';
import type { JsonValue } from '../../../../router/asl/types.ts';

const guideInput = {
  comment: 'Example for InputPath.',
  dataset1: { val1: 1, val2: 2, val3: 3 },
  dataset2: { val1: 'a', val2: 'b', val3: 'c' },
};

describe('InputPath', () => {
  it('selects part of the input, as in the developer guide', () => {
    expect(applyInputPath(guideInput, '$.dataset2')).toEqual({ val1: 'a', val2: 'b', val3: 'c' });
  });

  it('passes the input for $ or when omitted, and gives {} for null', () => {
    expect(applyInputPath(guideInput, '$')).toBe(guideInput);
    expect(applyInputPath(guideInput, undefined)).toBe(guideInput);
    expect(applyInputPath(guideInput, null)).toEqual({});
  });

  it('can read the context object and select with a full path', () => {
    expect(applyInputPath(guideInput, '$$.Execution.Input', { Execution: { Input: { a: 1 } } })).toEqual({
      a: 1,
    });
    expect(applyInputPath(guideInput, '$.dataset1.*')).toEqual([1, 2, 3]);
  });

  it('fails with States.Runtime naming the path when it matches nothing', () => {
    expect(() => applyInputPath(guideInput, '$.dataset3')).toThrow(StatesError);
    expect(() => applyInputPath(guideInput, '$.dataset3')).toThrow(/'\$\.dataset3'/);
  });
});

describe('ResultPath', () => {
  const input = { comment: 'A task.', details: 'Default example', who: 'AWS Step Functions' };
  const result = 'Hello, AWS Step Functions!';

  it('replaces the input with the result for $ or when omitted', () => {
    expect(applyResultPath(input, result, '$')).toBe(result);
    expect(applyResultPath(input, result, undefined)).toBe(result);
  });

  it('discards the result and keeps the input for null', () => {
    expect(applyResultPath(input, result, null)).toBe(input);
  });

  it('adds the result into the input', () => {
    expect(applyResultPath(input, result, '$.taskresult')).toEqual({ ...input, taskresult: result });
    expect(applyResultPath(input, { a: 1 }, '$.details')).toEqual({ ...input, details: { a: 1 } });
  });

  it('fails with States.ResultPathMatchFailure when the input cannot hold the result', () => {
    expect(() => applyResultPath('text', result, '$.x')).toThrow(/ResultPath '\$\.x'/);
  });
});

describe('OutputPath', () => {
  it('selects the output, passes it for $ or when omitted, and gives {} for null', () => {
    const output = { a: { b: 1 }, c: 2 };
    expect(applyOutputPath(output, '$.a')).toEqual({ b: 1 });
    expect(applyOutputPath(output, '$')).toBe(output);
    expect(applyOutputPath(output, undefined)).toBe(output);
    expect(applyOutputPath(output, null)).toEqual({});
  });
});

describe('the whole input/output pipeline', () => {
  it('runs InputPath, Parameters, ResultSelector, ResultPath and OutputPath in order', () => {
    // Prepare: a Task state as in the developer guide's combined example
    const rawInput: JsonValue = {
      comment: 'Example for InputPath',
      dataset1: { val1: 1, val2: 2, val3: 3 },
      dataset2: { val1: 'a', val2: 'b', val3: 'c' },
    };
    const inputPath = compileInputPath('$.dataset2');
    const parameters = compilePayloadTemplate({
      'first.$': '$.val1',
      'all.$': 'States.Array($.val1, $.val2)',
    });
    const resultSelector = compilePayloadTemplate({ 'value.$': '$.Payload.value' });
    const resultPath = compileResultPath('$.taskresult');
    const outputPath = compileOutputPath('$.taskresult');
    const context: JsonValue = {};

    // Act
    const effective = parameters(inputPath(rawInput, context), context);
    const taskResult: JsonValue = { Payload: { value: effective }, StatusCode: 200 };
    const selected = resultSelector(taskResult, context);
    const placed = resultPath(rawInput, selected);
    const output = outputPath(placed, context);

    // Assess
    expect(effective).toEqual({ first: 'a', all: ['a', 'b'] });
    expect(placed).toEqual({
      ...(rawInput as object),
      taskresult: { value: { first: 'a', all: ['a', 'b'] } },
    });
    expect(output).toEqual({ value: { first: 'a', all: ['a', 'b'] } });
    expect(rawInput).not.toHaveProperty('taskresult');
  });
});
