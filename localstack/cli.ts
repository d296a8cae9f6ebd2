/**
 * `npm run localstack:up`: a developer's whole AWS on one port, with the router running on the stream.
 * Starts the embedded stack on a data directory (kept across restarts) or in memory, bootstraps the
 * runtime's resources, runs the MessageEventRouter behind the event source mapping emulator with its
 * sweep, prints the variables to export and what the router does, and serves until Ctrl-C, then stops
 * everything cleanly (the batch in flight settles and is checkpointed first).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { quietSdkNodeVersionWarning } from '../router/aws/index.ts';
import {
  DEFAULT_DATA_DIR,
  type DevEnvironment,
  REPOSITORY_ROOT,
  startDevEnvironment,
} from './devEnvironment.ts';
import { fileLogger } from './fileLogger.ts';
import { describeQuarantined, describeSummary, quarantineFollower } from './localRouter.ts';
import type { KinesisEngine } from './stack.ts';

const USAGE = `Usage: npm run localstack:up -- [options]

Starts the embedded local AWS stack (Kinesis, DynamoDB, S3, Lambda, Redshift Data, SQS, SNS,
EventBridge, Secrets Manager) on one endpoint and an SFTP server beside it (user test, password
test), creates the runtime's stream, tables and bucket, runs the router on the stream (event source
mapping emulator, MessageEventRouter, sweep of due waits), prints the SNS email notifications as they
arrive, and serves until Ctrl-C.

Options:
  --data DIR        keep streams, tables, objects, the database, queues, topics, rules and the
                    router's checkpoints in DIR across restarts (default .local/stack)
  --in-memory       keep nothing: a fresh stack every start
  --no-router       serve the stack only; nothing consumes the stream
  --log FILE        the router's JSON log (default DIR/router.log, or .local/router.log in memory)
  --port N          edge port (default 4566; 0 picks a free one)
  --host H          interface to listen on (default 127.0.0.1)
  --kinesis ENGINE  kinesalite (default) or kinesis-local (kinesis-mock, LocalStack's engine)
  --shards N        shards of the stream when it is created (default 2)
  --no-services     serve only Kinesis, DynamoDB and S3 (no Lambda, Redshift Data, SQS, SNS,
                    EventBridge, Secrets Manager)
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
  /** Absolute; undefined = in memory. */
  readonly dataDir: string | undefined;
  readonly router: boolean;
  /** Absolute path of the router's log. */
  readonly logFile: string;
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

/**
 * Parses the arguments after `localstack:up --` (relative paths against `cwd`); `undefined` means help
 * was asked for.
 */
export function parseUpArguments(argv: readonly string[], cwd = process.cwd()): UpOptions | undefined {
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
  if (values['in-memory'] === true && values.data !== undefined) {
    throw new UsageError('--data and --in-memory exclude each other: keep the data in DIR, or keep nothing');
  }
  if (values.data !== undefined && values.data.trim() === '')
    throw new UsageError('--data needs a directory');
  const dataDir =
    values['in-memory'] === true
      ? undefined
      : values.data === undefined
        ? DEFAULT_DATA_DIR
        : resolve(cwd, values.data);
  const logFile =
    values.log !== undefined
      ? resolve(cwd, values.log)
      : dataDir === undefined
        ? join(REPOSITORY_ROOT, '.local', 'router.log')
        : join(dataDir, 'router.log');
  return {
    port: integer('port', values.port, 4566, 0),
    host: values.host ?? '127.0.0.1',
    kinesis,
    shards: integer('shards', values.shards, 2, 1),
    services: values['no-services'] !== true,
    dataDir,
    router: values['no-router'] !== true,
    logFile,
  };
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      'in-memory': { type: 'boolean' },
      'no-router': { type: 'boolean' },
      log: { type: 'string' },
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

/** A started environment and what the command must close with it. */
export interface Up {
  readonly environment: DevEnvironment;
  stop(): Promise<void>;
}

/**
 * Starts the environment, prints where it is and what to export; resolves once it serves. From then on
 * every batch and sweep of the router is one line on `io.out`, and each quarantined record another.
 */
export async function up(options: UpOptions, io: CliIo): Promise<Up> {
  const logger = fileLogger(options.logFile);
  const startedAt = new Date();
  let follow: (() => Promise<void>) | undefined;
  let reporting = Promise.resolve();
  let environment: DevEnvironment;
  try {
    environment = await startDevEnvironment({
      port: options.port,
      host: options.host,
      kinesis: options.kinesis,
      shards: options.shards,
      services: options.services,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      log: (line) => io.err(line),
      onEmail: (email) => io.out(`sns: email to ${email.to}: ${email.subject} (${email.topicArn})`),
      hostLog: {
        info: () => {},
        error: (message, extra) => logger.error(`lambda host: ${message}`, extra),
      },
      ...(options.router
        ? {
            router: {
              logger,
              onSummary: (summary, source) => {
                io.out(`router: ${describeSummary(summary, source)}`);
                if (summary.quarantined > 0 && follow !== undefined) reporting = reporting.then(follow);
              },
              onError: (error) => {
                logger.warn('event source mapping', { error: String(error) });
                io.err(`router: ${error instanceof Error ? error.message : String(error)}`);
              },
            },
          }
        : {}),
    });
  } catch (error) {
    await logger.close();
    throw error;
  }
  const { stack, names, router } = environment;
  if (router !== undefined) {
    const next = quarantineFollower(router.deps.quarantine, startedAt);
    follow = async () => {
      try {
        for (const entry of await next()) io.out(`router: quarantined ${describeQuarantined(entry)}`);
      } catch (error) {
        io.err(
          `router: cannot read the quarantine index: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };
  }
  io.out(
    `Local AWS stack on ${stack.endpoint}, ${
      options.dataDir === undefined
        ? 'in memory (nothing is kept)'
        : `data kept in ${options.dataDir} (--in-memory keeps nothing)`
    }.`,
  );
  io.out(
    router === undefined
      ? 'Router not running (--no-router): nothing consumes the stream.'
      : `Router running on ${names.stream} (event source mapping emulator, MessageEventRouter, sweep of due waits); log ${options.logFile}`,
  );
  if (options.services) {
    const file = options.dataDir === undefined ? '' : ` and ${join(options.dataDir, 'sns', 'inbox.jsonl')}`;
    io.out(
      `SNS email notifications are printed here as 'sns: email to ...' lines; read them in full at GET ${stack.endpoint}/_local/sns/messages${file}`,
    );
  }
  io.out('Export these to point the SDK, the CLI and the tests at it:');
  for (const [name, value] of Object.entries(stack.env)) io.out(`export ${name}=${value}`);
  io.out('Ctrl-C stops it.');
  return {
    environment,
    async stop() {
      try {
        await environment.stop();
        await reporting;
      } finally {
        await logger.close();
      }
    },
  };
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
  let running: Up;
  try {
    running = await up(options, io);
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
    await running.stop();
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
  quietSdkNodeVersionWarning(process.env, process.versions.node);
  main(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (error: unknown) => {
      io.err(`localstack:up: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
