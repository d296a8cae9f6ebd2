/**
 * Mocked service integrations in the AWS Step Functions Local format (`MockConfigFile.json`), so an engine
 * author tests every path of a graph (retries, failures, Map items, Parallel branches) without calling a
 * single Lambda or AWS API, with the mock files they already have for Step Functions Local.
 *
 * ```
 * { StateMachines: { NAME: { TestCases: { CASE: { STATE_NAME: MOCKED_RESPONSE_NAME } } } },
 *   MockedResponses: { MOCKED_RESPONSE_NAME: { "0": { Return: ... }, "1-2": { Throw: { Error, Cause } } } } }
 * ```
 *
 * As the Local runner does, a state is matched by name wherever it sits (inside Map iterators and
 * Parallel branches too), and each state name has one invocation counter for the whole execution: every
 * attempt (a retry, a Map item) takes the next index. `Return` is the service's response, before
 * ResultSelector / ResultPath (for `lambda:invoke` that is `{ StatusCode, Payload }`).
 *
 * A distributed Map's ItemReader and ResultWriter are S3 requests made under the Map state's name: a
 * mocked response for the Map answers its read (the item array) and then its write (the details).
 *
 * Two choices of this runtime where the Local runner has none to offer:
 * - a Task state the test case does not mock stops the run with an error naming the state, unless the
 *   state machine entry says `UnmockedTasks: "invoke"` (then the real invoker runs it, as Step Functions
 *   Local would);
 * - an invocation past the last index mocked stops the run with an error naming the state and the index.
 */

import { InputError } from '../errors.ts';
import type { InvokeOutcome } from './interpreter/runtime.ts';
import type { InvokeEffect } from './interpreter/state.ts';
import { parseGraphSource, pointerJoin } from './parse.ts';
import { type GraphProblem, isJsonObject, type JsonValue } from './types.ts';

/** What one mocked invocation answers: a service response, or a service error. */
export type MockOutcome =
  | { readonly ok: true; readonly output: JsonValue }
  | { readonly ok: false; readonly error: string; readonly cause: string };

/** One entry of a mocked response: the invocation indices it covers (inclusive) and its outcome. */
export interface MockRange {
  readonly from: number;
  readonly to: number;
  readonly outcome: MockOutcome;
}

/** What to do with a Task state the test case does not mock. */
export type UnmockedTasks = 'fail' | 'invoke';

/** One state machine of the mock file: its test cases (state name -> mocked response name). */
export interface MockedStateMachine {
  readonly testCases: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly unmockedTasks: UnmockedTasks;
}

/** A parsed, cross-checked mock configuration. */
export interface MockConfig {
  readonly stateMachines: ReadonlyMap<string, MockedStateMachine>;
  /** Mocked response name -> its ranges, sorted by index. */
  readonly responses: ReadonlyMap<string, readonly MockRange[]>;
}

/** The test case an execution runs with. */
export interface MockTestCase {
  readonly stateMachine: string;
  readonly name: string;
  /** State name -> ranges of its mocked response. */
  readonly states: ReadonlyMap<string, { readonly response: string; readonly ranges: readonly MockRange[] }>;
  readonly unmockedTasks: UnmockedTasks;
}

/** A mock lookup that cannot be answered: the run stops, since its result would mean nothing. */
export class MockError extends InputError {
  override readonly name = 'MockError';
}

const RANGE = /^(\d+)(?:-(\d+))?$/;
const SM_FIELDS = new Set(['TestCases', 'UnmockedTasks']);

/**
 * Parses a mock configuration file (JSON, or HJSON), reporting every problem with its line: unknown
 * fields, a response with both or neither of Return and Throw, overlapping or missing indices, a test
 * case naming a mocked response that does not exist.
 *
 * @example
 * const { config, problems } = parseMockConfig(source, 'test/fixtures/mocks/batch-average.json');
 * if (config === undefined) throw new Error(formatProblems(problems));
 */
export function parseMockConfig(
  source: string,
  file?: string,
): { config?: MockConfig; problems: GraphProblem[] } {
  const parsed = parseGraphSource(source, file);
  const problems: GraphProblem[] = [...parsed.problems];
  if (parsed.value === undefined || problems.length > 0) return { problems };
  const report = (path: string, message: string): void => {
    const position = parsed.positionOf(path);
    problems.push({
      path,
      message,
      ...(file === undefined ? {} : { file }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    });
  };
  const root = parsed.value;
  if (!isJsonObject(root)) {
    report('', 'a mock configuration must be an object with StateMachines and MockedResponses');
    return { problems };
  }
  for (const key of Object.keys(root)) {
    if (key !== 'StateMachines' && key !== 'MockedResponses')
      report(pointerJoin('', key), `unknown field '${key}' (expected StateMachines, MockedResponses)`);
  }

  const responses = new Map<string, MockRange[]>();
  const mocked = root.MockedResponses;
  if (!isJsonObject(mocked)) {
    report('/MockedResponses', 'MockedResponses must be an object of name -> { "0": { Return | Throw } }');
  } else {
    for (const [name, body] of Object.entries(mocked)) {
      const path = pointerJoin('/MockedResponses', name);
      const ranges = parseResponse(body, path, name, report);
      if (ranges !== undefined) responses.set(name, ranges);
    }
  }

  const stateMachines = new Map<string, MockedStateMachine>();
  const machines = root.StateMachines;
  if (!isJsonObject(machines)) {
    report('/StateMachines', 'StateMachines must be an object of name -> { TestCases }');
  } else {
    for (const [machine, body] of Object.entries(machines)) {
      const path = pointerJoin('/StateMachines', machine);
      if (!isJsonObject(body)) {
        report(path, `state machine '${machine}' must be an object with TestCases`);
        continue;
      }
      for (const key of Object.keys(body)) {
        if (!SM_FIELDS.has(key))
          report(
            pointerJoin(path, key),
            `state machine '${machine}': unknown field '${key}' (expected TestCases, UnmockedTasks)`,
          );
      }
      const unmocked = body.UnmockedTasks ?? 'fail';
      if (unmocked !== 'fail' && unmocked !== 'invoke')
        report(
          pointerJoin(path, 'UnmockedTasks'),
          `state machine '${machine}': UnmockedTasks must be "fail" or "invoke"`,
        );
      const cases = body.TestCases;
      const testCases = new Map<string, Map<string, string>>();
      if (!isJsonObject(cases)) {
        report(
          pointerJoin(path, 'TestCases'),
          `state machine '${machine}': TestCases must be an object of test case -> { STATE: MOCKED_RESPONSE }`,
        );
      } else {
        for (const [testCase, states] of Object.entries(cases)) {
          const casePath = pointerJoin(pointerJoin(path, 'TestCases'), testCase);
          if (!isJsonObject(states)) {
            report(casePath, `test case '${testCase}' must map state names to mocked response names`);
            continue;
          }
          const map = new Map<string, string>();
          for (const [state, response] of Object.entries(states)) {
            const statePath = pointerJoin(casePath, state);
            if (typeof response !== 'string') {
              report(
                statePath,
                `test case '${testCase}', state '${state}': must name a mocked response (a string)`,
              );
            } else if (isJsonObject(mocked) && !Object.hasOwn(mocked, response)) {
              report(
                statePath,
                `test case '${testCase}', state '${state}': mocked response '${response}' is not in MockedResponses`,
              );
            } else {
              map.set(state, response);
            }
          }
          testCases.set(testCase, map);
        }
      }
      stateMachines.set(machine, { testCases, unmockedTasks: unmocked === 'invoke' ? 'invoke' : 'fail' });
    }
  }
  return problems.length > 0 ? { problems } : { config: { stateMachines, responses }, problems };
}

function parseResponse(
  body: JsonValue | undefined,
  path: string,
  name: string,
  report: (path: string, message: string) => void,
): MockRange[] | undefined {
  if (!isJsonObject(body)) {
    report(
      path,
      `mocked response '${name}' must be an object of invocation index or range -> { Return | Throw }`,
    );
    return undefined;
  }
  const ranges: MockRange[] = [];
  let ok = true;
  for (const [key, entry] of Object.entries(body)) {
    const entryPath = pointerJoin(path, key);
    const match = RANGE.exec(key);
    const from = match?.[1] === undefined ? Number.NaN : Number(match[1]);
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (match === null || to < from) {
      report(
        entryPath,
        `mocked response '${name}': '${key}' is not an invocation index ("0") or range ("1-2")`,
      );
      ok = false;
      continue;
    }
    const outcome = parseOutcome(entry, entryPath, `mocked response '${name}' [${key}]`, report);
    if (outcome === undefined) ok = false;
    else ranges.push({ from, to, outcome });
  }
  ranges.sort((a, b) => a.from - b.from);
  // Gaps and overlaps only mean something once every entry is readable.
  let expected = 0;
  for (const range of ok ? ranges : []) {
    if (range.from < expected) {
      report(path, `mocked response '${name}': invocation ${range.from} is covered twice`);
      ok = false;
    } else if (range.from > expected) {
      const missing =
        range.from - 1 > expected
          ? `invocations ${expected}-${range.from - 1} have`
          : `invocation ${expected} has`;
      report(path, `mocked response '${name}': ${missing} no response (indices start at 0, with no gaps)`);
      ok = false;
    }
    expected = Math.max(expected, range.to + 1);
  }
  if (ranges.length === 0 && ok) {
    report(path, `mocked response '${name}' has no invocations ("0": { Return | Throw })`);
    ok = false;
  }
  return ok ? ranges : undefined;
}

function parseOutcome(
  entry: JsonValue | undefined,
  path: string,
  what: string,
  report: (path: string, message: string) => void,
): MockOutcome | undefined {
  if (!isJsonObject(entry)) {
    report(path, `${what} must be { Return: ... } or { Throw: { Error, Cause } }`);
    return undefined;
  }
  const keys = Object.keys(entry);
  const unknown = keys.filter((k) => k !== 'Return' && k !== 'Throw');
  if (unknown.length > 0) report(path, `${what}: unknown field '${unknown[0]}' (expected Return or Throw)`);
  const hasReturn = Object.hasOwn(entry, 'Return');
  const hasThrow = Object.hasOwn(entry, 'Throw');
  if (hasReturn === hasThrow) {
    report(path, `${what} must have exactly one of Return and Throw`);
    return undefined;
  }
  if (unknown.length > 0) return undefined;
  if (hasReturn) return { ok: true, output: entry.Return ?? null };
  const thrown = entry.Throw;
  if (!isJsonObject(thrown) || typeof thrown.Error !== 'string' || thrown.Error === '') {
    report(
      pointerJoin(path, 'Throw'),
      `${what}: Throw must be { Error: "Name", Cause: "text" } with a non-empty Error`,
    );
    return undefined;
  }
  if (thrown.Cause !== undefined && typeof thrown.Cause !== 'string') {
    report(pointerJoin(path, 'Throw/Cause'), `${what}: Throw.Cause must be a string`);
    return undefined;
  }
  return { ok: false, error: thrown.Error, cause: thrown.Cause ?? '' };
}

/**
 * Picks the test case to run: the state machine is the first of `names` (the graph's `Engine`, then the
 * file name) that the file lists. Throws a MockError naming what is available when there is none.
 */
export function selectTestCase(config: MockConfig, names: readonly string[], testCase: string): MockTestCase {
  const machineName = names.find((n) => config.stateMachines.has(n));
  const machine = machineName === undefined ? undefined : config.stateMachines.get(machineName);
  if (machineName === undefined || machine === undefined) {
    throw new MockError(
      `no state machine named ${names.map((n) => `'${n}'`).join(' or ')} in the mock file (it has ${list(config.stateMachines.keys())})`,
    );
  }
  const states = machine.testCases.get(testCase);
  if (states === undefined) {
    throw new MockError(
      `state machine '${machineName}' has no test case '${testCase}' (it has ${list(machine.testCases.keys())})`,
    );
  }
  const resolved = new Map<string, { response: string; ranges: readonly MockRange[] }>();
  for (const [state, response] of states) {
    resolved.set(state, { response, ranges: config.responses.get(response) ?? [] });
  }
  return {
    stateMachine: machineName,
    name: testCase,
    states: resolved,
    unmockedTasks: machine.unmockedTasks,
  };
}

function list(names: Iterable<string>): string {
  const all = [...names].map((n) => `'${n}'`);
  return all.length === 0 ? 'none' : all.join(', ');
}

/** Answers invoke effects from a test case; the shape matches the runtime's `invoke` dependency. */
export type MockInvoke = (
  effect: InvokeEffect,
  signal: AbortSignal,
) => InvokeOutcome | Promise<InvokeOutcome>;

/** The mock invoker and what it saw, so a test can assert on invocation counts. */
export interface MockInvoker {
  readonly invoke: MockInvoke;
  /** Invocations per state name so far. */
  readonly calls: ReadonlyMap<string, number>;
}

/**
 * Builds the invoker that answers each Task from the test case: the n-th invocation of a state (counted
 * per state name over the whole execution) gets the response whose range covers n. `fallback` runs the
 * Task states the test case leaves out when the file allows it (`UnmockedTasks: "invoke"`).
 *
 * @example
 * const mock = createMockInvoker(selectTestCase(config, ['batch-average'], 'RetryPath'));
 * await runExecution(compiled, init, { invoke: mock.invoke, clock: new VirtualClock() });
 */
export function createMockInvoker(testCase: MockTestCase, fallback?: MockInvoke): MockInvoker {
  const calls = new Map<string, number>();
  const where = `test case '${testCase.name}' of state machine '${testCase.stateMachine}'`;
  const invoke: MockInvoke = async (effect, signal) => {
    const mocked = testCase.states.get(effect.stateName);
    if (mocked === undefined) {
      if (testCase.unmockedTasks === 'invoke' && fallback !== undefined) return fallback(effect, signal);
      throw new MockError(
        `state '${effect.stateName}' (${effect.mapRun === undefined ? 'Task' : effect.mapRun === 'read' ? 'Map ItemReader' : 'Map ResultWriter'}, ${effect.resource}) has no mocked response in ${where}; mock it, or set UnmockedTasks: "invoke" on the state machine to call the real resource`,
      );
    }
    const index = calls.get(effect.stateName) ?? 0;
    calls.set(effect.stateName, index + 1);
    const range = mocked.ranges.find((r) => r.from <= index && index <= r.to);
    if (range === undefined) {
      throw new MockError(
        `state '${effect.stateName}' is invoked for the ${ordinal(index + 1)} time (index ${index}) but mocked response '${mocked.response}' in ${where} covers only indices 0-${mocked.ranges.at(-1)?.to ?? 0}`,
      );
    }
    // A callback task's result is what the step would report with its token, so it arrives at once.
    return range.outcome;
  };
  return { invoke, calls };
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
