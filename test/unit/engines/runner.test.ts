import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runFlowTask } from '../../../handlers/runner.ts';

async function flowTask(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await runFlowTask(argv, { stdout, stderr, env: { ...process.env, AWS_ENDPOINT_URL: '' } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('npm run flow-task', () => {
  it("runs a domain's flow by its name, here with every Task mocked", async () => {
    // Act
    const result = await flowTask([
      'demo',
      'DemoFlow',
      '--input',
      '{"file":"members.csv"}',
      '--mocks',
      'test/fixtures/mocks/demo-flow.json',
      '--test-case',
      'HappyPath',
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'SUCCEEDED',
      output: { file: 'members.csv', bytes: 20, rows: 2, imports: 1 },
    });
  }, 60_000);

  it.each([
    [
      ['shop', 'DemoFlow', '--input', '{}'],
      "no domain 'shop' (handlers/<domain>-flows/): the domains are demo",
    ],
    [['demo', 'Nope', '--input', '{}'], "domain 'demo' has no flow 'Nope': its flows are DemoFlow"],
    [['demo', 'DemoFlow'], '--input JSON|@FILE is required'],
    [
      ['demo', 'DemoFlow', '--input', '{}', '--sftp-put', 'members.csv'],
      "--sftp-put 'members.csv': expected LOCAL=REMOTE with an absolute REMOTE path",
    ],
  ])('exits 2 for %j: %s', async (argv, message) => {
    // Act
    const result = await flowTask(argv);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
