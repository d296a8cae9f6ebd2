import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../../router/cli/main.ts';
import { runRouterCli } from '../../../support/cli.ts';

const FIXTURES = new URL('../../../fixtures/graphs/', import.meta.url).pathname;

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runRouterCli(argv, { cwd: FIXTURES });
}

describe('router engine validate', () => {
  it('exits 0 when every file is valid', async () => {
    const result = await run(
      'engine',
      'validate',
      'orders.hjson',
      'legacy-v1.0.json',
      '--allow',
      'arn:aws:lambda:*:*:function:seed004-*',
      '--allow',
      'arn:aws:states:::lambda:invoke',
    );
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: 'orders.hjson: valid (10 states)\nlegacy-v1.0.json: valid (4 states)\n',
    });
  });

  it('exits 2 and prints every problem when any file is invalid', async () => {
    const result = await run('engine', 'validate', 'orders.hjson', 'broken.hjson');
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      "broken.hjson:7:7: /States/First/Next: state 'First': 'Next' names state 'Missing'",
    );
    expect(result.stdout).toContain('orders.hjson: valid (10 states)\n');
    expect(result.stdout).toContain('broken.hjson: invalid (5 problems)\n');
  });

  it('applies a variables file', async () => {
    const result = await run(
      'engine',
      'validate',
      'staged.hjson',
      '--vars',
      'staged.dev.hjson',
      '--allow',
      'arn:aws:lambda:*:*:function:seed004-*',
    );
    expect(result).toEqual({ code: 0, stderr: '', stdout: 'staged.hjson: valid (1 state)\n' });
  });

  it('reports an unreadable file as invalid and a missing argument as a usage error', async () => {
    expect((await run('engine', 'validate', 'nope.hjson')).stdout).toMatch(
      /^nope\.hjson: invalid \(cannot read: /,
    );
    const usage = await run('engine', 'validate');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('name at least one graph file');
  });
});

describe('router engine graph', () => {
  it('prints the Mermaid text', async () => {
    const result = await run('engine', 'graph', 'orders.hjson');
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('flowchart TD\n')).toBe(true);
    expect(result.stdout).toContain('"Validate<br/><small>Task</small>"');
  });

  it('exits 2 with the problems for an invalid graph', async () => {
    const result = await run('engine', 'graph', 'broken.hjson');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('broken.hjson: invalid, not rendered');
  });
});

describe('router engine validate allowlist', () => {
  it('uses ROUTER_RESOURCE_ALLOWLIST when no --allow is given', async () => {
    const stdout = new PassThrough();
    const out: string[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
    const code = await runCli(['engine', 'validate', 'orders.hjson'], {
      stdout,
      stderr: new PassThrough(),
      stdin: new PassThrough(),
      env: { ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:seed004-validate' },
      cwd: FIXTURES,
    });
    expect(code).toBe(2);
    expect(out.join('')).toContain(
      "/States/Lines/ItemProcessor/States/Reserve/Resource: state 'Reserve': resource 'arn:aws:states:::lambda:invoke' is not in the resource allowlist",
    );
  });
});
