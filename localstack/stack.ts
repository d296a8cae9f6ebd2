/**
 * The embedded local AWS stack: Kinesis, DynamoDB and S3 emulators started in-process behind one edge
 * endpoint, plus whatever in-process service emulations (Lambda, Redshift Data) are registered. It
 * installs from npm alone and starts in milliseconds, so every integration test file can own a stack on a
 * free port, and `npm run localstack:up` serves one on 4566 for a developer. In memory by default; with
 * a data directory the streams, tables and objects outlive the process.
 */
import { createCipheriv } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsEnvironment } from '../router/aws/index.ts';
import { lockDataDirectory } from './dataDirectory.ts';
import { createPartiqlEmulator, PARTIQL_OPERATIONS } from './dynamodb/partiql.ts';
import { type Edge, type EdgeOptions, startEdge } from './edge.ts';
import { FaultInjector, type FaultPlan } from './faults.ts';
import { startKinesisLocal } from './kinesis-local.ts';
import type { ServiceEmulator } from './service.ts';
import { type SftpEndpoint, startLocalSftp } from './sftp/index.ts';

/** Which Kinesis engine serves `kinesis`. */
export type KinesisEngine = 'kinesalite' | 'kinesis-local';

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Edge port; 0 picks a free one (what tests use, so files run side by side). Default 4566. */
  readonly port?: number;
  /** Interface the edge listens on. Default `127.0.0.1`. */
  readonly host?: string;
  /** `kinesalite` (in-process, fast; default) or `kinesis-local` (kinesis-mock, a child process). */
  readonly kinesis?: KinesisEngine;
  /** In-process emulations to serve from the start (more can be registered later). */
  readonly services?: readonly ServiceEmulator[];
  /** Receives one line per notable event (start, emulator failures). Default: silent. */
  readonly log?: (line: string) => void;
  /** Sees every request the edge routes (service, `X-Amz-Target`), e.g. to count DynamoDB round trips. */
  readonly onRequest?: EdgeOptions['onRequest'];
  /**
   * Keeps Kinesis, DynamoDB and S3 data in this directory (`kinesis/`, `dynamodb/`, `s3/`), so a stack
   * started again on it finds its streams, tables and objects. One stack at a time may use a directory.
   * Default: in memory (S3 in a temporary directory removed on stop).
   */
  readonly dataDir?: string;
  /**
   * Faults the edge injects once `faults.enable()` is called (after bootstrap), in the
   * `LOCALSTACK_FAULTS` syntax of `localstack/faults.ts`. Default: the `LOCALSTACK_FAULTS` variable, or none.
   */
  readonly faults?: string | FaultPlan;
  /**
   * Serve an SFTP server beside the edge (its own port: SSH is not HTTP), over `DIR/sftp/` with a data
   * directory or a temporary directory otherwise. Default true.
   */
  readonly sftp?: boolean;
}

/** A running stack. */
export interface LocalStack {
  /** `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly port: number;
  /**
   * `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` for child processes,
   * and `SFTP_HOST`, `SFTP_PORT`, `SFTP_USERNAME`, `SFTP_PASSWORD` when the SFTP server runs.
   */
  readonly env: Record<string, string>;
  /** The same, in the form `router/aws/clients.ts` builds clients from. */
  readonly aws: AwsEnvironment;
  /** Milliseconds from the call to the stack serving. */
  readonly startedInMs: number;
  /** Where the data is kept, when it outlives the process. */
  readonly dataDir?: string;
  /** The SFTP server's address, account and served directory, unless started with `sftp: false`. */
  readonly sftp?: SftpEndpoint;
  /** Closes the edge, every emulator, child process and temporary directory; idempotent. */
  stop(): Promise<void>;
  /** Serves `service.signingName` with this emulation from now on. */
  register(service: ServiceEmulator): void;
  /** The edge's fault injector: disabled until `enable()`, its counters readable at any time. */
  readonly faults: FaultInjector;
}

const REGION = 'us-east-1';
/** Transition time for created / deleted / updated streams and tables: ACTIVE at once, but still async. */
const TRANSITION_MS = 0;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** True when this process can run DES, which s3rver needs for ListObjectsV2 continuation tokens. */
export function legacyCiphersAvailable(): boolean {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

type Closer = () => Promise<void>;

/** The LevelDB directory of an emulator under the data directory (created), or undefined for in memory. */
async function levelPath(dataDir: string | undefined, name: string): Promise<{ path?: string }> {
  if (dataDir === undefined) return {};
  const path = join(dataDir, name);
  await mkdir(path, { recursive: true });
  return { path };
}

async function startKinesis(
  engine: KinesisEngine,
  host: string,
  dataDir: string | undefined,
  log: (line: string) => void,
): Promise<{ port: number; close: Closer }> {
  if (engine === 'kinesis-local') {
    const persist = dataDir === undefined ? {} : { persistPath: join(dataDir, 'kinesis-mock') };
    const mock = await startKinesisLocal({ host, log, ...persist });
    return { port: mock.port, close: () => mock.stop() };
  }
  const { default: kinesalite } = await import('kinesalite');
  const server = kinesalite({
    createStreamMs: TRANSITION_MS,
    deleteStreamMs: TRANSITION_MS,
    updateStreamMs: TRANSITION_MS,
    shardLimit: 10_000,
    ...(await levelPath(dataDir, 'kinesis')),
  });
  return { port: await listen(server, host), close: () => closeServer(server) };
}

async function startDynamoDb(
  host: string,
  dataDir: string | undefined,
): Promise<{ port: number; close: Closer }> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({
    createTableMs: TRANSITION_MS,
    deleteTableMs: TRANSITION_MS,
    updateTableMs: TRANSITION_MS,
    ...(await levelPath(dataDir, 'dynamodb')),
  });
  return { port: await listen(server, host), close: () => closeServer(server) };
}

async function startS3(host: string, dataDir: string | undefined): Promise<{ port: number; close: Closer }> {
  const { default: S3rver } = await import('s3rver');
  const kept = dataDir !== undefined;
  const directory = kept ? join(dataDir, 's3') : await mkdtemp(join(tmpdir(), 'router-s3-'));
  if (kept) await mkdir(directory, { recursive: true });
  const removeDirectory = async (): Promise<void> => {
    if (!kept) await rm(directory, { recursive: true, force: true });
  };
  try {
    const s3 = new S3rver({
      address: host,
      port: 0,
      silent: true,
      directory,
      allowMismatchedSignatures: true,
      vhostBuckets: false,
    });
    const address = await s3.run();
    return {
      port: address.port,
      close: async () => {
        try {
          await s3.close();
        } finally {
          await removeDirectory();
        }
      },
    };
  } catch (error) {
    await removeDirectory();
    throw error;
  }
}

/** Runs every closer, last started first, even when one fails; then reports all failures at once. */
async function closeAll(closers: readonly Closer[]): Promise<void> {
  const errors: unknown[] = [];
  for (const close of [...closers].reverse()) {
    try {
      await close();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'local stack: some parts failed to stop');
}

/**
 * Starts the stack and resolves once every part answers.
 *
 * @example
 * const stack = await startLocalStack({ port: 0 });
 * const kinesis = kinesisClient(stack.aws);
 * // ...
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = performance.now();
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const closers: Closer[] = [];
  // Released last, once every emulation has written what it keeps in the directory.
  let unlock: Closer = async () => {};
  // Every emulation ever registered is closed on stop, including one a later registration replaced.
  const emulators = new Set<ServiceEmulator>();
  const dataDir = options.dataDir;
  const faults = new FaultInjector(options.faults ?? process.env.LOCALSTACK_FAULTS ?? '');
  let edge: Edge;
  let sftp: SftpEndpoint | undefined;
  try {
    if (dataDir !== undefined) unlock = await lockDataDirectory(dataDir);
    const parts = await Promise.allSettled([
      startKinesis(options.kinesis ?? 'kinesalite', host, dataDir, log),
      startDynamoDb(host, dataDir),
      startS3(host, dataDir),
    ]);
    for (const part of parts) if (part.status === 'fulfilled') closers.push(part.value.close);
    const failed = parts.find((part) => part.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    if (options.sftp ?? true) {
      const server = await startLocalSftp({ host, log, ...(dataDir === undefined ? {} : { dataDir }) });
      closers.push(() => server.stop());
      const { stop: _stop, ...endpoint } = server;
      sftp = endpoint;
    }
    const [kinesis, dynamodb, s3] = parts.map((part) => (part.status === 'fulfilled' ? part.value.port : 0));
    // dynalite has no PartiQL: the edge hands those operations to this emulation, which closes after the edge.
    const partiql = createPartiqlEmulator({ host, port: dynamodb ?? 0 });
    closers.push(() => partiql.close());
    edge = await startEdge({
      port: options.port ?? 4566,
      host,
      log,
      faults,
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
    closers.push(() => edge.close());
    edge.route('kinesis', { kind: 'proxy', host, port: kinesis ?? 0 });
    edge.route('dynamodb', {
      kind: 'proxy',
      host,
      port: dynamodb ?? 0,
      inProcess: { operations: PARTIQL_OPERATIONS, emulator: partiql },
    });
    edge.route('s3', { kind: 'proxy', host, port: s3 ?? 0, accessKeyId: 'S3RVER', decodeAwsChunked: true });
  } catch (error) {
    await closeAll([unlock, ...closers]).catch(() => {});
    throw error;
  }

  const aws: AwsEnvironment = {
    endpoint: edge.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  let stopping: Promise<void> | undefined;
  const register = (service: ServiceEmulator): void => {
    if (stopping !== undefined)
      throw new Error(`local stack: cannot register '${service.signingName}' after stop()`);
    emulators.add(service);
    service.attach?.({ aws });
    edge.route(service.signingName, { kind: 'emulator', emulator: service });
  };
  for (const service of options.services ?? []) register(service);

  if (!legacyCiphersAvailable()) {
    log('s3: ListObjectsV2 continuation tokens need DES: run node with --openssl-legacy-provider');
  }
  const startedInMs = performance.now() - started;
  log(`local stack on ${edge.endpoint} (${edge.services().join(', ')}) in ${Math.round(startedInMs)} ms`);
  if (sftp !== undefined)
    log(`sftp on ${sftp.host}:${sftp.port} (${sftp.username}/${sftp.password}), serving ${sftp.root}`);

  return {
    endpoint: edge.endpoint,
    port: edge.port,
    env: {
      AWS_ENDPOINT_URL: edge.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ...sftp?.env,
    },
    aws,
    startedInMs,
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(sftp === undefined ? {} : { sftp }),
    register,
    faults,
    stop() {
      // Closers run last-started first: the edge closes before anything behind it, the lock after all.
      stopping ??= closeAll([unlock, ...[...emulators].map((service) => () => service.close()), ...closers]);
      return stopping;
    },
  };
}
