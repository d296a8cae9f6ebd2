import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileLegacyGraph } from '../../../../router/asl/legacy.ts';
import { loadGraph } from '../../../../router/asl/load.ts';
import { validateGraph } from '../../../../router/asl/validate/index.ts';

const FIXTURE = new URL('../../../fixtures/graphs/legacy-v1.0.json', import.meta.url);

describe('compileLegacyGraph', () => {
  it('compiles the functionOutline into a pre-order chain: parent, its children, then the next sibling', () => {
    // Prepare
    const legacy = JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown;

    // Act
    const { graph, problems } = compileLegacyGraph(legacy);

    // Assess
    expect(problems).toEqual([]);
    expect(graph).toEqual({
      Comment:
        "Compiled from the functionOutline form: 'First Event Engine', version 1.0.0, region eu-west-1",
      Engine: 'First Event Engine',
      StartAt: 'function1',
      States: {
        function1: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:seed004-SimpleLambda1',
          Parameters: {},
          ResultPath: '$.function1',
          Next: 'function2',
        },
        function2: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:seed004-SimpleLambda2:$LATEST',
          Parameters: { 'Arg1.$': '$.Arg1', 'Arg2.$': '$.Arg2' },
          ResultPath: '$.function2',
          Next: 'function2.1',
        },
        'function2.1': {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: {
            FunctionName: 'arn:aws:lambda:eu-west-1:000000000000:function:seed004-SimpleLambda2_1',
            InvocationType: 'Event',
            Payload: {},
          },
          ResultPath: null,
          Next: 'function3',
        },
        function3: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:eu-west-1:000000000000:function:seed004-SimpleLambda3',
          Parameters: {},
          ResultPath: '$.function3',
          End: true,
        },
      },
    });
    expect(
      validateGraph(graph, {
        allowlist: ['arn:aws:lambda:*:*:function:seed004-*', 'arn:aws:states:::lambda:invoke'],
      }),
    ).toEqual([]);
  });

  it('uses bracket notation for labels that are not identifiers', () => {
    const { graph } = compileLegacyGraph({
      functionOutline: [{ "it's.done": { arn: 'arn:aws:lambda:x:1:function:f', args: ['a-b'] } }],
    });
    expect(graph?.States).toMatchObject({
      "it's.done": { ResultPath: "$['it\\'s.done']", Parameters: { 'a-b.$': "$['a-b']" } },
    });
  });

  it('reports every malformed entry with its path', () => {
    // Act
    const { graph, problems } = compileLegacyGraph({
      name: 7,
      extra: true,
      functionOutline: [
        { a: { arn: '', invoke: 'later' } },
        { b: { arn: 'arn:aws:lambda:x:1:function:b', args: [1], children: 'none', retries: 3 } },
        { c: {}, d: {} },
        { a: { arn: 'arn:aws:lambda:x:1:function:a2' } },
      ],
    });

    // Assess
    expect(graph).toBeUndefined();
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['/extra', "unknown legacy field 'extra' (expected functionOutline, name, version, region)"],
      ['/name', "'name' must be a string"],
      ['/functionOutline/0/a/arn', "step 'a': 'arn' must be a non-empty string"],
      ['/functionOutline/0/a/invoke', "step 'a': 'invoke' must be 'sync' or 'async'"],
      ['/functionOutline/1/b/retries', "step 'b': unknown field 'retries'"],
      ['/functionOutline/1/b/args', "step 'b': 'args' must be a list of message keys (strings)"],
      [
        '/functionOutline/1/b/children',
        'must be a list of { LABEL: { arn, invoke, args, children } } entries',
      ],
      ['/functionOutline/2', 'each entry must be an object with exactly one key, the step label'],
      ['/functionOutline/3/a', "step label 'a' is used twice (labels name states)"],
    ]);
  });

  it('is what loadGraph runs for a functionOutline source, with positions from the legacy file', () => {
    // Act
    const loaded = loadGraph(readFileSync(FIXTURE, 'utf8'), {
      file: 'legacy.json',
      allowlist: ['arn:aws:lambda:*:*:function:seed004-SimpleLambda1'],
    });

    // Assess
    expect(loaded.graph).toBeUndefined();
    expect(loaded.problems.map((p) => `${p.line}:${p.path}`)).toEqual([
      '13:/States/function2/Resource',
      '19:/States/function2.1/Parameters/FunctionName',
      '19:/States/function2.1/Resource',
      '28:/States/function3/Resource',
    ]);
  });
});
