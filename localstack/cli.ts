/**
 * `npm run localstack:up`: a developer's whole AWS on one port. Starts the embedded stack with the
 * default service emulations, bootstraps the runtime's resources, prints the variables to export, and
 * serves until Ctrl-C, then stops everything cleanly.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resourceNamesFromEnv } from '../router/config.ts';
import { bootstrap } from './bootstrap.ts';
import { defaultServices } from './services.ts';
import { type KinesisEngine, type LocalStack, startLocalStack } from './stack.ts';

const USAGE = `Usage: npm run localstack:up -- [options]

Starts the embedded local AWS stack (Kinesis, DynamoDB, S3, Lambda, Redshift Data) on one endpoint,
creates the runtime's stream, tables and bucket, and serves until Ctrl-C.

Options:
  --port N          edge port (default 4566; 0 picks a free one)
  --host H          interface to listen on (default 127.0.0.1)
  --kinesis ENGINE  kinesalite (default) or kinesis-local (kinesis-mock, LocalStack's engine)
  --shards N        shards of the stream when it is created (default 2)
  --no-services     serve only Kinesis, DynamoDB and S3 (no Lambda host, no Redshift Data)
  -h, --help        this text`;

/** Where the command writes; injectable so it can be driven in-process. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The parsed command line. */
export interface UpOptions {
  readonly port: number;
  readonly host: string;
  readonly kinesis: KinesisEngine;
  readonly shards: number;
  readonly services: boolean;
}

/** A command line the command cannot run; exit code 2, like the router CLI. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integer(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > 65_535) {
    throw new UsageError(`--${flag} must be an integer from ${min} to 65535, got '${value}'`);
  }
  return parsed;
}

/** Parses the arguments after `localstack:up --`; `undefined` means help was asked for. */
export function parseUpArguments(argv: readonly string[]): UpOptions | undefined {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help === true) return undefined;
  const kinesis = values.kinesis ?? 'kinesalite';
  if (kinesis !== 'kinesalite' && kinesis !== 'kinesis-local') {
    throw new UsageError(`--kinesis must be kinesalite or kinesis-local, got '${kinesis}'`);
  }
  return {
    port: integer('port', values.port, 4566, 0),
    host: values.host ?? '127.0.0.1',
    kinesis,
    shards: integer('shards', values.shards, 2, 1),
    services: values['no-services'] !== true,
  };
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      kinesis: { type: 'string' },
      shards: { type: 'string' },
      'no-services': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}

function describeStartFailure(error: unknown, options: UpOptions): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  if (code === 'EADDRINUSE') {
    return `port ${options.port} on ${options.host} is in use (a LocalStack container or another stack?); pass --port`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts and bootstraps the stack; resolves with it once it serves. The caller decides when to stop.
 */
export async function up(options: UpOptions, io: CliIo): Promise<LocalStack> {
  const stack = await startLocalStack({
    port: options.port,
    host: options.host,
    kinesis: options.kinesis,
    services: options.services ? defaultServices() : [],
    log: (line) => io.err(line),
  });
  try {
    await bootstrap({
      aws: stack.aws,
      names: resourceNamesFromEnv(),
      shards: options.shards,
      local: true,
      log: (line) => io.err(`bootstrap: ${line}`),
    });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  io.out(`Local AWS stack on ${stack.endpoint}. Export these to point the SDK, the CLI and the tests at it:`);
  for (const [name, value] of Object.entries(stack.env)) io.out(`export ${name}=${value}`);
  io.out('Ctrl-C stops it.');
  return stack;
}

/**
 * The whole command: parse, start, wait for SIGINT / SIGTERM, stop.
 *
 * @returns the process exit code (0 after a clean stop, 1 when the stack could not start, 2 for usage).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let options: UpOptions | undefined;
  try {
    options = parseUpArguments(argv);
  } catch (error) {
    io.err(`localstack:up: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    io.out(USAGE);
    return 0;
  }
  let stack: LocalStack;
  try {
    stack = await up(options, io);
  } catch (error) {
    io.err(`localstack:up: cannot start: ${describeStartFailure(error, options)}`);
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  io.err(`localstack:up: ${signal}, stopping`);
  try {
    await stack.stop();
  } catch (error) {
    io.err(`localstack:up: stopped with errors: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  io.out('Local AWS stack stopped.');
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const io: CliIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  main(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (error: unknown) => {
      io.err(`localstack:up: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
