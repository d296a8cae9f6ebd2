import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../../router/asl/errors.ts';
import {
  compileIntrinsic,
  type IntrinsicEnv,
  isIntrinsic,
  parseIntrinsic,
  quoteIntrinsicString,
  validateIntrinsic,
} from '../../../../router/asl/expressions/intrinsics.ts';
import type { JsonValue } from '../../../../router/asl/types.ts';

/** Deterministic randomness, as a replayed execution would have. */
const env: IntrinsicEnv = { random: () => 0.5, uuid: () => '1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b' };

/** Compiles and runs an expression against an input. */
function run(expression: string, input: JsonValue = {}, context: JsonValue = {}): JsonValue {
  return compileIntrinsic(expression)(input, context, env);
}

/** The StatesError a run throws. */
function failure(expression: string, input: JsonValue = {}): StatesError {
  try {
    run(expression, input);
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error(`expected ${expression} to fail`);
}

const nine = { inputArray: [1, 2, 3, 4, 5, 6, 7, 8, 9] };

describe('intrinsic parser', () => {
  it('parses nested calls, literals and paths', () => {
    expect(
      parseIntrinsic("States.Array('a', -1.5e2, true, false, null, $.x, $$.Execution.Id, States.UUID())"),
    ).toEqual({
      type: 'call',
      name: 'States.Array',
      args: [
        { type: 'string', value: 'a', pieces: ['a'] },
        { type: 'literal', value: -150 },
        { type: 'literal', value: true },
        { type: 'literal', value: false },
        { type: 'literal', value: null },
        { type: 'path', path: '$.x' },
        { type: 'path', path: '$$.Execution.Id' },
        { type: 'call', name: 'States.UUID', args: [] },
      ],
    });
  });

  it('reads paths containing brackets, quotes and commas', () => {
    expect(run("States.Array($['a,b'][0], $.c)", { 'a,b': ['x'], c: 'y' })).toEqual(['x', 'y']);
  });

  it('resolves the string escapes', () => {
    expect(run("States.Array('it\\'s', 'back\\\\slash', '\\{\\}')")).toEqual(["it's", 'back\\slash', '{}']);
  });

  it('runs the documented nine-deep example', () => {
    const expression =
      "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))";
    const input = {
      ImageRecipe: { Arn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.2.3' },
    };
    expect(run(expression, input)).toBe('1.2');
  });
});

describe('validateIntrinsic', () => {
  it('accepts valid expressions', () => {
    expect(validateIntrinsic("States.Format('Hello, {}', $.name)")).toBeUndefined();
    expect(validateIntrinsic('States.UUID()')).toBeUndefined();
    expect(validateIntrinsic(' States.ArrayLength( $.a ) ')).toBeUndefined();
  });

  it('names the function and the problem', () => {
    expect(validateIntrinsic('States.Nope(1)')).toBe("unknown intrinsic function 'States.Nope'");
    expect(validateIntrinsic('States.ArrayLength()')).toBe('States.ArrayLength takes 1 argument(s), got 0');
    expect(validateIntrinsic('States.MathRandom(1)')).toBe(
      'States.MathRandom takes 2 to 3 argument(s), got 1',
    );
    expect(validateIntrinsic('States.Format()')).toBe('States.Format takes at least 1 argument(s), got 0');
    expect(validateIntrinsic("States.MathAdd('1', 2)")).toBe(
      'States.MathAdd: argument 1 must be an integer, got "1"',
    );
    expect(validateIntrinsic("States.Format('{} {}', 1)")).toContain('2 placeholder(s) but 1 value(s)');
    expect(validateIntrinsic('States.Array(States.ArrayLength())')).toContain('States.ArrayLength takes 1');
  });

  it('reports syntax errors with their offset', () => {
    expect(validateIntrinsic('States.Array(1')).toContain("missing ')' to close States.Array");
    expect(validateIntrinsic("States.Array('abc)")).toContain('unterminated string literal at offset 13');
    expect(validateIntrinsic("States.Array('\\n')")).toContain("unknown escape '\\n'");
    expect(validateIntrinsic('States.Array(1) x')).toContain("unexpected 'x' after the call");
    expect(validateIntrinsic('States.Array(foo)')).toContain("unexpected 'f' where an argument belongs");
    expect(validateIntrinsic('States.Array($.a[*')).toContain('States.Array');
    expect(validateIntrinsic('$.a')).toContain('expected an intrinsic function name');
  });

  it('limits nesting to ten calls deep', () => {
    const nest = (depth: number): string =>
      depth === 1 ? 'States.Array(1)' : `States.Array(${nest(depth - 1)})`;
    expect(validateIntrinsic(nest(10))).toBeUndefined();
    expect(validateIntrinsic(nest(11))).toContain('more than 10 nested');
  });

  it('tells intrinsics from paths', () => {
    expect(isIntrinsic('States.UUID()')).toBe(true);
    expect(isIntrinsic('$.States')).toBe(false);
  });
});

describe('intrinsic functions, documented examples', () => {
  it('States.Format', () => {
    expect(run("States.Format('Hello, my name is {}.', $.name)", { name: 'Arnav' })).toBe(
      'Hello, my name is Arnav.',
    );
    expect(run("States.Format('{} {} {} {}', 'a', 1, true, null)")).toBe('a 1 true null');
    expect(run("States.Format('\\{literal\\} {}', 2)")).toBe('{literal} 2');
    expect(run('States.Format($.template, $.v)', { template: 'x={}', v: 3 })).toBe('x=3');
  });

  it('States.Format failures', () => {
    expect(failure('States.Format($.template, 1, 2)', { template: 'x={}' }).cause).toContain(
      '1 placeholder(s) but 2 value(s)',
    );
    expect(failure("States.Format('{}', $.o)", { o: { a: 1 } }).cause).toContain('only strings, numbers');
    expect(failure('States.Format($.t)', { t: 'a { b' }).cause).toContain("unescaped '{'");
  });

  it('States.StringToJson and States.JsonToString', () => {
    expect(run('States.StringToJson($.someString)', { someString: '{"number": 20}' })).toEqual({
      number: 20,
    });
    expect(run('States.JsonToString($.someJson)', { someJson: { name: 'Foo', zebra: 'Bar' } })).toBe(
      '{"name":"Foo","zebra":"Bar"}',
    );
    expect(failure("States.StringToJson('{nope')").cause).toContain(
      'States.StringToJson: the string is not JSON',
    );
    expect(failure('States.StringToJson($.n)', { n: 1 }).cause).toContain('argument 1 must be a string');
  });

  it('States.Array', () => {
    expect(run("States.Array('Foo', 2020, $.someJson, null)", { someJson: { random: 'abcdefg' } })).toEqual([
      'Foo',
      2020,
      { random: 'abcdefg' },
      null,
    ]);
    expect(run('States.Array()')).toEqual([]);
  });

  it('States.ArrayPartition', () => {
    expect(run('States.ArrayPartition($.inputArray, 4)', nine)).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
    expect(failure('States.ArrayPartition($.inputArray, 0)', nine).cause).toContain('positive integer');
    expect(failure('States.ArrayPartition($.inputArray, $.size)', { ...nine, size: 1.5 }).cause).toContain(
      'argument 2 must be an integer, got 1.5',
    );
    expect(failure('States.ArrayPartition($.s, 2)', { s: 'x' }).cause).toContain(
      'argument 1 must be an array',
    );
    expect(validateIntrinsic("States.ArrayPartition('x', 2)")).toContain('argument 1 must be an array');
  });

  it('States.ArrayContains', () => {
    expect(run('States.ArrayContains($.inputArray, $.lookingFor)', { ...nine, lookingFor: 5 })).toBe(true);
    expect(run('States.ArrayContains($.inputArray, 10)', nine)).toBe(false);
    expect(run('States.ArrayContains($.a, $.o)', { a: [{ k: [1] }], o: { k: [1] } })).toBe(true);
  });

  it('States.ArrayRange', () => {
    expect(run('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(run('States.ArrayRange(5, 1, -2)')).toEqual([5, 3, 1]);
    expect(run('States.ArrayRange(1, 1000, 1)')).toHaveLength(1000);
    expect(failure('States.ArrayRange(0, 1000, 1)').cause).toContain('1001 items; at most 1000');
    expect(failure('States.ArrayRange(1, 9, 0)').cause).toContain('the step must not be 0');
    expect(failure('States.ArrayRange(1, $.x, 1)', { x: 2.5 }).cause).toContain(
      'argument 2 must be an integer',
    );
  });

  it('States.ArrayGetItem', () => {
    expect(run('States.ArrayGetItem($.inputArray, $.index)', { ...nine, index: 5 })).toBe(6);
    expect(failure('States.ArrayGetItem($.inputArray, 9)', nine).cause).toBe(
      'States.ArrayGetItem: index 9 is out of range for an array of 9 item(s)',
    );
    expect(failure('States.ArrayGetItem($.inputArray, -1)', nine).name).toBe('States.Runtime');
  });

  it('States.ArrayLength and States.ArrayUnique', () => {
    expect(run('States.ArrayLength($.inputArray)', nine)).toBe(9);
    expect(run('States.ArrayUnique($.a)', { a: [1, 2, 3, 3, 3, 3, 3, 3, 4] })).toEqual([1, 2, 3, 4]);
    expect(run('States.ArrayUnique($.a)', { a: [{ x: 1 }, { x: 1 }, 'x'] })).toEqual([{ x: 1 }, 'x']);
    expect(failure('States.ArrayLength($.o)', { o: {} }).cause).toContain('States.ArrayLength');
  });

  it('States.Base64Encode and States.Base64Decode', () => {
    expect(run("States.Base64Encode('Data to encode')")).toBe('RGF0YSB0byBlbmNvZGU=');
    expect(run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')")).toBe('Data to encode');
    expect(failure("States.Base64Decode('not base64!')").cause).toContain('is not valid base64');
    expect(failure('States.Base64Encode($.s)', { s: 'x'.repeat(10_001) }).cause).toContain('at most 10000');
    expect(failure('States.Base64Decode($.s)', { s: 'QUFB'.repeat(2501) }).cause).toContain('at most 10000');
  });

  it('States.Hash with every algorithm', () => {
    const vectors: Record<string, string> = {
      MD5: '900150983cd24fb0d6963f7d28e17f72',
      'SHA-1': 'a9993e364706816aba3e25717850c26c9cd0d89d',
      'SHA-256': 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      'SHA-384':
        'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
      'SHA-512':
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    };
    for (const [algorithm, digest] of Object.entries(vectors)) {
      expect(run('States.Hash($.Data, $.Algorithm)', { Data: 'abc', Algorithm: algorithm })).toBe(digest);
    }
    expect(failure("States.Hash('abc', 'SHA-3')").cause).toContain("unknown algorithm 'SHA-3'");
    expect(failure("States.Hash($.s, 'MD5')", { s: 'x'.repeat(10_001) }).cause).toContain('at most 10000');
  });

  it('States.JsonMerge (shallow)', () => {
    const input = { json1: { a: { a1: 1, a2: 2 }, b: 2 }, json2: { a: { a3: 1, a4: 2 }, c: 3 } };
    expect(run('States.JsonMerge($.json1, $.json2, false)', input)).toEqual({
      a: { a3: 1, a4: 2 },
      b: 2,
      c: 3,
    });
    expect(failure('States.JsonMerge($.json1, $.json2, true)', input).cause).toContain(
      'only shallow merging',
    );
    expect(failure('States.JsonMerge($.json1, $.b, false)', { ...input, b: 1 }).cause).toContain(
      'argument 2 must be an object',
    );
  });

  it('States.MathRandom takes its randomness from the environment, or from a seed', () => {
    expect(run('States.MathRandom($.start, $.end)', { start: 1, end: 999 })).toBe(500);
    const seeded = run('States.MathRandom(1, 999, 42)');
    expect(seeded).toBe(run('States.MathRandom(1, 999, 42)'));
    expect(seeded).toBeGreaterThanOrEqual(1);
    expect(seeded).toBeLessThan(999);
    expect(failure('States.MathRandom(5, 5)').cause).toContain('must be greater than the start');
  });

  it('States.MathAdd', () => {
    expect(run('States.MathAdd($.value1, $.step)', { value1: 111, step: -1 })).toBe(110);
    expect(failure('States.MathAdd(2147483648, 1)').cause).toContain('outside the 32-bit integer range');
    expect(failure('States.MathAdd($.x, 1)', { x: 1.5 }).cause).toContain('argument 1 must be an integer');
  });

  it('States.StringSplit splits on any delimiter character', () => {
    expect(
      run('States.StringSplit($.inputString, $.splitter)', { inputString: '1,2,3,4,5', splitter: ',' }),
    ).toEqual(['1', '2', '3', '4', '5']);
    expect(
      run('States.StringSplit($.inputString, $.splitter)', {
        inputString: 'This.is+a,test=string',
        splitter: '.+,=',
      }),
    ).toEqual(['This', 'is', 'a', 'test', 'string']);
    expect(failure("States.StringSplit('a', '')").cause).toContain('the delimiter must not be empty');
  });

  it('States.UUID comes from the environment', () => {
    expect(run('States.UUID()')).toBe('1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b');
  });

  it('reports failures as States.Runtime with the spec name States.IntrinsicFailure', () => {
    const error = failure('States.ArrayLength($.x)', { x: 'no' });
    expect(error.name).toBe('States.Runtime');
    expect(error.specError).toBe('States.IntrinsicFailure');
  });

  it('fails on a missing path argument, naming the path', () => {
    const error = failure('States.ArrayLength($.missing)', {});
    expect(error.cause).toContain("'$.missing'");
  });

  it('throws a TypeError when compiling an invalid expression', () => {
    expect(() => compileIntrinsic('States.Nope()')).toThrow(TypeError);
  });
});

/** Strings rich in the characters the literal syntax treats specially, plus any other Unicode. */
const literalText = fc.string({
  unit: fc.oneof(
    fc.constantFrom("'", '\\', '{', '}', '{}', ',', ')', '$', ' ', '\n'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
});

describe('intrinsic string literals, property-based', () => {
  it('round-trip any string through quoting and parsing', () => {
    fc.assert(
      fc.property(literalText, (text) => {
        const array = run(`States.Array(${quoteIntrinsicString(text)})`);
        const formatted = run(`States.Format(${quoteIntrinsicString(text)})`);
        return Array.isArray(array) && array.length === 1 && array[0] === text && formatted === text;
      }),
      { numRuns: 200 },
    );
  });

  it('format any strings into placeholders unchanged', () => {
    fc.assert(
      fc.property(literalText, literalText, literalText, (a, b, c) => {
        const template = `${quoteIntrinsicString(a).slice(0, -1)}{}'`;
        expect(run(`States.Format(${template}, $.b)`, { b })).toBe(a + b);
        expect(run(`States.Format('{}{}', $.b, $.c)`, { b, c })).toBe(b + c);
      }),
      { numRuns: 200 },
    );
  });
});
