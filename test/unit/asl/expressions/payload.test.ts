import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../../router/asl/errors.ts';
import type { IntrinsicEnv } from '../../../../router/asl/expressions/intrinsics.ts';
import { compilePayloadTemplate } from '../../../../router/asl/expressions/payload.ts';
import type { JsonValue } from '../../../../router/asl/types.ts';

const env: IntrinsicEnv = { random: () => 0, uuid: () => '00000000-0000-4000-8000-000000000000' };
const context: JsonValue = { Execution: { Id: 'exec-1' }, Map: { Item: { Index: 2, Value: { sku: 'A' } } } };

/** The StatesError a call throws. */
function thrown(run: () => unknown): StatesError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatesError) return error;
    throw error;
  }
  throw new Error('expected a StatesError');
}

describe('compilePayloadTemplate', () => {
  it('selects fields as in the developer guide Parameters example', () => {
    // Prepare
    const input = {
      comment: 'Example for Parameters.',
      product: {
        details: { color: 'blue', size: 'small', material: 'cotton' },
        availability: 'in stock',
        sku: '2317',
        cost: '$23',
      },
    };
    const template = {
      comment: 'Selecting what I care about.',
      MyDetails: {
        'size.$': '$.product.details.size',
        'exists.$': '$.product.availability',
        StaticValue: 'foo',
      },
    };

    // Act
    const output = compilePayloadTemplate(template)(input, context, env);

    // Assess
    expect(output).toEqual({
      comment: 'Selecting what I care about.',
      MyDetails: { size: 'small', exists: 'in stock', StaticValue: 'foo' },
    });
  });

  it('shapes a result as in the developer guide ResultSelector example', () => {
    const result = {
      resourceType: 'elasticmapreduce',
      resource: 'createCluster.sync',
      output: {
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: {},
        ClusterId: 'AKIAIOSFODNN7EXAMPLE',
      },
    };
    const selector = compilePayloadTemplate({
      'ClusterId.$': '$.output.ClusterId',
      'ResourceType.$': '$.resourceType',
    });
    expect(selector(result, context, env)).toEqual({
      ClusterId: 'AKIAIOSFODNN7EXAMPLE',
      ResourceType: 'elasticmapreduce',
    });
  });

  it('reads the context object, runs intrinsics, and walks nested arrays and objects', () => {
    const template: JsonValue = {
      'execution.$': '$$.Execution.Id',
      'item.$': '$$.Map.Item.Value',
      'greeting.$': "States.Format('Hello {}', $.name)",
      'id.$': 'States.UUID()',
      list: [1, { 'n.$': '$.name' }, [{ 'deep.$': '$.n' }]],
      'all.$': '$.tags[*].k',
    };
    const output = compilePayloadTemplate(template)(
      { name: 'Ada', n: 3, tags: [{ k: 'a' }, { k: 'b' }] },
      context,
      env,
    );
    expect(output).toEqual({
      execution: 'exec-1',
      item: { sku: 'A' },
      greeting: 'Hello Ada',
      id: '00000000-0000-4000-8000-000000000000',
      list: [1, { n: 'Ada' }, [{ deep: 3 }]],
      all: ['a', 'b'],
    });
  });

  it('returns literal templates unchanged, including scalars', () => {
    expect(compilePayloadTemplate({ a: [1, { b: null }] })({}, context)).toEqual({ a: [1, { b: null }] });
    expect(compilePayloadTemplate('plain')({}, context)).toBe('plain');
    expect(compilePayloadTemplate(null)({}, context)).toBeNull();
  });

  it('fails with States.Runtime naming the field and the path when a path matches nothing', () => {
    const params = compilePayloadTemplate({ outer: { 'id.$': '$.detail.id' } });
    const error = thrown(() => params({ detail: {} }, context, env));
    expect(error.name).toBe('States.Runtime');
    expect(error.specError).toBe('States.ParameterPathFailure');
    expect(error.cause).toBe(
      "The JSONPath '$.detail.id' specified for the field 'id.$' could not be found in the input {\"detail\":{}}",
    );
  });

  it('names the field when an intrinsic fails', () => {
    const params = compilePayloadTemplate({ 'n.$': 'States.ArrayLength($.x)' });
    const error = thrown(() => params({ x: 'text' }, context, env));
    expect(error.specError).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain("The field 'n.$' failed: States.ArrayLength: argument 1 must be an array");
  });

  it('rejects invalid .$ values when compiling, naming the field', () => {
    expect(thrown(() => compilePayloadTemplate({ a: { 'b.$': 42 } })).cause).toContain(
      "The field 'a.b.$' ends in '.$' so its value must be a path or an intrinsic function, got 42",
    );
    expect(thrown(() => compilePayloadTemplate({ 'b.$': 'States.Nope()' })).cause).toContain(
      "The field 'b.$' is invalid: unknown intrinsic function 'States.Nope'",
    );
    expect(thrown(() => compilePayloadTemplate({ 'b.$': 'no-dollar' })).cause).toContain(
      "must start with '$'",
    );
  });

  it('refuses __proto__ keys, literal or dynamic', () => {
    const literal = JSON.parse('{"__proto__": {"polluted": true}}') as JsonValue;
    expect(thrown(() => compilePayloadTemplate(literal)).cause).toContain("'__proto__' is a reserved name");
    const dynamic = JSON.parse('{"x": {"__proto__.$": "$.a"}}') as JsonValue;
    expect(thrown(() => compilePayloadTemplate(dynamic)).cause).toContain(
      "The field 'x.__proto__.$' is not allowed",
    );
  });

  it('copies __proto__ keys found in the input as plain data', () => {
    const input = JSON.parse('{"a": {"__proto__": {"polluted": true}}}') as JsonValue;
    const output = compilePayloadTemplate({ 'copy.$': '$.a' })(input, context, env) as { copy: object };
    expect(Object.hasOwn(output.copy, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('payload templates, property-based', () => {
  const key = fc.constantFrom('a', 'b', 'c');
  const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
  /**
   * A literal has no key ending in `.$` (in a template such a key is a path) and no `__proto__` key
   * (a template rejects it as reserved; see above).
   */
  const literalJson = json.filter((value) => !/(\.\$|"__proto__)"\s*:/.test(JSON.stringify(value)));
  const segs = fc.array(fc.oneof(key, fc.nat({ max: 2 })), { maxLength: 3 });

  it('fill every .$ field with what its path names in the input, and copy literals', () => {
    fc.assert(
      fc.property(fc.dictionary(key, json), segs, literalJson, (input, path, literal) => {
        const text = `$${path.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`;
        let expected: JsonValue | undefined = input;
        for (const s of path) {
          expected =
            typeof s === 'number'
              ? Array.isArray(expected)
                ? expected[s]
                : undefined
              : expected !== null &&
                  typeof expected === 'object' &&
                  !Array.isArray(expected) &&
                  Object.hasOwn(expected, s)
                ? expected[s]
                : undefined;
          if (expected === undefined) break;
        }
        const run = compilePayloadTemplate({ 'picked.$': text, nested: { keep: literal } });
        if (expected === undefined) {
          expect(() => run(input, context, env)).toThrow(StatesError);
        } else {
          expect(run(input, context, env)).toEqual({ picked: expected, nested: { keep: literal } });
        }
      }),
      { numRuns: 300 },
    );
  });
});
