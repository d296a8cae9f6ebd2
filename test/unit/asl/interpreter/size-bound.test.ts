import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyResultPath, resultPathBound } from '../../../../router/asl/expressions/dataflow.ts';
import {
  type CompiledGraph,
  PARSED_GROWTH,
  sizeBound,
  startExecution,
} from '../../../../router/asl/interpreter/index.ts';
import type { JsonObject, JsonValue } from '../../../../router/asl/types.ts';
import { drive, graphOf, T0, task } from './helpers.ts';

const utf8Size = (value: JsonValue): number => Buffer.byteLength(JSON.stringify(value));

/** JSON values with awkward strings (escapes, astral and lone surrogates) and numbers of every length. */
const json: fc.Arbitrary<JsonValue> = fc.jsonValue({
  maxDepth: 4,
  stringUnit: 'binary',
}) as fc.Arbitrary<JsonValue>;
const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__');
const object = fc.dictionary(key, json, { maxKeys: 6 }) as fc.Arbitrary<JsonObject>;
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
        const output = applyResultPath(input, result, at);
        expect(sizeBound(output)).toBeLessThanOrEqual(
          resultPathBound(at)(sizeBound(input), sizeBound(result)),
        );
      }),
      { numRuns: 2_000 },
    );
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

  it('still fails the Task whose input grew past the limit from results that were each within it', () => {
    const run = drive(limited(), { id: 1 }, () => ({ ok: true, output: 'x'.repeat(500) }));

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(run.state.cause).toMatch(/^The input of Task state 'C' is \d+ bytes, above the limit of 1000/);
    expect(run.invokes.map((i) => i.resource.split(':').pop())).toEqual(['a', 'b']);
  });

  it('fails the execution output that grew past the limit after the last Task', () => {
    const graph = graphOf(
      'A',
      { A: task('a', { ResultPath: '$.a', End: true }) },
      { maxPayloadBytes: 1_000 },
    );

    const run = drive(graph, { pad: 'p'.repeat(500) }, () => ({ ok: true, output: 'x'.repeat(600) }));

    expect([run.state.status, run.state.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
    expect(run.state.cause).toContain('The execution output');
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
    expect(run.state.cause).toMatch(/^The output of state 'P' is \d+ bytes/);
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
