/**
 * `router engine run`: the engine author's test runner. It runs one execution of a graph on a virtual
 * clock (a 10-minute Wait or a retry back-off takes no real time), either against mocked responses in the
 * AWS Step Functions Local format (`--mocks FILE --test-case NAME`, nothing is called) or against the real
 * step Lambdas and AWS APIs of the environment (`AWS_ENDPOINT_URL` and friends), and prints the result as
 * one JSON object, so a shell script or a test can assert on it.
 *
 * With `--state NAME` it runs that one state instead, as Step Functions' TestState API does: with the
 * given variables and context object, its work mocked (`--mock-result`, `--mock-error`) or answered by
 * the mock file or the real resources, at a given retry attempt or Map iteration; it prints the status,
 * the next state, the output, the error, and the data at each step of the state's data flow.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import type { CompiledGraph, JsonObject, JsonValue, StateTest, Variables } from '../../asl/index.ts';
import {
  compileGraph,
  createMockInvoker,
  formatProblems,
  isJsonObject,
  loadGraph,
  MockError,
  parseMockConfig,
  runExecution,
  StateTestError,
  selectTestCase,
  testState,
  VirtualClock,
} from '../../asl/index.ts';
import { awsEnvironmentFromEnv, lambdaClient } from '../../aws/index.ts';
import { createSdkIntegrations, createTaskInvoker, type TaskInvoker } from '../../invoke/index.ts';
import { allowlistNote, type CliAllowlist, cliAllowlist, isAllowlistRefusal } from '../allowlist.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { ALLOW_OPTION, readVariablesFile, VARS_OPTION } from './engine-validate.ts';

const USAGE =
  'engine run FILE --input JSON|@FILE [--vars FILE] [--mocks FILE --test-case NAME] [--history] [--allow PATTERN]... ' +
  '[--state NAME [--variables JSON] [--context JSON] [--mock-result JSON | --mock-error NAME [--mock-cause TEXT]] ' +
  '[--retrier-attempt N] [--map-index N [--map-value JSON]]]';

const OPTIONS = {
  input: {
    type: 'string',
    value: 'JSON|@FILE',
    description: 'the execution input: JSON text, or @FILE to read it from a file (required)',
  },
  ...VARS_OPTION,
  mocks: {
    type: 'string',
    value: 'FILE',
    description: 'Step Functions Local mock file (MockConfigFile.json format); nothing real is called',
  },
  'test-case': { type: 'string', value: 'NAME', description: 'the test case of --mocks to run' },
  history: { type: 'boolean', description: 'add the execution history to the printed JSON' },
  ...ALLOW_OPTION,
  state: {
    type: 'string',
    value: 'NAME',
    description: 'run only this state (anywhere in the graph), as the TestState API does',
  },
  variables: {
    type: 'string',
    value: 'JSON|@FILE',
    description: 'with --state: the variables in scope, as a JSON object',
  },
  context: {
    type: 'string',
    value: 'JSON|@FILE',
    description: 'with --state: a context object (or part of one) laid over the one the runtime builds',
  },
  'mock-result': {
    type: 'string',
    value: 'JSON|@FILE',
    description: "with --state: the result of the state's work (Task invoke, Map or Parallel iterations)",
  },
  'mock-error': {
    type: 'string',
    value: 'NAME',
    description: "with --state: the error the state's work raises",
  },
  'mock-cause': { type: 'string', value: 'TEXT', description: 'with --mock-error: its cause' },
  'retrier-attempt': {
    type: 'string',
    value: 'N',
    description: 'with --state: retries already made by the matching Retrier ($$.State.RetryCount)',
  },
  'map-index': {
    type: 'string',
    value: 'N',
    description: 'with --state: the Map iteration the state runs in ($$.Map.Item.Index)',
  },
  'map-value': {
    type: 'string',
    value: 'JSON|@FILE',
    description: 'with --map-index: the item ($$.Map.Item.Value; default: the input)',
  },
} as const satisfies CommandOptions;

/** The options that only mean something with --state. */
const STATE_ONLY = [
  'variables',
  'context',
  'mock-result',
  'mock-error',
  'retrier-attempt',
  'map-index',
  'map-value',
] as const;

async function readText(path: string, io: CommandIo, what: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} '${path}': ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** `--input '{"a":1}'` or `--input @input.json` (and the other JSON options): JSON text, or a file of it. */
async function readJson(value: string, io: CommandIo, option = 'input'): Promise<JsonValue> {
  const fromFile = value.startsWith('@');
  const text = fromFile ? await readText(value.slice(1), io, `${option} file`) : value;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    const where = fromFile ? `${option} file '${value.slice(1)}'` : `--${option}`;
    throw new UsageError(
      `${where} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A JSON option that must hold an object (`--variables`, `--context`). */
async function readObject(value: string, io: CommandIo, option: string): Promise<JsonObject> {
  const parsed = await readJson(value, io, option);
  if (!isJsonObject(parsed)) throw new UsageError(`--${option} must be a JSON object`);
  return parsed;
}

/** A count option (`--retrier-attempt`, `--map-index`): a non-negative integer. */
function readCount(value: string, option: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`--${option} must be a non-negative integer, got '${value}'`);
  }
  return n;
}

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

/** What `--state` and its options ask for, read and checked. */
async function readStateTest(
  values: Values,
  input: JsonValue,
  io: CommandIo,
): Promise<StateTest | undefined> {
  const stateName = values.state;
  if (stateName === undefined) {
    const stray = STATE_ONLY.find((option) => values[option] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} goes with --state NAME`);
    if (values['mock-cause'] !== undefined) throw new UsageError('--mock-cause goes with --mock-error NAME');
    return undefined;
  }
  if (values['mock-result'] !== undefined && values['mock-error'] !== undefined)
    throw new UsageError('give --mock-result or --mock-error, not both');
  if (values['mock-cause'] !== undefined && values['mock-error'] === undefined)
    throw new UsageError('--mock-cause goes with --mock-error NAME');
  if (values['map-value'] !== undefined && values['map-index'] === undefined)
    throw new UsageError('--map-value goes with --map-index N');
  const test: { -readonly [K in keyof StateTest]: StateTest[K] } = { stateName, input };
  if (values.variables !== undefined) test.variables = await readObject(values.variables, io, 'variables');
  if (values.context !== undefined) test.context = await readObject(values.context, io, 'context');
  if (values['mock-result'] !== undefined)
    test.mock = { ok: true, output: await readJson(values['mock-result'], io, 'mock-result') };
  if (values['mock-error'] !== undefined)
    test.mock = { ok: false, error: values['mock-error'], cause: values['mock-cause'] ?? '' };
  if (values['retrier-attempt'] !== undefined)
    test.retrierRetryCount = readCount(values['retrier-attempt'], 'retrier-attempt');
  if (values['map-index'] !== undefined) {
    const index = readCount(values['map-index'], 'map-index');
    const value =
      values['map-value'] === undefined ? input : await readJson(values['map-value'], io, 'map-value');
    test.mapItem = { index, value };
  }
  return test;
}

/** Runs the one state of `--state` and prints what it did; exit 0 unless nothing handled its error. */
async function runState(
  compiled: CompiledGraph,
  test: StateTest,
  invoke: TaskInvoker,
  withHistory: boolean,
  io: CommandIo,
): Promise<number> {
  let result: Awaited<ReturnType<typeof testState>>;
  try {
    result = await testState(compiled, test, { invoke, clock: new VirtualClock(Date.now()) });
  } catch (error) {
    if (error instanceof StateTestError) throw new UsageError(`--state: ${error.message}`);
    if (!(error instanceof MockError)) throw error;
    io.stdout.write(
      `${JSON.stringify({ status: 'FAILED', error: 'Mock.NotConfigured', cause: error.message })}\n`,
    );
    return 1;
  }
  const { history, ...shown } = result;
  io.stdout.write(`${JSON.stringify(withHistory ? { ...shown, history } : shown)}\n`);
  return result.status === 'FAILED' ? 1 : 0;
}

/** The `router engine run` command. */
export const engineRun: Command = {
  words: ['engine', 'run'],
  usage: USAGE,
  summary:
    'run one execution on a virtual clock, with Step Functions Local mocks or the real resources; prints {"status",...} as JSON, exit 0 succeeded / 1 failed',
  options: OPTIONS,
  details: [
    'Without --mocks it calls the resources of the environment (AWS_ENDPOINT_URL, AWS_REGION), checked against',
    "the allowlist: ROUTER_RESOURCE_ALLOWLIST, else the router's default, plus every --allow. With --mocks",
    'nothing is called and the allowlist applies only when --allow is given.',
    'With --state NAME it runs that state alone and prints {"status","nextState","output","error","cause",',
    '"inspectionData"}: status SUCCEEDED, CAUGHT_ERROR (a Catcher took the error), RETRIABLE (a Retrier has',
    'attempts left) or FAILED; inspectionData holds input, afterInputPath, afterParameters / afterArguments,',
    'result, afterResultSelector, afterResultPath, variables and assignedVariables, errorDetails.',
    'exit codes: 0 succeeded (with --state: unless FAILED), 1 failed or left waiting, 2 bad options, input or files',
  ],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError('name exactly one graph file');
    if (values.input === undefined) throw new UsageError('--input JSON|@FILE is required');
    if ((values.mocks === undefined) !== (values['test-case'] === undefined))
      throw new UsageError('--mocks and --test-case go together');
    const input = await readJson(values.input, io);
    const stateTest = await readStateTest(values, input, io);

    let variables: Variables | undefined;
    if (values.vars !== undefined) {
      const read = await readVariablesFile(values.vars, io);
      if (read.problems.length > 0) {
        io.stderr.write(`${formatProblems(read.problems)}\n${values.vars}: invalid variables file\n`);
        return 2;
      }
      variables = read.variables;
    }
    // Mocked runs call nothing, so the allowlist applies only when one is asked for.
    const allowlist: CliAllowlist | undefined =
      values.allow === undefined && (values.mocks !== undefined || stateTest?.mock !== undefined)
        ? undefined
        : cliAllowlist(io.env, values.allow ?? []);
    const source = await readText(file, io, 'graph file');
    // Always substitute: a placeholder left as written would be called as a literal name.
    const { graph, problems } = loadGraph(source, {
      file,
      variables: variables ?? {},
      ...(allowlist === undefined ? {} : { allowlist: allowlist.patterns }),
    });
    if (graph === undefined) {
      io.stderr.write(
        `${formatProblems(problems)}\n${file}: invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})\n`,
      );
      if (allowlist !== undefined && problems.some((p) => isAllowlistRefusal(p.message)))
        io.stderr.write(`${allowlistNote(allowlist, true)}\n`);
      return 2;
    }
    const fileName = basename(file, extname(file));
    const compiled = compileGraph(graph, {
      stateMachineName: graph.Engine ?? fileName,
      // Callback tasks need a token even when a mock answers them.
      taskTokenSecret: io.env.ROUTER_TASK_TOKEN_SECRET || 'engine-run',
    });

    let invoke: TaskInvoker;
    const real = (): TaskInvoker => {
      const aws = awsEnvironmentFromEnv(io.env);
      return createTaskInvoker({
        lambda: lambdaClient(aws),
        sdk: createSdkIntegrations(aws),
        allowlist: (allowlist ?? cliAllowlist(io.env)).patterns,
        region: aws.region,
      });
    };
    if (values.mocks !== undefined && values['test-case'] !== undefined) {
      const mocks = parseMockConfig(await readText(values.mocks, io, 'mock file'), values.mocks);
      if (mocks.config === undefined) {
        io.stderr.write(`${formatProblems(mocks.problems)}\n${values.mocks}: invalid mock file\n`);
        return 2;
      }
      const names = [...new Set([graph.Engine, fileName].filter((n) => n !== undefined))];
      let testCase: ReturnType<typeof selectTestCase>;
      try {
        testCase = selectTestCase(mocks.config, names, values['test-case']);
      } catch (error) {
        if (error instanceof MockError) throw new UsageError(`${values.mocks}: ${error.message}`);
        throw error;
      }
      let fallback: TaskInvoker | undefined;
      invoke = createMockInvoker(testCase, (effect, signal) => {
        fallback ??= real();
        return fallback(effect, signal);
      }).invoke;
    } else if (stateTest === undefined) {
      invoke = real();
    } else {
      // A state run on its own may call nothing (its work mocked, or no work at all): build on first use.
      let direct: TaskInvoker | undefined;
      invoke = (effect, signal) => {
        direct ??= real();
        return direct(effect, signal);
      };
    }
    if (stateTest !== undefined) return runState(compiled, stateTest, invoke, values.history === true, io);

    const clock = new VirtualClock(Date.now());
    const executionId = `engine-run-${randomUUID()}`;
    let result: Awaited<ReturnType<typeof runExecution>>;
    try {
      result = await runExecution(
        compiled,
        { executionId, input, startTime: clock.now() },
        { invoke, clock, maxInProcessWaitMs: Number.POSITIVE_INFINITY },
      );
    } catch (error) {
      if (!(error instanceof MockError)) throw error;
      io.stdout.write(
        `${JSON.stringify({ status: 'FAILED', error: 'Mock.NotConfigured', cause: error.message })}\n`,
      );
      return 1;
    }
    const history = values.history === true ? { history: result.history } : {};
    if (result.status === 'WAITING') {
      // Only a callback task can leave a virtual-clock run waiting: nothing here completes its token.
      io.stdout.write(
        `${JSON.stringify({ status: 'WAITING', waitingFor: result.waitingFor, ...history })}\n`,
      );
      return 1;
    }
    const body =
      result.status === 'SUCCEEDED'
        ? { status: result.status, output: result.output ?? null }
        : { status: result.status, error: result.error ?? 'States.Runtime', cause: result.cause ?? '' };
    io.stdout.write(`${JSON.stringify({ ...body, ...history })}\n`);
    if (result.status !== 'SUCCEEDED' && isAllowlistRefusal(result.cause ?? '')) {
      io.stderr.write(`${allowlistNote(allowlist ?? cliAllowlist(io.env), true)}\n`);
    }
    return result.status === 'SUCCEEDED' ? 0 : 1;
  },
};
