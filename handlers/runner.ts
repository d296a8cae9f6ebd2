/**
 * `npm run flow-task -- DOMAIN FLOW --input JSON|@FILE`: runs one flow of a domain on this machine, its
 * graph interpreted by `router engine run` and its Task states calling the domain's real step handlers.
 *
 * Where the steps' services come from:
 * - `AWS_ENDPOINT_URL` set (a running `npm run localstack:up`, with its `SFTP_*` variables exported):
 *   that stack;
 * - otherwise an in-memory stack started for the run (S3, Lambda host, Redshift Data, SFTP), with
 *   `--sftp-put LOCAL=REMOTE` to drop files on its SFTP server first;
 * - `--mocks FILE --test-case NAME`: nothing at all, every Task answered from the mock file.
 *
 * @example
 * npm run flow-task -- demo DemoFlow --input '{"file":"members.csv"}' --sftp-put ./members.csv=/inbound/members.csv
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ENGINES_ALLOWLIST } from '../engines/allowlist.ts';
import { DOMAINS } from './domains.ts';
import type { FlowDefinition, FlowDomain } from './types.ts';

const ROOT = resolve(import.meta.dirname, '..');

const USAGE = `Usage: npm run flow-task -- DOMAIN FLOW --input JSON|@FILE [options]

Runs one flow of a domain locally: its graph through \`router engine run\`, its steps the domain's
handlers. Uses the stack at AWS_ENDPOINT_URL when set, otherwise starts one in memory for the run.

Options:
  --input JSON|@FILE        the execution input (required)
  --vars FILE               stage variables (default engines/vars/local.hjson)
  --sftp-put LOCAL=REMOTE   with the in-memory stack: put a local file on its SFTP server first
                            (repeatable), e.g. ./members.csv=/inbound/members.csv
  --mocks FILE --test-case NAME   answer every Task from a Step Functions Local mock file
  --history                 print the execution's history too
  -h, --help                this text

Domains and flows:
${DOMAINS.map((domain) => `  ${domain.name}: ${Object.keys(domain.flows).join(', ')}`).join('\n')}`;

/** Where the runner writes; injectable so it can be driven in-process. */
export interface RunnerIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * `router engine run ARGS` in a child process (the published CLI, as an engine author runs it), its
 * output copied to `io`; resolves with its exit code.
 */
function engineRun(args: readonly string[], env: NodeJS.ProcessEnv, io: RunnerIo): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'router.js'), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.once('error', reject);
    child.once('close', (code) => resolveCode(code ?? 1));
  });
}

/** A command line the runner cannot run; exit code 2. */
class RunnerUsageError extends Error {
  override readonly name = 'RunnerUsageError';
}

/** The flow named on the command line, by flow name (`DemoFlow`) or engine name (`demo-flow`). */
export function findFlow(
  domains: readonly FlowDomain[],
  domainName: string,
  flowName: string,
): FlowDefinition {
  const domain = domains.find((candidate) => candidate.name === domainName);
  if (domain === undefined) {
    throw new RunnerUsageError(
      `no domain '${domainName}' (handlers/<domain>-flows/): the domains are ${domains.map((d) => d.name).join(', ')}`,
    );
  }
  const flow = Object.values(domain.flows).find(
    (candidate) => candidate.name === flowName || candidate.engine === flowName,
  );
  if (flow === undefined) {
    throw new RunnerUsageError(
      `domain '${domainName}' has no flow '${flowName}': its flows are ${Object.keys(domain.flows).join(', ')}`,
    );
  }
  return flow;
}

/** `LOCAL=REMOTE` pairs, checked. */
function sftpPuts(values: readonly string[]): { local: string; remote: string }[] {
  return values.map((value) => {
    const at = value.lastIndexOf('=');
    const local = value.slice(0, at);
    const remote = value.slice(at + 1);
    if (at <= 0 || !remote.startsWith('/'))
      throw new RunnerUsageError(`--sftp-put '${value}': expected LOCAL=REMOTE with an absolute REMOTE path`);
    return { local, remote };
  });
}

/**
 * Runs the runner with `argv` (the words after `flow-task --`); resolves with the exit code.
 */
export async function runFlowTask(argv: readonly string[], io: RunnerIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`flow-task: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === undefined) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { flow, values, puts } = parsed;
  const engineArgs = [
    'engine',
    'run',
    flow.graph,
    '--vars',
    values.vars ?? 'engines/vars/local.hjson',
    '--input',
    values.input,
    ...(values.mocks === undefined ? [] : ['--mocks', values.mocks]),
    ...(values['test-case'] === undefined ? [] : ['--test-case', values['test-case']]),
    ...(values.history === true ? ['--history'] : []),
  ];
  const run = (env: NodeJS.ProcessEnv): Promise<number> =>
    engineRun(engineArgs, { ROUTER_RESOURCE_ALLOWLIST: ENGINES_ALLOWLIST.join(','), ...env }, io);
  if (values.mocks !== undefined || (io.env.AWS_ENDPOINT_URL ?? '') !== '') {
    if (puts.length > 0) {
      io.stderr.write('flow-task: --sftp-put only applies to the in-memory stack the runner starts\n');
      return 2;
    }
    return run(io.env);
  }
  // The steps run in this process, as the Lambda host serves them: they read the stack from `env`.
  const { startDevEnvironment } = await import('../localstack/devEnvironment.ts');
  const dev = await startDevEnvironment({
    port: 0,
    shards: 1,
    services: true,
    env: io.env,
    hostLog: { info: () => {}, error: (message) => io.stderr.write(`lambda host: ${message}\n`) },
  });
  try {
    const root = dev.stack.sftp?.root;
    for (const put of puts) {
      if (root === undefined) throw new Error('flow-task: the stack runs no SFTP server');
      const target = join(root, posix.resolve('/', put.remote));
      await mkdir(dirname(target), { recursive: true });
      await copyFile(put.local, target);
      io.stderr.write(`flow-task: put ${put.local} on the SFTP server as ${put.remote}\n`);
    }
    io.stderr.write(
      `flow-task: ${flow.name} (${flow.graph}) on an in-memory stack at ${dev.stack.endpoint}\n`,
    );
    return await run(io.env);
  } finally {
    await dev.stop();
  }
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      vars: { type: 'string' },
      'sftp-put': { type: 'string', multiple: true },
      mocks: { type: 'string' },
      'test-case': { type: 'string' },
      history: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return undefined;
  const [domain, flowName, ...rest] = positionals;
  if (domain === undefined || flowName === undefined) throw new RunnerUsageError('give DOMAIN and FLOW');
  if (rest.length > 0) throw new RunnerUsageError(`unexpected arguments: ${rest.join(' ')}`);
  if (values.input === undefined) throw new RunnerUsageError('--input JSON|@FILE is required');
  return {
    flow: findFlow(DOMAINS, domain, flowName),
    values: { ...values, input: values.input },
    puts: sftpPuts(values['sftp-put'] ?? []),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { quietSdkNodeVersionWarning } = await import('../router/aws/index.ts');
  quietSdkNodeVersionWarning(process.env, process.versions.node);
  process.exitCode = await runFlowTask(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}
