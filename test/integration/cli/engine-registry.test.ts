import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import { runRouterCli } from '../../support/cli.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack();
/** A publish-time variable reference, as an author writes it in a graph. */
const PREFIX_PLACEHOLDER = ['$', '{Prefix}'].join('');
let dir = '';

beforeAll(async () => {
  await bootstrap({ aws: stack().aws, shards: 1 });
  dir = await mkdtemp(join(tmpdir(), 'engine-cli-'));
  await writeFile(
    join(dir, 'greeter.hjson'),
    `{
      // A graph with one step and a Pass
      Comment: greeter v1
      StartAt: Greet
      States: {
        Greet: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:000000000000:function:${PREFIX_PLACEHOLDER}-greet", Next: "Done" }
        Done: { Type: "Pass", End: true }
      }
    }`,
  );
  await writeFile(join(dir, 'vars.hjson'), '{\n  Prefix: demo\n}\n');
  await writeFile(
    join(dir, 'broken.hjson'),
    '{ "StartAt": "Missing", "States": { "A": { "Type": "Pass", "End": true } } }',
  );
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...stack().env, ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:demo-*' };
  const result = await runRouterCli(argv, { env, cwd: dir });
  return { code: result.code, out: result.stdout, err: result.stderr };
}

describe('router engine publish / promote / rollback / list / versions / show', () => {
  it('publishes, canaries, promotes, rolls back and shows versions', async () => {
    const first = await cli('engine', 'publish', 'greeter.hjson', '--vars', 'vars.hjson');
    expect(first.err).toBe('');
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toMatch(/^published greeter@1 \(live -> 1\)/);

    const again = await cli('engine', 'publish', 'greeter.hjson', '--vars', 'vars.hjson');
    expect(again.out).toMatch(/^unchanged, reusing greeter@1/);

    const v1 = await readFile(join(dir, 'greeter.hjson'), 'utf8');
    await writeFile(join(dir, 'greeter.hjson'), v1.replace('greeter v1', 'greeter v2'));
    const canary = await cli('engine', 'publish', 'greeter.hjson', '--vars', 'vars.hjson', '--canary', '10');
    expect(canary.out).toMatch(/published greeter@2 \(live -> 1 \(90%\), 2 \(10%\)\)/);

    expect((await cli('engine', 'promote', 'greeter', '2')).out).toBe('greeter: live -> 2\n');
    expect((await cli('engine', 'rollback', 'greeter')).out).toBe('greeter: live -> 1 (90%), 2 (10%)\n');

    const list = await cli('engine', 'list');
    expect(list.out).toMatch(/ENGINE\s+LATEST\s+ALIAS/);
    expect(list.out).toMatch(/greeter\s+2\s+live -> 1 \(90%\), 2 \(10%\)/);
    expect((await cli('engine', 'versions', 'greeter')).out.trim().split('\n')).toHaveLength(3);

    const shown = await cli('engine', 'show', 'greeter@2');
    expect(shown.out).toMatch(/^# greeter@2 standard/);
    expect(shown.out).toContain('function:demo-greet');
  });

  it('refuses an invalid graph with every problem and exit code 2, storing nothing', async () => {
    const result = await cli('engine', 'publish', 'broken.hjson');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/broken\.hjson: not published/);
    expect(result.err).toMatch(/StartAt/);
    expect((await cli('engine', 'versions', 'broken')).code).toBe(1);
  });

  it('refuses a resource outside the allowlist', async () => {
    await writeFile(
      join(dir, 'rogue.hjson'),
      '{ "StartAt": "A", "States": { "A": { "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:other", "End": true } } }',
    );
    const result = await cli('engine', 'publish', 'rogue.hjson');
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      "resource 'arn:aws:lambda:us-east-1:1:function:other' is not in the resource allowlist",
    );
    expect(result.err).toContain(
      "the allowlist checked is ROUTER_RESOURCE_ALLOWLIST (arn:aws:lambda:*:*:function:demo-*); set ROUTER_RESOURCE_ALLOWLIST to the deployment's allowlist",
    );
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli('engine', 'promote', 'greeter', 'x')).code).toBe(2);
    expect((await cli('engine', 'publish')).code).toBe(2);
  });
});
