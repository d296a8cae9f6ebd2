/**
 * The `router` binary as a user runs it, with no stack listening: one short message naming the endpoint
 * and how to start the local stack, and none of the AWS SDK's Node version notice.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SDK_NODE_WARNING_SWITCH } from '../../../router/aws/sdkWarning.ts';

function router(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_REGION: 'us-east-1',
  };
  delete env[SDK_NODE_WARNING_SWITCH];
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/router.js', ...argv], { env }, (error, stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('bin/router.js with the stack down', () => {
  it('names the unreachable endpoint and prints no SDK notice', async () => {
    // Act
    const result = await router('engine', 'list');

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      expect.stringMatching(
        /^router engine list: cannot reach AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/,
      ),
      '  is the local stack running? Start it with `npm run localstack:up` (it serves http://127.0.0.1:4566), or point AWS_ENDPOINT_URL at the one that runs',
      '',
    ]);
  }, 30_000);

  it('prints help without touching the stack', async () => {
    // Act
    const result = await router('engine', '--help');

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^usage: router engine SUBCOMMAND/);
  }, 30_000);
});
