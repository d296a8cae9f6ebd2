import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../../router/asl/errors.ts';
import { compileChoiceRule, parseTimestamp } from '../../../../router/asl/expressions/choice.ts';
import {
  CHOICE_LITERAL_OPERATORS,
  CHOICE_PATH_OPERATORS,
  type ChoiceRule,
  type JsonValue,
} from '../../../../router/asl/types.ts';

const input: JsonValue = {
  name: 'banana',
  count: 10,
  price: 2.5,
  flag: true,
  nothing: null,
  when: '2026-03-14T12:00:00Z',
  other: {
    name: 'cherry',
    count: 10,
    low: 5,
    flag: true,
    when: '2026-03-14T13:00:00+01:00',
    later: '2026-03-15T00:00:00Z',
  },
  pattern: 'log-*.txt',
  list: [1, 2],
};
const context: JsonValue = { State: { Name: 'Decide' } };

/** Evaluates one rule against the shared input. */
function check(rule: ChoiceRule, value: JsonValue = input): boolean {
  return compileChoiceRule(rule)(value, context);
}

describe('string comparisons', () => {
  it('compare strings, and are false for non-strings', () => {
    expect(check({ Variable: '$.name', StringEquals: 'banana' })).toBe(true);
    expect(check({ Variable: '$.name', StringEquals: 'apple' })).toBe(false);
    expect(check({ Variable: '$.name', StringLessThan: 'cherry' })).toBe(true);
    expect(check({ Variable: '$.name', StringLessThan: 'apple' })).toBe(false);
    expect(check({ Variable: '$.name', StringGreaterThan: 'apple' })).toBe(true);
    expect(check({ Variable: '$.name', StringGreaterThan: 'cherry' })).toBe(false);
    expect(check({ Variable: '$.name', StringLessThanEquals: 'banana' })).toBe(true);
    expect(check({ Variable: '$.name', StringLessThanEquals: 'apple' })).toBe(false);
    expect(check({ Variable: '$.name', StringGreaterThanEquals: 'banana' })).toBe(true);
    expect(check({ Variable: '$.name', StringGreaterThanEquals: 'cherry' })).toBe(false);
    expect(check({ Variable: '$.count', StringEquals: '10' })).toBe(false);
    expect(check({ Variable: '$.nothing', StringEquals: 'null' })).toBe(false);
  });

  it('compare with another path', () => {
    expect(check({ Variable: '$.name', StringEqualsPath: '$.name' })).toBe(true);
    expect(check({ Variable: '$.name', StringLessThanPath: '$.other.name' })).toBe(true);
    expect(check({ Variable: '$.name', StringGreaterThanPath: '$.other.name' })).toBe(false);
    expect(check({ Variable: '$.name', StringLessThanEqualsPath: '$.other.name' })).toBe(true);
    expect(check({ Variable: '$.name', StringGreaterThanEqualsPath: '$.other.name' })).toBe(false);
    expect(check({ Variable: '$.name', StringEqualsPath: '$.count' })).toBe(false);
  });
});

describe('StringMatches', () => {
  it('matches * as any run of characters', () => {
    expect(check({ Variable: '$.name', StringMatches: 'ban*' })).toBe(true);
    expect(check({ Variable: '$.name', StringMatches: '*ana' })).toBe(true);
    expect(check({ Variable: '$.name', StringMatches: 'b*n*a' })).toBe(true);
    expect(check({ Variable: '$.name', StringMatches: '*' })).toBe(true);
    expect(check({ Variable: '$.name', StringMatches: 'ban' })).toBe(false);
    expect(check({ Variable: '$.count', StringMatches: '*' })).toBe(false);
  });

  it('treats \\* as a literal star and \\\\ as a literal backslash, other characters literally', () => {
    const matches = (pattern: string, value: string): boolean =>
      check({ Variable: '$.v', StringMatches: pattern }, { v: value });
    expect(matches('log-\\*.txt', 'log-*.txt')).toBe(true);
    expect(matches('log-\\*.txt', 'log-1.txt')).toBe(false);
    expect(matches('a\\\\b', 'a\\b')).toBe(true);
    expect(matches('a.b', 'axb')).toBe(false);
    expect(matches('(x)+[y]?', '(x)+[y]?')).toBe(true);
    expect(matches('line*', 'line1\nline2')).toBe(true);
  });

  it('accepts ** as one *, which EventBridge would reject, and refuses a backslash before anything else', () => {
    expect(check({ Variable: '$.name', StringMatches: 'b**a' })).toBe(true);
    expect(() => compileChoiceRule({ Variable: '$.name', StringMatches: 'a\\b' })).toThrow(
      "Choice rule StringMatches on '$.name': pattern 'a\\b': a backslash may only escape '*' or '\\' (offset 1)",
    );
  });
});

describe('numeric comparisons', () => {
  it('compare numbers, and are false for non-numbers', () => {
    expect(check({ Variable: '$.count', NumericEquals: 10 })).toBe(true);
    expect(check({ Variable: '$.count', NumericEquals: 11 })).toBe(false);
    expect(check({ Variable: '$.price', NumericLessThan: 3 })).toBe(true);
    expect(check({ Variable: '$.price', NumericLessThan: 2.5 })).toBe(false);
    expect(check({ Variable: '$.price', NumericGreaterThan: 2 })).toBe(true);
    expect(check({ Variable: '$.price', NumericGreaterThan: 2.5 })).toBe(false);
    expect(check({ Variable: '$.price', NumericLessThanEquals: 2.5 })).toBe(true);
    expect(check({ Variable: '$.price', NumericLessThanEquals: 2 })).toBe(false);
    expect(check({ Variable: '$.price', NumericGreaterThanEquals: 2.5 })).toBe(true);
    expect(check({ Variable: '$.price', NumericGreaterThanEquals: 3 })).toBe(false);
    expect(check({ Variable: '$.name', NumericEquals: 10 })).toBe(false);
    expect(check({ Variable: '$.flag', NumericGreaterThan: 0 })).toBe(false);
    expect(check({ Variable: '$.count', NumericEquals: 10 }, { count: '10' })).toBe(false);
  });

  it('compare with another path', () => {
    expect(check({ Variable: '$.count', NumericEqualsPath: '$.other.count' })).toBe(true);
    expect(check({ Variable: '$.count', NumericLessThanPath: '$.other.low' })).toBe(false);
    expect(check({ Variable: '$.count', NumericGreaterThanPath: '$.other.low' })).toBe(true);
    expect(check({ Variable: '$.count', NumericLessThanEqualsPath: '$.other.count' })).toBe(true);
    expect(check({ Variable: '$.count', NumericGreaterThanEqualsPath: '$.other.count' })).toBe(true);
    expect(check({ Variable: '$.count', NumericEqualsPath: '$.name' })).toBe(false);
  });
});

describe('boolean comparisons', () => {
  it('compare booleans, and are false for non-booleans', () => {
    expect(check({ Variable: '$.flag', BooleanEquals: true })).toBe(true);
    expect(check({ Variable: '$.flag', BooleanEquals: false })).toBe(false);
    expect(check({ Variable: '$.name', BooleanEquals: true })).toBe(false);
    expect(check({ Variable: '$.flag', BooleanEqualsPath: '$.other.flag' })).toBe(true);
    expect(check({ Variable: '$.flag', BooleanEqualsPath: '$.count' })).toBe(false);
  });
});

describe('timestamp comparisons', () => {
  it('compare instants, across offsets', () => {
    expect(check({ Variable: '$.when', TimestampEquals: '2026-03-14T12:00:00Z' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampEquals: '2026-03-14T14:00:00+02:00' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampEquals: '2026-03-14T12:00:00.000000001Z' })).toBe(false);
    expect(check({ Variable: '$.when', TimestampLessThan: '2026-03-14T12:00:00.5Z' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampLessThan: '2026-03-14T12:00:00Z' })).toBe(false);
    expect(check({ Variable: '$.when', TimestampGreaterThan: '2026-03-14T11:59:59Z' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampGreaterThan: '2026-03-14T12:00:00Z' })).toBe(false);
    expect(check({ Variable: '$.when', TimestampLessThanEquals: '2026-03-14T12:00:00Z' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampLessThanEquals: '2026-03-14T11:00:00Z' })).toBe(false);
    expect(check({ Variable: '$.when', TimestampGreaterThanEquals: '2026-03-14T12:00:00Z' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampGreaterThanEquals: '2026-03-14T13:00:00Z' })).toBe(false);
  });

  it('compare with another path', () => {
    expect(check({ Variable: '$.when', TimestampEqualsPath: '$.other.when' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampLessThanPath: '$.other.later' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampGreaterThanPath: '$.other.later' })).toBe(false);
    expect(check({ Variable: '$.when', TimestampLessThanEqualsPath: '$.other.when' })).toBe(true);
    expect(check({ Variable: '$.when', TimestampGreaterThanEqualsPath: '$.other.later' })).toBe(false);
  });

  it('are false when the variable is not a timestamp', () => {
    expect(check({ Variable: '$.name', TimestampEquals: '2026-03-14T12:00:00Z' })).toBe(false);
    expect(check({ Variable: '$.count', TimestampLessThan: '2026-03-14T12:00:00Z' })).toBe(false);
    expect(check({ Variable: '$.when', TimestampEqualsPath: '$.name' })).toBe(false);
  });

  it('parse only the restricted RFC 3339 profile', () => {
    expect(parseTimestamp('2026-03-14T12:00:00Z')).toEqual({ seconds: 1773489600, nanos: 0 });
    expect(parseTimestamp('2026-03-14T12:00:00.123Z')).toEqual({ seconds: 1773489600, nanos: 123_000_000 });
    expect(parseTimestamp('2026-03-14t12:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2026-03-14T12:00:00z')).toBeUndefined();
    expect(parseTimestamp('2026-03-14T12:00:00')).toBeUndefined();
    expect(parseTimestamp('2026-02-30T12:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2026-13-01T12:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2026-03-14T24:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2024-02-29T00:00:00-05:30')).toEqual({ seconds: 1709184600, nanos: 0 });
  });
});

describe('type tests', () => {
  it('IsNull, IsNumeric, IsString, IsBoolean, IsTimestamp, true and false forms', () => {
    expect(check({ Variable: '$.nothing', IsNull: true })).toBe(true);
    expect(check({ Variable: '$.name', IsNull: true })).toBe(false);
    expect(check({ Variable: '$.name', IsNull: false })).toBe(true);
    expect(check({ Variable: '$.price', IsNumeric: true })).toBe(true);
    expect(check({ Variable: '$.name', IsNumeric: true })).toBe(false);
    expect(check({ Variable: '$.name', IsString: true })).toBe(true);
    expect(check({ Variable: '$.count', IsString: true })).toBe(false);
    expect(check({ Variable: '$.flag', IsBoolean: true })).toBe(true);
    expect(check({ Variable: '$.nothing', IsBoolean: true })).toBe(false);
    expect(check({ Variable: '$.when', IsTimestamp: true })).toBe(true);
    expect(check({ Variable: '$.name', IsTimestamp: true })).toBe(false);
    expect(check({ Variable: '$.name', IsTimestamp: false })).toBe(true);
  });

  it('IsPresent never fails on an absent variable', () => {
    expect(check({ Variable: '$.name', IsPresent: true })).toBe(true);
    expect(check({ Variable: '$.nothing', IsPresent: true })).toBe(true);
    expect(check({ Variable: '$.missing', IsPresent: true })).toBe(false);
    expect(check({ Variable: '$.missing', IsPresent: false })).toBe(true);
    expect(check({ Variable: '$.list[5]', IsPresent: true })).toBe(false);
    expect(check({ Variable: '$.name.inner', IsPresent: true })).toBe(false);
    expect(check({ Variable: '$.list[*]', IsPresent: true })).toBe(true);
    expect(check({ Variable: '$.other[?(@ == 99)]', IsPresent: true })).toBe(false);
  });
});

describe('boolean expressions', () => {
  it('And, Or and Not combine nested rules', () => {
    const inRange: ChoiceRule = {
      And: [
        { Variable: '$.count', NumericGreaterThanEquals: 5 },
        { Variable: '$.count', NumericLessThan: 20 },
      ],
    };
    expect(check(inRange)).toBe(true);
    expect(check({ And: [inRange, { Variable: '$.flag', BooleanEquals: false }] })).toBe(false);
    expect(check({ Or: [{ Variable: '$.flag', BooleanEquals: false }, inRange] })).toBe(true);
    expect(check({ Or: [{ Variable: '$.flag', BooleanEquals: false }] })).toBe(false);
    expect(check({ Not: { Variable: '$.name', StringEquals: 'banana' } })).toBe(false);
    expect(check({ Not: { Not: inRange } })).toBe(true);
  });

  it('short-circuits like the spec describes, so a later missing variable is not reached', () => {
    expect(
      check({
        Or: [
          { Variable: '$.flag', BooleanEquals: true },
          { Variable: '$.missing', IsNull: true },
        ],
      }),
    ).toBe(true);
    expect(
      check({
        And: [
          { Variable: '$.flag', BooleanEquals: false },
          { Variable: '$.missing', IsNull: true },
        ],
      }),
    ).toBe(false);
  });
});

describe('errors', () => {
  it('fails with States.Runtime naming the path when a compared variable is absent', () => {
    for (const rule of [
      { Variable: '$.missing', StringEquals: 'x' },
      { Variable: '$.missing', NumericEquals: 1 },
      { Variable: '$.missing', IsNull: true },
      { Variable: '$.missing', StringMatches: '*' },
      { Variable: '$.name', StringEqualsPath: '$.missing' },
    ] satisfies ChoiceRule[]) {
      let error: unknown;
      try {
        check(rule);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(StatesError);
      expect((error as StatesError).name).toBe('States.Runtime');
      expect((error as StatesError).cause).toContain("Invalid path '$.missing'");
    }
  });

  it('rejects malformed rules when compiling', () => {
    expect(() => compileChoiceRule({ Variable: '$.a' })).toThrow(/has no comparison operator/);
    expect(() => compileChoiceRule({ Variable: '$.a', StringEquals: 'x', NumericEquals: 1 })).toThrow(
      /several operators/,
    );
    expect(() => compileChoiceRule({ StringEquals: 'x' })).toThrow(/no Variable/);
    expect(() => compileChoiceRule({ Variable: '$.a', NumericEquals: 'x' })).toThrow(
      /not a valid numeric operand/,
    );
    expect(() => compileChoiceRule({ Variable: '$.a', TimestampEquals: 'yesterday' })).toThrow(
      /not a valid timestamp operand/,
    );
    expect(() => compileChoiceRule({ Variable: '$.a', IsNull: 'yes' })).toThrow(/needs true or false/);
    expect(() => compileChoiceRule({ Variable: '$.a', StringEqualsPath: 3 })).toThrow(/needs a path/);
    expect(() => compileChoiceRule({ Variable: 'a', StringEquals: 'x' })).toThrow(/must start with/);
  });

  it('compiles every operator the graph types declare', () => {
    for (const operator of CHOICE_LITERAL_OPERATORS) {
      const operand = operator.startsWith('String')
        ? 'x'
        : operator.startsWith('Numeric')
          ? 1
          : operator.startsWith('Boolean')
            ? true
            : '2026-01-01T00:00:00Z';
      expect(typeof compileChoiceRule({ Variable: '$.a', [operator]: operand })).toBe('function');
    }
    for (const operator of CHOICE_PATH_OPERATORS) {
      expect(typeof compileChoiceRule({ Variable: '$.a', [operator]: '$.b' })).toBe('function');
    }
  });
});

describe('comparisons, property-based', () => {
  const anyValue = fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<JsonValue>;

  it('numeric operators agree with the number order and are false for any other type', () => {
    fc.assert(
      fc.property(anyValue, fc.double({ noNaN: true, noDefaultInfinity: true }), (value, operand) => {
        const numeric = typeof value === 'number';
        const v = value as number;
        return (
          check({ Variable: '$.v', NumericLessThan: operand }, { v: value }) === (numeric && v < operand) &&
          check({ Variable: '$.v', NumericGreaterThanEquals: operand }, { v: value }) ===
            (numeric && v >= operand) &&
          check({ Variable: '$.v', NumericEquals: operand }, { v: value }) === (numeric && v === operand)
        );
      }),
      { numRuns: 300 },
    );
  });

  it('string operators agree with the string order and are false for any other type', () => {
    fc.assert(
      fc.property(anyValue, fc.string(), (value, operand) => {
        const text = typeof value === 'string';
        const v = value as string;
        return (
          check({ Variable: '$.v', StringLessThan: operand }, { v: value }) === (text && v < operand) &&
          check({ Variable: '$.v', StringEquals: operand }, { v: value }) === (text && v === operand) &&
          check({ Variable: '$.v', StringMatches: '*' }, { v: value }) === text
        );
      }),
      { numRuns: 300 },
    );
  });

  it('StringMatches without wildcards is string equality, with escapes taken literally', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const pattern = a.replace(/[\\*]/g, (c) => `\\${c}`);
        const matches = compileChoiceRule({ Variable: '$.v', StringMatches: pattern });
        return matches({ v: b }, context) === (a === b) && matches({ v: a }, context);
      }),
      { numRuns: 300 },
    );
  });
});
