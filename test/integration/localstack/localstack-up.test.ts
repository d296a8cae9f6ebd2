/**
 * `npm run localstack:up` as a developer uses it, in a child process on a temporary data directory:
 * the router consumes the stream, the hosted step functions reach the stack (`router engine run` from
 * another process), and after a stop and a start on the same data everything is still there and no
 * record the router already finished is delivered again.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runRouterCli } from '../../support/cli.ts';

const root = new URL('../../../', import.meta.url).pathname;
const children = new Set<ChildProcessByStdio<null, Readable, Readable>>();
const directories: string[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A running `localstack:up` child and its output so far. */
interface Up {
  readonly env: Record<string, string>;
  readonly lines: () => string[];
  /** Resolves with the first output line (stdout) matching, waiting for it as it is printed. */
  line(pattern: RegExp): Promise<string>;
  /** SIGINT, as Ctrl-C sends; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

async function startUp(args: readonly string[]): Promise<Up> {
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--import', 'tsx', 'localstack/cli.ts', '--port', '0', ...args],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const wake of waiters) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  const lines = (): string[] => stdout.split('\n').filter((l) => l !== '');
  const line = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines().find((l) => pattern.test(l));
        if (found !== undefined) {
          waiters.delete(check);
          resolve(found);
        } else if (child.exitCode !== null) {
          waiters.delete(check);
          reject(
            new Error(
              `localstack:up exited (${child.exitCode}) before printing ${pattern}:\n${stdout}\n${stderr}`,
            ),
          );
        }
      };
      waiters.add(check);
      check();
    });
  await line(/^Ctrl-C stops it\.$/);
  const endpoint = (await line(/^export AWS_ENDPOINT_URL=/)).split('=')[1] ?? '';
  return {
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    lines,
    line,
    interrupt: () => {
      child.kill('SIGINT');
      return exit;
    },
  };
}

function order(id: string): string {
  return JSON.stringify({
    specversion: '1.0',
    id,
    source: 'test/localstack-up',
    type: 'order.placed',
    engine: 'event-engine',
    subject: 'customer-1',
    data: { orderId: id, customerId: 'customer-1', amount: 42 },
  });
}

async function put(env: Record<string, string>, dir: string, ids: readonly string[]): Promise<void> {
  const file = join(dir, `events-${ids.join('-')}.ndjson`);
  await writeFile(file, `${ids.map(order).join('\n')}\n`);
  const result = await runRouterCli(['put', file], { env, cwd: root });
  expect(result.stderr).toContain(`${ids.length} records written, 0 retries, 0 failed`);
}

async function succeeded(env: Record<string, string>): Promise<string[]> {
  const listed = await runRouterCli(
    ['executions', 'list', '--engine', 'event-engine', '--status', 'SUCCEEDED'],
    {
      env,
      cwd: root,
    },
  );
  return listed.stdout.split('\n').filter((l) => l.startsWith('event-engine:'));
}

describe('npm run localstack:up on a data directory', () => {
  it('runs the router and the steps against itself, and resumes after a restart without replaying', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'router-up-'));
    directories.push(dataDir);
    const first = await startUp(['--data', dataDir, '--shards', '1']);

    // Act: a step that calls the Redshift Data API from inside the hosted Lambda, from another process
    const run = await runRouterCli(
      [
        'engine',
        'run',
        'engines/batch-average.hjson',
        '--vars',
        'engines/vars/local.hjson',
        '--input',
        '{"repetitions":2}',
      ],
      { env: first.env, cwd: root },
    );
    // ... and events through the router on the stream
    const published = await runRouterCli(
      ['engine', 'publish', 'engines/event-engine.v1.0.hjson', '--vars', 'engines/vars/local.hjson'],
      { env: first.env, cwd: root },
    );
    await put(first.env, dataDir, ['o-1', 'o-2']);
    const firstBatch = await first.line(/^router: batch of /);
    const before = await succeeded(first.env);
    const firstExit = await first.interrupt();

    // Assess
    expect(run.stderr).not.toContain('CredentialsProviderError');
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'SUCCEEDED', output: { samples: 2 } });
    expect(published.code).toBe(0);
    expect(firstBatch).toBe('router: batch of 2 records: 2 succeeded (event-engine@1: 2 succeeded)');
    expect(before).toHaveLength(2);
    expect(firstExit).toBe(0);
    expect(first.lines().at(-1)).toBe('Local AWS stack stopped.');

    // Act: start again on the same data, then one new event
    const second = await startUp(['--data', dataDir, '--shards', '1']);
    const kept = await succeeded(second.env);
    const engines = await runRouterCli(['engine', 'list'], { env: second.env, cwd: root });
    await put(second.env, dataDir, ['o-3']);
    await second.line(/^router: batch of /);
    const after = await succeeded(second.env);
    const secondExit = await second.interrupt();

    // Assess: the executions and the engine are still there; only the new record was delivered
    expect(kept).toEqual(before);
    expect(engines.stdout).toMatch(/^event-engine\s+1\s+live -> 1/m);
    expect(second.lines().filter((l) => l.startsWith('router: '))).toEqual([
      'router: batch of 1 record: 1 succeeded (event-engine@1: 1 succeeded)',
    ]);
    expect(after).toHaveLength(3);
    expect(secondExit).toBe(0);
  });
});
