import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyResultPath, resultPathBound } from '../../../../router/asl/expressions/dataflow.ts';
import {
  type CompiledGraph,
  type ExecutionState,
  jsonSize,
  PARSED_GROWTH,
  SizeBounds,
  sizeBound,
  startExecution,
} from '../../../../router/asl/interpreter/index.ts';
import type { JsonObject, JsonValue, State } from '../../../../router/asl/types.ts';
import { drive, echo, graphOf, roundTrip, T0, task } from './helpers.ts';

const utf8Size = (value: JsonValue): number => Buffer.byteLength(JSON.stringify(value));

/** JSON values with awkward strings (escapes, astral and lone surrogates) and numbers of every length. */
const json: fc.Arbitrary<JsonValue> = fc.jsonValue({
  maxDepth: 4,
  stringUnit: 'binary',
}) as fc.Arbitrary<JsonValue>;
const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__');
const object = fc.dictionary(key, json, { maxKeys: 6 }) as fc.Arbitrary<JsonObject>;
/** Values that share subtrees (an array holding the same array several times), as intrinsics build them. */
const shared: fc.Arbitrary<JsonValue> = fc
  .tuple(fc.array(json, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 4 }))
  .map(([items, depth]) => {
    let value: JsonValue = items;
    for (let k = 0; k < depth; k++) value = [value, value, value, value, { again: value }];
    return value;
  });
/** Reference paths in dot and bracket notation, one to three fields deep. */
const path = fc
  .array(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), { minLength: 1, maxLength: 3 })
  .chain((names) =>
    fc
      .array(fc.boolean(), { minLength: names.length, maxLength: names.length })
      .map((brackets) => `$${names.map((n, i) => (brackets[i] ? `['${n}']` : `.${n}`)).join('')}`),
  );

describe('payload size bounds', () => {
  it('never fall below the UTF-8 size of the JSON', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(sizeBound(value)).toBeGreaterThanOrEqual(utf8Size(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('cover the longest number JSON writes', () => {
    for (const n of [-1.0360000000000001e-6, -1.7976931348623157e308, -5e-324, -123456789012345680000]) {
      expect(sizeBound(n)).toBeGreaterThanOrEqual(utf8Size(n));
    }
    expect(utf8Size(-1.0360000000000001e-6)).toBe(25);
  });

  it('of a parsed value are at most PARSED_GROWTH times its text, however the numbers are written', () => {
    const numberText = fc.oneof(
      fc.constantFrom('1e21', '5e-324', '-1e20', '1E5', '0.1', '9', '-0'),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    );
    const text = fc.oneof(
      json.map((value) => JSON.stringify(value, null, 1)),
      fc.array(numberText, { maxLength: 20 }).map((numbers) => `[${numbers.join(',')}]`),
      fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 }).map((s) => JSON.stringify(s)),
    );
    fc.assert(
      fc.property(text, (source) => {
        expect(sizeBound(JSON.parse(source) as JsonValue)).toBeLessThanOrEqual(
          PARSED_GROWTH * Buffer.byteLength(source),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('of a ResultPath output are at most what resultPathBound gives from the input and the result', () => {
    fc.assert(
      fc.property(object, json, fc.oneof(path, fc.constantFrom('$', null)), (input, result, at) => {
        // A path through a field that holds no object (`$.c.a` on `{"c":[]}`) fails the state instead.
        let output: JsonValue;
        try {
          output = applyResultPath(input, result, at);
        } catch (error) {
          expect(error).toMatchObject({ name: 'States.ResultPathMatchFailure' });
          return;
        }
        expect(sizeBound(output)).toBeLessThanOrEqual(
          resultPathBound(at)(sizeBound(input), sizeBound(result)),
        );
        expect(jsonSize(output)).toBeLessThanOrEqual(resultPathBound(at)(jsonSize(input), jsonSize(result)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('measured exactly are the UTF-8 size of the JSON, and a budget only stops the walk past it', () => {
    fc.assert(
      fc.property(fc.oneof(json, shared), fc.nat({ max: 400 }), (value, budget) => {
        const size = utf8Size(value);
        expect(jsonSize(value)).toBe(size);
        const partial = jsonSize(value, budget);
        if (size <= budget) expect(partial).toBe(size);
        else expect(partial).toBeGreaterThan(budget);
      }),
      { numRuns: 2_000 },
    );
  });

  it('remembered by a run are the bounds sizeBound gives, however often a value is asked about', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(json, shared), { minLength: 1, maxLength: 4 }), (values) => {
        const sizes = new SizeBounds();
        for (const round of [1, 2]) {
          for (const value of values) {
            expect([round, sizes.bound(value, Number.POSITIVE_INFINITY)]).toEqual([round, sizeBound(value)]);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('carried by a thread are known for its latest value only', () => {
    // Prepare
    const sizes = new SizeBounds();
    const thread = startExecution(
      graphOf('A', { A: task('a') }),
      { executionId: 'e', input: {}, startTime: T0 },
      T0,
    ).state.root;
    const first = { a: [1, 2, 3, 4] };
    const second = { a: [1, 2, 3, 4] };

    // Act
    sizes.carry(thread, first, 40);
    const known = [sizes.of(thread, first), sizes.of(thread, second)];
    sizes.carry(thread, second, 41);

    // Assess
    expect(known).toEqual([40, Number.NaN]);
    expect([sizes.of(thread, first), sizes.of(thread, second)]).toEqual([Number.NaN, 41]);
  });
});

describe('the payload limit with bounds carried from state to state', () => {
  const limited = (): CompiledGraph =>
    graphOf(
      'A',
      {
        A: task('a', { ResultPath: '$.a', Next: 'B' }),
        B: task('b', { ResultPath: '$.b', Next: 'C' }),
        C: task('c', { ResultPath: '$.c', End: true }),
      },
      { maxPayloadBytes: 1_000 },
    );

  it('still fails the Task whose output grew past the limit from results that were each within it', () => {
    const run = drive(limited(), { id: 1 }, () => ({ ok: true, output: 'x'.repeat(500) }));

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(run.state.cause).toMatch(
      /^The output of state 'B' is at least \d+ bytes, above the limit of 1000/,
    );
    expect(run.invokes.map((i) => i.resource.split(':').pop())).toEqual(['a', 'b']);
  });

  it('fails the last state, whose output is the execution output, when it grew past the limit', () => {
    const graph = graphOf(
      'A',
      { A: task('a', { ResultPath: '$.a', End: true }) },
      { maxPayloadBytes: 1_000 },
    );

    const run = drive(graph, { pad: 'p'.repeat(500) }, () => ({ ok: true, output: 'x'.repeat(600) }));

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(run.state.cause).toMatch(/^The output of state 'A' is at least \d+ bytes/);
  });

  it('fails a Parallel whose output, the input with every branch result, grew past the limit', () => {
    const branch = (resource: string) => ({ StartAt: 'T', States: { T: task(resource) } });
    const graph = graphOf(
      'P',
      {
        P: { Type: 'Parallel', Branches: [branch('a'), branch('b')], ResultPath: '$.both', Next: 'Q' },
        Q: { Type: 'Pass', End: true },
      },
      { maxPayloadBytes: 1_000 },
    );

    const run = drive(graph, { pad: 'p'.repeat(300) }, () => ({ ok: true, output: 'x'.repeat(400) }));

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(run.state.cause).toMatch(/^The output of state 'P' is at least \d+ bytes/);
  });

  it('checks an input whose text size allows no conclusion, and trusts one that does', () => {
    const graph = graphOf('A', { A: task('a', { End: true }) }, { maxPayloadBytes: 1_000 });
    const big = { text: 'y'.repeat(1_200) };
    const small = { text: 'y'.repeat(20) };
    const start = (input: JsonObject) =>
      startExecution(graph, { executionId: 'e', input, inputBytes: utf8Size(input), startTime: T0 }, T0)
        .state;

    expect([start(big).status, start(big).error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(start(small).status).toBe('RUNNING');
  });
});

describe('every state input, result and output held to the limit as it is produced', () => {
  const limited = { maxPayloadBytes: 1_000 };
  const wide = { s: 'x'.repeat(600) };
  const done: State = { Type: 'Pass', End: true };
  const cases: [string, Record<string, State>, JsonValue, string][] = [
    [
      'a Pass result built by an intrinsic',
      { S: { Type: 'Pass', Parameters: { 'v.$': 'States.Array($.s, $.s)' }, End: true } },
      wide,
      "The result of state 'S'",
    ],
    [
      'a Choice output selected by a full path',
      {
        C: {
          Type: 'Choice',
          Choices: [{ Variable: '$.a', IsPresent: true, Next: 'Done' }],
          OutputPath: '$..*',
        },
        Done: done,
      },
      { a: { b: { c: { d: 'x'.repeat(300) } } } },
      "The output of state 'C'",
    ],
    [
      'a Task input',
      { T: task('t', { Parameters: { 'v.$': 'States.Array($.s, $.s)' } }) },
      wide,
      "The input of Task state 'T'",
    ],
    [
      'what ResultSelector makes of a Task result',
      { T: task('t', { ResultSelector: { 'v.$': 'States.Array($.s, $.s)' } }) },
      wide,
      "The ResultSelector output of state 'T'",
    ],
    [
      'the output of a Catch',
      {
        T: task('fail', { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Done' }] }),
        Done: done,
      },
      { pad: 'p'.repeat(300) },
      "The output of state 'T'",
    ],
    [
      'the input of Parallel branches',
      {
        P: {
          Type: 'Parallel',
          Parameters: { 'v.$': 'States.Array($.s, $.s)' },
          Branches: [{ StartAt: 'B', States: { B: done } }],
          End: true,
        },
      },
      wide,
      "The input of the branches of Parallel state 'P'",
    ],
    [
      'the input of a Map item',
      {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'v.$': 'States.Array($$.Map.Item.Value, $$.Map.Item.Value)' },
          ItemProcessor: { StartAt: 'I', States: { I: done } },
          End: true,
        },
      },
      { items: ['x'.repeat(600)] },
      "The input of item 0 of Map state 'M'",
    ],
    [
      'a Map result',
      {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'a.$': '$$.Map.Item.Value', 'b.$': '$$.Map.Item.Value' },
          ItemProcessor: { StartAt: 'I', States: { I: done } },
          End: true,
        },
      },
      { items: ['x', 'y', 'z', 'w'].map((c) => c.repeat(150)) },
      "The result of state 'M'",
    ],
  ];

  it.each(cases)('fails %s above the limit, naming it', (_, states, input, named) => {
    // Prepare
    const graph = graphOf(Object.keys(states)[0] as string, states, limited);
    const answer = (
      resource: string,
    ): { ok: true; output: JsonValue } | { ok: false; error: string; cause: string } =>
      resource === 'fail' ? { ok: false, error: 'E', cause: 'c'.repeat(800) } : { ok: true, output: wide };

    // Act
    const run = drive(graph, input, (effect) => answer(effect.resource));

    // Assess
    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(run.state.cause).toMatch(new RegExp(`^${named.replace(/[$()]/g, '\\$&')} is at least \\d+ bytes`));
  });

  it('stops a loop that doubles a shared array as soon as the value passes the limit', () => {
    // Prepare: each round doubles the tree of `v`, but shares its halves, so memory grows by one array
    const graph = graphOf('Double', {
      Double: { Type: 'Pass', Parameters: { 'v.$': 'States.Array($.v, $.v)', 'n.$': '$.n' }, Next: 'Count' },
      Count: { Type: 'Pass', Parameters: { 'v.$': '$.v', 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Again?' },
      'Again?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericLessThan: 24, Next: 'Double' }],
        Default: 'Done',
      },
      Done: { Type: 'Succeed' },
    });
    const heapBefore = process.memoryUsage().heapUsed;

    // Act
    const { state } = startExecution(
      graph,
      { executionId: 'e', input: { v: [1], n: 0 }, startTime: T0 },
      T0,
      {
        history: false,
      },
    );

    // Assess
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect([state.status, state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(state.cause).toMatch(
      /^The result of state 'Double' is at least \d+ bytes, above the limit of 262144/,
    );
    expect(state.transitions).toBeLessThan(3 * 20);
    expect(heapGrowth).toBeLessThan(50 * 1024 * 1024);
  });

  it('fails exactly the runs in which some result or output passes the limit', () => {
    const text = fc
      .tuple(fc.nat({ max: 700 }), fc.constantFrom('a', 'é', '\n', '\u0001', '😀', '"'))
      .map(([n, c]): JsonValue => ({ text: c.repeat(n) }));
    const step = fc.record({ at: fc.constantFrom<string | null>('$.r', '$.s', '$', null), result: text });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 5 }), (steps) => {
        // Prepare
        const states: Record<string, State> = {};
        steps.forEach((s, i) => {
          const next = i < steps.length - 1 ? { Next: `T${i + 1}` } : { End: true };
          states[`T${i}`] = task(`${i}`, { ResultPath: s.at, ...next });
        });
        const graph = graphOf('T0', states, limited);
        let value: JsonValue = { id: 1 };
        let expected: string | undefined;
        for (const [i, s] of steps.entries()) {
          const output = applyResultPath(value, s.result, s.at);
          if (utf8Size(s.result) > 1_000) expected = `The result of state 'T${i}'`;
          else if (utf8Size(output) > 1_000) expected = `The output of state 'T${i}'`;
          if (expected !== undefined) break;
          value = output;
        }

        // Act
        const run = drive(graph, { id: 1 }, (effect) => ({
          ok: true,
          output: steps[Number(effect.resource)]?.result ?? null,
        }));

        // Assess
        if (expected === undefined)
          expect([run.state.status, run.state.output]).toEqual(['SUCCEEDED', value]);
        else
          expect([run.state.error, run.state.cause?.split(' is ')[0]]).toEqual([
            'States.DataLimitExceeded',
            expected,
          ]);
      }),
      { numRuns: 300 },
    );
  });
});

/** Every key of the objects in a value that JSON would not write: symbols, and non-enumerable keys. */
function hiddenKeys(value: unknown, at = '$', found: string[] = []): string[] {
  if (typeof value !== 'object' || value === null) return found;
  for (const key of Reflect.ownKeys(value)) {
    const enumerable = Object.getOwnPropertyDescriptor(value, key)?.enumerable === true;
    if (typeof key === 'symbol' || (!enumerable && !(Array.isArray(value) && key === 'length'))) {
      found.push(`${at}[${String(key)}]`);
    }
    if (typeof key === 'string') hiddenKeys((value as Record<string, unknown>)[key], `${at}.${key}`, found);
  }
  return found;
}

describe('the execution state of a run that carries size bounds', () => {
  const graph = graphOf('A', {
    A: task('a', { ResultPath: '$.a', Next: 'P' }),
    P: {
      Type: 'Parallel',
      Branches: [{ StartAt: 'B', States: { B: task('b') } }],
      ResultPath: '$.p',
      Next: 'M',
    },
    M: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: { StartAt: 'I', States: { I: task('i') } },
      ResultPath: '$.m',
      Next: 'W',
    },
    W: task('w', {
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Done' }],
      Next: 'Done',
    }),
    Done: { Type: 'Pass', End: true },
  });
  const input = { items: [1, 2, 3, 4, 5], pad: [[1, 2, 3, 4], 'text'] };

  it('holds only what it serialises to: a checkpoint, a clone and a comparison see the same', () => {
    // Prepare
    const sizes = new SizeBounds();

    // Act: W stays in flight, so threads, blocks and pending effects are all in the state
    const run = drive(graph, input, (effect) => (effect.resource === 'w' ? undefined : echo(effect, T0)), {
      sizes,
    });

    // Assess
    expect(run.state.status).toBe('RUNNING');
    expect(sizes.of(run.state.root, run.state.root.input)).toBeGreaterThan(0);
    expect(hiddenKeys(run.state)).toEqual([]);
    expect(structuredClone(run.state)).toEqual(roundTrip(run.state));
    expect(roundTrip(run.state)).toEqual(run.state);
  });

  it('ends a run resumed without its bounds as the run that kept them', () => {
    // Prepare
    const sizes = new SizeBounds();
    const first = drive(graph, input, (effect) => (effect.resource === 'w' ? undefined : echo(effect, T0)), {
      sizes,
    });
    const saved: ExecutionState = roundTrip(first.state);

    // Act
    const kept = drive(graph, null, echo, { state: first.state, sizes });
    const resumed = drive(graph, null, echo, { state: saved });

    // Assess
    expect(kept.state.status).toBe('SUCCEEDED');
    expect(resumed.state).toEqual(kept.state);
  });
});
