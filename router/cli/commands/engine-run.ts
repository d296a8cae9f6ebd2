/**
 * `router engine run`: the engine author's test runner. It runs one execution of a graph on a virtual
 * clock (a 10-minute Wait or a retry back-off takes no real time), either against mocked responses in the
 * AWS Step Functions Local format (`--mocks FILE --test-case NAME`, nothing is called) or against the real
 * step Lambdas and AWS APIs of the environment (`AWS_ENDPOINT_URL` and friends), and prints the result as
 * one JSON object, so a shell script or a test can assert on it.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import type { JsonValue, Variables } from '../../asl/index.ts';
import {
  compileGraph,
  createMockInvoker,
  formatProblems,
  loadGraph,
  MockError,
  parseMockConfig,
  runExecution,
  selectTestCase,
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
  'engine run FILE --input JSON|@FILE [--vars FILE] [--mocks FILE --test-case NAME] [--history] [--allow PATTERN]...';

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
} as const satisfies CommandOptions;

async function readText(path: string, io: CommandIo, what: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} '${path}': ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** `--input '{"a":1}'` or `--input @input.json`: the execution input, which must be JSON. */
async function readInput(value: string, io: CommandIo): Promise<JsonValue> {
  const fromFile = value.startsWith('@');
  const text = fromFile ? await readText(value.slice(1), io, 'input file') : value;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    const where = fromFile ? `input file '${value.slice(1)}'` : '--input';
    throw new UsageError(
      `${where} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
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
    'exit codes: 0 succeeded, 1 failed or left waiting, 2 bad options, input or files',
  ],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) throw new UsageError('name exactly one graph file');
    if (values.input === undefined) throw new UsageError('--input JSON|@FILE is required');
    if ((values.mocks === undefined) !== (values['test-case'] === undefined))
      throw new UsageError('--mocks and --test-case go together');
    const input = await readInput(values.input, io);

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
      values.allow === undefined && values.mocks !== undefined
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
    } else {
      invoke = real();
    }

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
