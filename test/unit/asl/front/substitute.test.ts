import { describe, expect, it } from 'vitest';
import { parseVariables, substituteVariables } from '../../../../router/asl/substitute.ts';

/** `${name}` written without tripping the template-literal lint. */
const ph = (name: string): string => `\${${name}}`;

describe('substituteVariables', () => {
  it('replaces placeholders inside strings and keeps the type of whole-string placeholders', () => {
    // Prepare
    const value = {
      Resource: ph('Fn'),
      TimeoutSeconds: ph('Timeout'),
      Flag: ph('On'),
      Parameters: { label: `run-${ph('Stage')}-${ph('Timeout')}`, list: [ph('Stage')] },
    };

    // Act
    const result = substituteVariables(value, {
      Fn: 'arn:aws:lambda:us-east-1:1:function:f',
      Timeout: 30,
      On: false,
      Stage: 'dev',
    });

    // Assess
    expect(result.problems).toEqual([]);
    expect(result.value).toEqual({
      Resource: 'arn:aws:lambda:us-east-1:1:function:f',
      TimeoutSeconds: 30,
      Flag: false,
      Parameters: { label: 'run-dev-30', list: ['dev'] },
    });
  });

  it('leaves paths, .$ keys, $$ and non-identifier braces alone, and unescapes $${', () => {
    // Prepare
    const value = {
      'a.$': '$.x',
      'b.$': '$$.Execution.Id',
      c: `\${ not a name }`,
      d: `$${ph('Literal')}`,
      [ph('Key')]: 1,
    };

    // Act
    const result = substituteVariables(value, { Literal: 'no', Key: 'no' });

    // Assess
    expect(result.problems).toEqual([]);
    expect(result.value).toEqual({
      'a.$': '$.x',
      'b.$': '$$.Execution.Id',
      c: `\${ not a name }`,
      d: ph('Literal'),
      [ph('Key')]: 1,
    });
  });

  it('reports every unknown name with its path and position', () => {
    // Act
    const result = substituteVariables(
      { States: { A: { Resource: ph('Missing'), Comment: `x ${ph('Other')}` } } },
      {},
      {
        file: 'g.hjson',
        positionOf: (path) => (path === '/States/A/Resource' ? { line: 4, column: 7 } : undefined),
      },
    );

    // Assess
    expect(result.problems).toEqual([
      {
        file: 'g.hjson',
        path: '/States/A/Resource',
        line: 4,
        column: 7,
        message: `unknown variable '${ph('Missing')}' (not in the variables file)`,
      },
      {
        file: 'g.hjson',
        path: '/States/A/Comment',
        message: `unknown variable '${ph('Other')}' (not in the variables file)`,
      },
    ]);
  });

  it('does not take names from the prototype chain', () => {
    const result = substituteVariables({ a: ph('toString') }, {});
    expect(result.problems).toHaveLength(1);
  });
});

describe('parseVariables', () => {
  it('reads an HJSON variables file', () => {
    const { variables, problems } = parseVariables('# dev\nFn: arn:aws:lambda:x\nTimeout: 30\nOn: true\n');
    expect(problems).toEqual([]);
    expect(variables).toEqual({ Fn: 'arn:aws:lambda:x', Timeout: 30, On: true });
  });

  it('reports bad names and values with their lines', () => {
    const { problems } = parseVariables('{\n  "bad name": 1\n  List: [1]\n}', 'dev.hjson');
    expect(problems).toEqual([
      {
        file: 'dev.hjson',
        path: '/bad name',
        line: 2,
        column: 3,
        message: "variable name 'bad name' is not an identifier",
      },
      {
        file: 'dev.hjson',
        path: '/List',
        line: 3,
        column: 3,
        message: "variable 'List' must be a string, number or boolean",
      },
    ]);
  });

  it('rejects a file that is not an object', () => {
    expect(parseVariables('[1]').problems[0]?.message).toBe(
      'a variables file must be an object of name -> string, number or boolean',
    );
  });
});
