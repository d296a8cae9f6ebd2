import { spawn } from 'node:child_process';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { main, parseUpArguments } from '../../../localstack/cli.ts';
import { dynamoDbClient, kinesisClient } from '../../../router/aws/clients.ts';

const root = new URL('../../../', import.meta.url);

describe('npm run localstack:up', () => {
  it('starts in memory without the router, bootstraps, prints the variables to export, and stops cleanly on SIGINT', async () => {
    // Prepare
    const child = spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        '--import',
        'tsx',
        'localstack/cli.ts',
        '--port',
        '0',
        '--no-services',
        '--in-memory',
        '--no-router',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.resume();
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // Act
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (stdout.includes('Ctrl-C stops it.')) {
          clearInterval(timer);
          resolve();
        }
      }, 25);
      void exit.then((code) => {
        clearInterval(timer);
        reject(new Error(`localstack:up exited with ${code} before serving:\n${stdout}`));
      });
    });
    const endpoint = /^export AWS_ENDPOINT_URL=(.+)$/m.exec(stdout)?.[1] ?? '';
    const aws = {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const { StreamNames } = await kinesisClient(aws).send(new ListStreamsCommand({}));
    const { TableNames } = await dynamoDbClient(aws).send(new ListTablesCommand({}));
    child.kill('SIGINT');
    const code = await exit;

    // Assess
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stdout).toContain(`Local AWS stack on ${endpoint}, in memory (nothing is kept).`);
    expect(stdout).toContain('Router not running (--no-router): nothing consumes the stream.');
    expect(stdout).toContain('export AWS_REGION=us-east-1');
    expect(stdout).toContain('export AWS_ACCESS_KEY_ID=test');
    expect(StreamNames).toContain('router-events');
    expect(TableNames).toEqual(['router-engines', 'router-esm-checkpoints', 'router-executions']);
    expect(code).toBe(0);
    expect(stdout.trimEnd().endsWith('Local AWS stack stopped.')).toBe(true);
  });

  it('rejects a bad command line with exit code 2, naming the flag', async () => {
    // Prepare
    const errors: string[] = [];

    // Act
    const code = await main(['--port', 'abc'], { out: () => {}, err: (line) => errors.push(line) });

    // Assess
    expect(code).toBe(2);
    expect(errors[0]).toContain("--port must be an integer from 0 to 65535, got 'abc'");
    expect(() => parseUpArguments(['--kinesis', 'mock'])).toThrow(
      "--kinesis must be kinesalite or kinesis-local, got 'mock'",
    );
    expect(() => parseUpArguments(['--shards', '0'])).toThrow(
      "--shards must be an integer from 1 to 65535, got '0'",
    );
    expect(() => parseUpArguments(['--bogus'])).toThrow(/bogus/);
    expect(() => parseUpArguments(['--data', 'x', '--in-memory'])).toThrow(
      '--data and --in-memory exclude each other',
    );
    expect(parseUpArguments(['--help'])).toBeUndefined();
  });

  it('keeps the data under .local/stack and runs the router unless told otherwise', () => {
    // Act
    const defaults = parseUpArguments([], '/work/here');
    const chosen = parseUpArguments(['--data', 'data', '--no-router'], '/work/here');
    const memory = parseUpArguments(['--in-memory', '--log', 'r.log'], '/work/here');

    // Assess
    expect(defaults).toMatchObject({ dataDir: new URL('.local/stack', root).pathname, router: true });
    expect(defaults?.logFile).toBe(new URL('.local/stack/router.log', root).pathname);
    expect(chosen).toMatchObject({
      dataDir: '/work/here/data',
      router: false,
      logFile: '/work/here/data/router.log',
    });
    expect(memory).toMatchObject({ dataDir: undefined, router: true, logFile: '/work/here/r.log' });
  });
});
