import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAllowlist } from '../../../router/cli/allowlist.ts';
import { DEFAULT_ALLOWLIST } from '../../../router/config.ts';
import { runRouterCli } from '../../support/cli.ts';

const S3_GET = 'arn:aws:states:::aws-sdk:s3:headObject';

/** A Lambda step (in the default allowlist) followed by an S3 SDK action (not in it). */
const STEP_THEN_S3 = JSON.stringify({
  StartAt: 'Step',
  States: {
    Step: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:step', Next: 'Read' },
    Read: { Type: 'Task', Resource: S3_GET, Parameters: { Bucket: 'b', Key: 'k' }, End: true },
  },
});

/** The Lambda integration with a bare function name. */
const BARE_NAME = JSON.stringify({
  StartAt: 'Call',
  States: {
    Call: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'anything-at-all', Payload: {} },
      End: true,
    },
  },
});

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allowlist-cli-'));
  await writeFile(join(dir, 'step-then-s3.json'), STEP_THEN_S3);
  await writeFile(join(dir, 'bare-name.json'), BARE_NAME);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function validate(env: NodeJS.ProcessEnv, ...argv: string[]) {
  return runRouterCli(['engine', 'validate', ...argv], { env, cwd: dir });
}

describe('cliAllowlist', () => {
  it("starts from the router's default and says so when ROUTER_RESOURCE_ALLOWLIST is unset", () => {
    // Act
    const list = cliAllowlist({});

    // Assess
    expect(list.patterns).toEqual(DEFAULT_ALLOWLIST);
    expect(list.source).toBe(
      `the router's default allowlist, as ROUTER_RESOURCE_ALLOWLIST is not set (${DEFAULT_ALLOWLIST.join(', ')})`,
    );
  });

  it('starts from ROUTER_RESOURCE_ALLOWLIST and adds every --allow once', () => {
    // Act
    const list = cliAllowlist({ ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:a-*' }, [
      S3_GET,
      'arn:aws:lambda:*:*:function:a-*',
    ]);

    // Assess
    expect(list.patterns).toEqual(['arn:aws:lambda:*:*:function:a-*', S3_GET]);
    expect(list.source).toBe(
      `ROUTER_RESOURCE_ALLOWLIST (arn:aws:lambda:*:*:function:a-*) plus --allow ${S3_GET}, --allow arn:aws:lambda:*:*:function:a-*`,
    );
  });
});

describe('router engine validate --allow', () => {
  it('adds to the default allowlist instead of replacing it', async () => {
    // Act
    const refused = await validate({}, 'step-then-s3.json');
    const allowed = await validate({}, 'step-then-s3.json', '--allow', S3_GET);

    // Assess: the Lambda step stays allowed by the default; only the S3 action needed adding
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(`resource '${S3_GET}' is not in the resource allowlist`);
    expect(refused.stdout).not.toContain('function:step');
    expect(allowed).toEqual({ code: 0, stderr: '', stdout: 'step-then-s3.json: valid (2 states)\n' });
  });

  it('adds to ROUTER_RESOURCE_ALLOWLIST when it is set', async () => {
    // Prepare
    const env = { ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:step' };

    // Act
    const allowed = await validate(env, 'step-then-s3.json', '--allow', S3_GET);
    const refused = await validate(env, 'bare-name.json', '--allow', S3_GET);

    // Assess
    expect(allowed.code).toBe(0);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(
      "resource 'arn:aws:states:::lambda:invoke' is not in the resource allowlist",
    );
  });

  it("allows everything with '*', a bare function name included", async () => {
    // Act
    const result = await validate({}, 'step-then-s3.json', 'bare-name.json', '--allow', '*');

    // Assess
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: 'step-then-s3.json: valid (2 states)\nbare-name.json: valid (1 state)\n',
    });
  });

  it('says which list refused a resource and how to widen it', async () => {
    // Act
    const fromDefault = await validate({}, 'step-then-s3.json');
    const fromEnv = await validate(
      { ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:step' },
      'bare-name.json',
      '--allow',
      'arn:aws:lambda:*:*:function:other',
    );
    const valid = await validate({}, 'step-then-s3.json', '--allow', S3_GET);

    // Assess
    expect(fromDefault.stdout).toContain(
      "the allowlist checked is the router's default allowlist, as ROUTER_RESOURCE_ALLOWLIST is not set (arn:aws:lambda:*:*:function:*, ",
    );
    expect(fromDefault.stdout).toContain(
      "add patterns with --allow PATTERN (repeatable; --allow '*' allows every resource)",
    );
    expect(fromEnv.stdout).toContain(
      'the allowlist checked is ROUTER_RESOURCE_ALLOWLIST (arn:aws:lambda:*:*:function:step) plus --allow arn:aws:lambda:*:*:function:other;',
    );
    expect(valid.stdout).not.toContain('the allowlist checked');
  });
});

describe('router engine run --allow', () => {
  it('refuses a resource outside the allowlist before running, naming the list', async () => {
    // Act
    const result = await runRouterCli(
      [
        'engine',
        'run',
        'step-then-s3.json',
        '--input',
        '{}',
        '--allow',
        'arn:aws:states:::aws-sdk:s3:putObject',
      ],
      { env: {}, cwd: dir },
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`resource '${S3_GET}' is not in the resource allowlist`);
    expect(result.stderr).toContain(
      "the allowlist checked is the router's default allowlist, as ROUTER_RESOURCE_ALLOWLIST is not set (",
    );
    expect(result.stderr).toContain('plus --allow arn:aws:states:::aws-sdk:s3:putObject;');
  });
});
