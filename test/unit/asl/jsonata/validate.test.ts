/**
 * The validator for JSONata graphs, from AWS's "Transforming data with JSONata in Step Functions": the
 * JSONPath fields a JSONata state refuses (in Step Functions' words), a state that cannot go back to
 * JSONPath under a JSONata root (the message recorded against AWS), JSONata syntax and Step Functions'
 * restrictions ($eval, `$` at the top level, $states.result where there is none), each reported once
 * with its line.
 */
import { describe, expect, it } from 'vitest';
import { problemsOf } from './support.ts';

const J = { QueryLanguage: 'JSONata' } as const;

describe('validating JSONata graphs', () => {
  it('accepts a JSONata Choice rule with one Condition', () => {
    const problems = problemsOf({
      ...J,
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.n > 1 %}', Next: 'D' }], Default: 'D' },
        D: { Type: 'Succeed' },
      },
    });
    expect(problems).toEqual([]);
  });

  it('refuses each JSONPath field of a JSONata state once, as Step Functions words it', () => {
    const problems = problemsOf({
      ...J,
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
          InputPath: '$.a',
          Parameters: {},
          ResultSelector: {},
          ResultPath: '$.r',
          OutputPath: '$',
          End: true,
        },
      },
    });
    expect(problems.map((p) => p.message)).toEqual(
      ['InputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'OutputPath'].map(
        (f) => `Field '${f}' is not supported when QueryLanguage is JSONata`,
      ),
    );
    expect(new Set(problems.map((p) => p.line)).size).toBe(5);
  });

  it('refuses Arguments and Output in a JSONPath state, and a JSONPath rule field in a JSONata rule', () => {
    expect(
      problemsOf({ StartAt: 'P', States: { P: { Type: 'Pass', Output: {}, End: true } } }).map(
        (p) => p.message,
      ),
    ).toEqual(["Field 'Output' is not supported when QueryLanguage is JSONPath"]);
    expect(
      problemsOf({
        ...J,
        StartAt: 'C',
        States: {
          C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Condition: true, Next: 'D' }] },
          D: { Type: 'Succeed' },
        },
      }).map((p) => p.message),
    ).toEqual([
      "Field 'Variable' is not supported when QueryLanguage is JSONata",
      "Field 'NumericEquals' is not supported when QueryLanguage is JSONata",
    ]);
  });

  it("refuses a JSONPath state under a JSONata root with AWS's message", () => {
    const problems = problemsOf({
      ...J,
      StartAt: 'P',
      States: { P: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true } },
    });
    expect(problems).toMatchObject([
      {
        path: '/States/P/QueryLanguage',
        message: "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
      },
    ]);
  });

  it('reports a JSONata syntax error once, with the line of its field', () => {
    const problems = problemsOf({
      ...J,
      StartAt: 'P',
      States: { P: { Type: 'Pass', Output: { a: '{% 1 + %}' }, End: true } },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '/States/P/Output/a', state: 'P' });
    expect(problems[0]?.message).toMatch(/^JSONata syntax error at character \d+ in '1 \+'/);
    expect(problems[0]?.line).toBe(8);
  });

  it('refuses $eval, the input at the top level, and $states.result or $states.errorOutput where the state has none', () => {
    const messages = problemsOf({
      ...J,
      StartAt: 'P',
      States: {
        P: {
          Type: 'Pass',
          Output: {
            a: "{% $eval('1') %}",
            b: '{% $.x %}',
            c: '{% total %}',
            d: '{% $states.result %}',
            e: '{% $states.errorOutput %}',
          },
          End: true,
        },
      },
    }).map((p) => p.path);
    expect(messages).toEqual([
      '/States/P/Output/a',
      '/States/P/Output/b',
      '/States/P/Output/c',
      '/States/P/Output/d',
      '/States/P/Output/e',
    ]);
  });
});
