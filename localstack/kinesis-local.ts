/**
 * kinesis-mock (npm `kinesis-local`), LocalStack's own Kinesis engine, as a child process of the embedded
 * stack. It is the stricter, slower alternative to kinesalite: choose it to reproduce LocalStack's Kinesis
 * behaviour without Docker. It ships as one Scala.js file plus a self-signed certificate and downloads
 * nothing at run time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** A running kinesis-mock. */
export interface KinesisLocal {
  readonly host: string;
  /** Plain-HTTP port the edge proxies to. */
  readonly port: number;
  /** Kills the child process and waits for it to exit; idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startKinesisLocal}. */
export interface KinesisLocalOptions {
  readonly host?: string;
  /** How long to wait for the first answer. Default 20 s. */
  readonly startTimeoutMs?: number;
  readonly log?: (line: string) => void;
  /**
   * Keeps the streams in this directory (kinesis-mock's own persistence: a JSON file written every
   * second and on a graceful stop, loaded at start). Default: nothing kept.
   */
  readonly persistPath?: string;
}

/** kinesis-mock's persistence settings (see its README). */
function persistence(path: string | undefined): Record<string, string> {
  if (path === undefined) return { SHOULD_PERSIST_DATA: 'false' };
  return {
    SHOULD_PERSIST_DATA: 'true',
    LOAD_DATA_IF_EXISTS: 'true',
    PERSIST_PATH: path,
    PERSIST_INTERVAL: '1s',
  };
}

/** How long a persisting kinesis-mock may take to drain and write its file on SIGTERM. */
const GRACEFUL_STOP_MS = 15_000;

/** Asks the OS for a free loopback port (released at once; the child binds it right after). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Where the package's entry script and certificate are; a clear error when it is not installed. */
export function kinesisLocalFiles(): { readonly script: string; readonly certificate: string } {
  const require = createRequire(import.meta.url);
  let script: string;
  try {
    script = require.resolve('kinesis-local');
  } catch (error) {
    throw new Error(
      "kinesis: 'kinesis-local' needs the npm package kinesis-local (a devDependency); run npm install",
      { cause: error },
    );
  }
  // kinesis-mock resolves a relative KINESIS_MOCK_CERT_PATH against its working directory: pass it absolute.
  const certificate = join(dirname(script), 'server.json');
  if (!existsSync(certificate)) {
    throw new Error(`kinesis: 'kinesis-local' cannot start: its certificate ${certificate} is missing`);
  }
  return { script, certificate };
}

/**
 * What listens on the port: kinesis-mock (its JSON answer to a ListStreams probe), something else (a
 * port taken between `freePort` and the child binding it), or nothing yet.
 */
function listener(host: string, port: number): Promise<'kinesis' | 'other' | 'none'> {
  return new Promise((resolve) => {
    const probe = httpRequest(
      {
        host,
        port,
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'Kinesis_20131202.ListStreams',
        },
        timeout: 1_000,
      },
      (response) => {
        response.resume();
        // kinesis-mock answers an unsigned probe with a JSON 1.1 error and an x-amz-id-2 header.
        const json = String(response.headers['content-type'] ?? '').includes('x-amz-json-1.1');
        resolve(json && response.headers['x-amz-id-2'] !== undefined ? 'kinesis' : 'other');
      },
    );
    probe.on('error', () => resolve('none'));
    probe.on('timeout', () => probe.destroy());
    probe.end('{}');
  });
}

/** Starts on fresh ports this many times before giving up. */
const START_ATTEMPTS = 3;

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * Starts kinesis-mock on a free port with stream transitions shortened to milliseconds (so a created
 * stream is ACTIVE at once, as with kinesalite) and resolves once it answers as Kinesis. A port another
 * process took in the meantime is given up for fresh ones, up to {@link START_ATTEMPTS} times.
 */
export async function startKinesisLocal(
  options: KinesisLocalOptions = {},
  attempt = 1,
): Promise<KinesisLocal> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const { script, certificate } = kinesisLocalFiles();
  if (options.persistPath !== undefined) await mkdir(options.persistPath, { recursive: true });
  const [port, tlsPort] = [await freePort(host), await freePort(host)];
  const fast = '1ms';
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      KINESIS_MOCK_CERT_PATH: certificate,
      CREATE_STREAM_DURATION: fast,
      DELETE_STREAM_DURATION: fast,
      UPDATE_SHARD_COUNT_DURATION: fast,
      MERGE_SHARDS_DURATION: fast,
      SPLIT_SHARD_DURATION: fast,
      REGISTER_STREAM_CONSUMER_DURATION: fast,
      DEREGISTER_STREAM_CONSUMER_DURATION: fast,
      START_STREAM_ENCRYPTION_DURATION: fast,
      STOP_STREAM_ENCRYPTION_DURATION: fast,
      UPDATE_STREAM_MODE_DURATION: fast,
      SHARD_LIMIT: '1000',
      ON_DEMAND_STREAM_COUNT_LIMIT: '100',
      ...persistence(options.persistPath),
      LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });

  // A test runner or CLI that exits without stop() must not leave the mock running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (options.persistPath === undefined) {
      // SIGTERM makes kinesis-mock drain for about 6 s; with nothing to keep on disk, kill it outright.
      child.kill('SIGKILL');
      await exited(child);
      return;
    }
    // Persisting: let it drain and write its file, within a bound.
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), GRACEFUL_STOP_MS);
    await exited(child);
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  // A port another process took before the child bound it answers as something else, and the child
  // exits (its bind fails): start again on fresh ports.
  while ((await listener(host, port)) !== 'kinesis') {
    if (child.exitCode !== null && spawnError === undefined && attempt < START_ATTEMPTS) {
      await stop();
      return startKinesisLocal(options, attempt + 1);
    }
    if (spawnError !== undefined || child.exitCode !== null || Date.now() > deadline) {
      await stop();
      const reason =
        spawnError?.message ??
        (child.exitCode !== null
          ? `it exited with code ${child.exitCode}`
          : 'it did not answer as Kinesis in time');
      throw new Error(
        `kinesis: 'kinesis-local' (kinesis-mock) did not start on port ${port}: ${reason}\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  log(`kinesis-local (kinesis-mock) listening on ${host}:${port}, pid ${child.pid ?? '?'}`);
  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}
