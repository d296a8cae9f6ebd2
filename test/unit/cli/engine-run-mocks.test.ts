import { describe, expect, it } from 'vitest';
import type { InvokeEffect } from '../../../router/asl/interpreter/state.ts';
import { formatProblems } from '../../../router/asl/load.ts';
import {
  createMockInvoker,
  MockError,
  type MockTestCase,
  parseMockConfig,
  selectTestCase,
} from '../../../router/asl/mocks.ts';

function effect(stateName: string, attempt = 0): InvokeEffect {
  return {
    type: 'invoke',
    id: `${stateName}#${attempt}`,
    resource: 'arn:aws:states:::lambda:invoke',
    input: {},
    idempotencyKey: `e:${stateName}`,
    stateName,
    attempt,
  };
}

function testCase(config: unknown, name = 'T', machine = 'm'): MockTestCase {
  const { config: parsed, problems } = parseMockConfig(JSON.stringify(config), 'mocks.json');
  if (parsed === undefined) throw new Error(formatProblems(problems));
  return selectTestCase(parsed, [machine], name);
}

const signal = new AbortController().signal;

describe('parseMockConfig', () => {
  it('reads the Step Functions Local example shape: indices, ranges, Return and Throw', () => {
    // Prepare
    const source = JSON.stringify({
      StateMachines: {
        LambdaSQSIntegration: { TestCases: { RetryPath: { LambdaState: 'MockedLambdaRetry' } } },
      },
      MockedResponses: {
        MockedLambdaRetry: {
          '0': {
            Throw: { Error: 'Lambda.ResourceNotReadyException', Cause: 'Lambda resource is not ready.' },
          },
          '1-2': { Throw: { Error: 'Lambda.TimeoutException', Cause: 'Lambda timed out.' } },
          '3': { Return: { StatusCode: 200, Payload: { StatusCode: 200, body: 'Hello from Lambda!' } } },
        },
      },
    });

    // Act
    const { config, problems } = parseMockConfig(source);

    // Assess
    expect(problems).toEqual([]);
    expect(config?.responses.get('MockedLambdaRetry')?.map((r) => [r.from, r.to, r.outcome.ok])).toEqual([
      [0, 0, false],
      [1, 2, false],
      [3, 3, true],
    ]);
    expect(config?.stateMachines.get('LambdaSQSIntegration')?.unmockedTasks).toBe('fail');
  });

  it.each([
    [{ StateMachines: {}, MockedResponses: {}, Extra: 1 }, "unknown field 'Extra'"],
    [{ StateMachines: [], MockedResponses: {} }, 'StateMachines must be an object'],
    [
      { StateMachines: { m: { TestCases: {}, Mode: 1 } }, MockedResponses: {} },
      "state machine 'm': unknown field 'Mode'",
    ],
    [
      { StateMachines: { m: { TestCases: {}, UnmockedTasks: 'skip' } }, MockedResponses: {} },
      'UnmockedTasks must be "fail" or "invoke"',
    ],
    [
      { StateMachines: { m: { TestCases: { T: { S: 3 } } } }, MockedResponses: {} },
      "state 'S': must name a mocked response",
    ],
    [
      { StateMachines: {}, MockedResponses: { R: { first: { Return: 1 } } } },
      "'first' is not an invocation index",
    ],
    [
      { StateMachines: {}, MockedResponses: { R: { '2-1': { Return: 1 } } } },
      "'2-1' is not an invocation index",
    ],
    [{ StateMachines: {}, MockedResponses: { R: { '0': {} } } }, 'must have exactly one of Return and Throw'],
    [
      { StateMachines: {}, MockedResponses: { R: { '0': { Throw: { Cause: 'x' } } } } },
      'Throw must be { Error: "Name", Cause: "text" }',
    ],
    [
      { StateMachines: {}, MockedResponses: { R: { '0': { Return: 1, Delay: 5 } } } },
      "unknown field 'Delay'",
    ],
    [
      { StateMachines: {}, MockedResponses: { R: { '0': { Return: 1 }, '2': { Return: 2 } } } },
      'invocation 1 has no response',
    ],
    [
      { StateMachines: {}, MockedResponses: { R: { '0-2': { Return: 1 }, '1': { Return: 2 } } } },
      'invocation 1 is covered twice',
    ],
    [
      { StateMachines: {}, MockedResponses: { R: { '3-4': { Return: 1 } } } },
      'invocations 0-2 have no response',
    ],
    [{ StateMachines: {}, MockedResponses: { R: {} } }, "mocked response 'R' has no invocations"],
  ])('reports %j: %s', (config, message) => {
    // Act
    const { config: parsed, problems } = parseMockConfig(JSON.stringify(config), 'mocks.json');

    // Assess
    expect(parsed).toBeUndefined();
    expect(formatProblems(problems)).toContain(message);
  });

  it('reports a syntax error with its line', () => {
    // Act
    const { problems } = parseMockConfig('{\n  "StateMachines": {\n', 'mocks.json');

    // Assess
    expect(problems[0]).toMatchObject({ file: 'mocks.json', line: 3 });
  });
});

describe('selectTestCase', () => {
  const config = {
    StateMachines: { first: { TestCases: { A: {} } }, second: { TestCases: { B: {} } } },
    MockedResponses: {},
  };

  it('takes the first of the given names the file lists', () => {
    // Act
    const chosen = testCase(config, 'B', 'second');

    // Assess
    expect(chosen).toMatchObject({ stateMachine: 'second', name: 'B' });
  });

  it('names what the file has when nothing matches', () => {
    // Prepare
    const { config: parsed } = parseMockConfig(JSON.stringify(config));
    if (parsed === undefined) throw new Error('unexpected problems');

    // Act / Assess
    expect(() => selectTestCase(parsed, ['third', 'third.v1'], 'A')).toThrow(
      new MockError(
        "no state machine named 'third' or 'third.v1' in the mock file (it has 'first', 'second')",
      ),
    );
    expect(() => selectTestCase(parsed, ['first'], 'Z')).toThrow(
      "state machine 'first' has no test case 'Z' (it has 'A')",
    );
  });
});

describe('createMockInvoker', () => {
  it('counts invocations per state name across the execution, retries and Map items alike', async () => {
    // Prepare
    const mock = createMockInvoker(
      testCase({
        StateMachines: { m: { TestCases: { T: { Work: 'R', Other: 'O' } } } },
        MockedResponses: {
          R: { '0': { Throw: { Error: 'E', Cause: 'first' } }, '1-2': { Return: 'ok' } },
          O: { '0': { Return: 'other' } },
        },
      }),
    );

    // Act
    const outcomes = [
      await mock.invoke(effect('Work'), signal),
      await mock.invoke(effect('Other'), signal),
      await mock.invoke(effect('Work', 1), signal),
      await mock.invoke(effect('Work'), signal),
    ];

    // Assess
    expect(outcomes).toEqual([
      { ok: false, error: 'E', cause: 'first' },
      { ok: true, output: 'other' },
      { ok: true, output: 'ok' },
      { ok: true, output: 'ok' },
    ]);
    expect([...mock.calls]).toEqual([
      ['Work', 3],
      ['Other', 1],
    ]);
    await expect(mock.invoke(effect('Work'), signal)).rejects.toThrow(
      "state 'Work' is invoked for the 4th time (index 3) but mocked response 'R' in test case 'T' of state machine 'm' covers only indices 0-2",
    );
  });

  it('hands unmocked states to the fallback only when the file says UnmockedTasks: "invoke"', async () => {
    // Prepare
    const strict = testCase({ StateMachines: { m: { TestCases: { T: {} } } }, MockedResponses: {} });
    const lenient = testCase({
      StateMachines: { m: { TestCases: { T: {} }, UnmockedTasks: 'invoke' } },
      MockedResponses: {},
    });
    const seen: string[] = [];
    const fallback = async (e: InvokeEffect) => {
      seen.push(e.stateName);
      return { ok: true as const, output: 'real' };
    };

    // Act
    const real = await createMockInvoker(lenient, fallback).invoke(effect('Live'), signal);

    // Assess
    expect(real).toEqual({ ok: true, output: 'real' });
    expect(seen).toEqual(['Live']);
    await expect(createMockInvoker(strict, fallback).invoke(effect('Live'), signal)).rejects.toThrow(
      MockError,
    );
  });
});
