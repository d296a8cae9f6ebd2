import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  isSupportedNode,
  quietSdkNodeVersionWarning,
  SDK_NODE_WARNING_SWITCH,
} from '../../../router/aws/sdkWarning.ts';

const run = promisify(execFile);

describe('quietSdkNodeVersionWarning', () => {
  it('sets the SDK switch on the Node versions the package supports', () => {
    // Prepare
    const versions = ['20.19.0', 'v20.20.2', '22.12.0', '24.1.0', '20.18.3', '18.20.8'];

    // Act
    const set = versions.map((v) => {
      const env: NodeJS.ProcessEnv = {};
      return [quietSdkNodeVersionWarning(env, v), env[SDK_NODE_WARNING_SWITCH]];
    });

    // Assess
    expect(set).toEqual([
      [true, 'true'],
      [true, 'true'],
      [true, 'true'],
      [true, 'true'],
      [false, undefined],
      [false, undefined],
    ]);
    expect(isSupportedNode('20.19.0')).toBe(true);
  });

  it("keeps the user's own choice either way", () => {
    // Prepare
    const wantsIt: NodeJS.ProcessEnv = { [SDK_NODE_WARNING_SWITCH]: 'false' };

    // Act
    const changed = quietSdkNodeVersionWarning(wantsIt, '20.19.0');

    // Assess
    expect(changed).toBe(false);
    expect(wantsIt[SDK_NODE_WARNING_SWITCH]).toBe('false');
  });
});

/** Builds an SDK client (which is when the SDK warns) and emits one warning of its own. */
const PROBE = `
  const { quietSdkNodeVersionWarning } = await import('./router/aws/sdkWarning.ts');
  if (process.argv.includes('--quiet')) quietSdkNodeVersionWarning(process.env, process.versions.node);
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  new DynamoDBClient({ region: 'us-east-1' });
  process.emitWarning('an unrelated warning', 'ProbeWarning');
`;

async function probe(...flags: string[]): Promise<string> {
  const env = { ...process.env };
  delete env[SDK_NODE_WARNING_SWITCH];
  const { stderr } = await run(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', PROBE, '--', ...flags],
    { env },
  );
  return stderr;
}

describe('the SDK warning in a real process', () => {
  it('is silenced by the switch while other warnings still show', async () => {
    // Act
    const [loud, quiet] = await Promise.all([probe(), probe('--quiet')]);

    // Assess: the SDK warns below Node 22 only
    const warns = Number(process.versions.node.split('.')[0]) < 22;
    expect(loud.includes('NodeVersionSupportWarning')).toBe(warns);
    expect(quiet).not.toContain('NodeVersionSupportWarning');
    expect(quiet).toContain('ProbeWarning: an unrelated warning');
  }, 30_000);
});
