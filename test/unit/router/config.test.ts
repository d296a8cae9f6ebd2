import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ALLOWLIST,
  routerSettingsFromEnv,
  SettingError,
  taskTokenSecretSourceFromEnv,
  taskTokenSecretsFromEnv,
} from '../../../router/config.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:router-task-token-AbCdEf';
const STRONG = 's'.repeat(32);

/** The SettingError `env` is refused with, or a failure naming what happened instead. */
function refusal(env: NodeJS.ProcessEnv): SettingError {
  try {
    taskTokenSecretSourceFromEnv(env);
  } catch (error) {
    if (error instanceof SettingError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('task-token secret settings', () => {
  it('fall back to the built-in secret in the local stage only (the embedded stack and tests)', () => {
    // Act
    const unset = taskTokenSecretSourceFromEnv({});
    const local = taskTokenSecretSourceFromEnv({ ROUTER_STAGE: 'local' });

    // Assess
    expect(unset).toEqual({
      kind: 'environment',
      secrets: { current: 'local-task-token-secret', previous: [] },
    });
    expect(local).toEqual(unset);
  });

  it('refuse a stage other than local without a secret, naming the setting and the stage', () => {
    // Act
    const error = refusal({ ROUTER_STAGE: 'prod' });

    // Assess
    expect(error.setting).toBe('ROUTER_TASK_TOKEN_SECRET_ARN');
    expect(error.message).toMatch(
      /^ROUTER_TASK_TOKEN_SECRET_ARN is not set: stage 'prod' \(ROUTER_STAGE\) has no task-token secret/,
    );
    expect(error.message).toContain('ROUTER_TASK_TOKEN_SECRET to a random string of at least 32 characters');
  });

  it('name a Secrets Manager secret by ARN, alone', () => {
    // Act
    const source = taskTokenSecretSourceFromEnv({ ROUTER_STAGE: 'prod', ROUTER_TASK_TOKEN_SECRET_ARN: ARN });

    // Assess
    expect(source).toEqual({ kind: 'secrets-manager', arn: ARN });
    expect(refusal({ ROUTER_TASK_TOKEN_SECRET_ARN: ARN, ROUTER_TASK_TOKEN_SECRET: STRONG }).message).toMatch(
      /both set: set only one/,
    );
    expect(refusal({ ROUTER_TASK_TOKEN_SECRET_ARN: 'router-task-token' }).setting).toBe(
      'ROUTER_TASK_TOKEN_SECRET_ARN',
    );
    expect(
      refusal({ ROUTER_TASK_TOKEN_SECRET_ARN: ARN, ROUTER_TASK_TOKEN_PREVIOUS_SECRETS: STRONG }).message,
    ).toMatch(/the previous secret is the AWSPREVIOUS version of that secret/);
  });

  it('take the secret and the still-accepted previous ones from the environment', () => {
    // Act
    const source = taskTokenSecretSourceFromEnv({
      ROUTER_STAGE: 'prod',
      ROUTER_TASK_TOKEN_SECRET: STRONG,
      ROUTER_TASK_TOKEN_PREVIOUS_SECRETS: ` ${'a'.repeat(40)} ,${'b'.repeat(32)},`,
    });

    // Assess
    expect(source).toEqual({
      kind: 'environment',
      secrets: { current: STRONG, previous: ['a'.repeat(40), 'b'.repeat(32)] },
    });
  });

  it('refuse a secret shorter than 32 characters outside the local stage, naming the variable', () => {
    // Act
    const current = refusal({ ROUTER_STAGE: 'dev', ROUTER_TASK_TOKEN_SECRET: 'hunter2' });
    const previous = refusal({
      ROUTER_STAGE: 'dev',
      ROUTER_TASK_TOKEN_SECRET: STRONG,
      ROUTER_TASK_TOKEN_PREVIOUS_SECRETS: 'hunter2',
    });
    const local = taskTokenSecretSourceFromEnv({ ROUTER_TASK_TOKEN_SECRET: 'hunter2' });

    // Assess
    expect([current.setting, previous.setting]).toEqual([
      'ROUTER_TASK_TOKEN_SECRET',
      'ROUTER_TASK_TOKEN_PREVIOUS_SECRETS',
    ]);
    expect(current.message).toMatch(/a secret of 7 characters is too short for stage 'dev'/);
    expect(current.message).not.toContain('hunter2');
    expect(refusal({ ROUTER_TASK_TOKEN_PREVIOUS_SECRETS: STRONG }).setting).toBe('ROUTER_TASK_TOKEN_SECRET');
    expect(local).toEqual({ kind: 'environment', secrets: { current: 'hunter2', previous: [] } });
  });

  it('give a tool outside the local stage a random secret of its own, never the built-in one, and still its other settings', () => {
    // Prepare: what `router engine publish` sees after pasting the stack's EngineAuthorEnv line
    const env = { ROUTER_STAGE: 'dev', ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:seed004-*' };

    // Act
    const first = routerSettingsFromEnv(env);
    const second = taskTokenSecretsFromEnv(env);
    const withArn = taskTokenSecretsFromEnv({ ROUTER_STAGE: 'dev', ROUTER_TASK_TOKEN_SECRET_ARN: ARN });

    // Assess
    expect(first.allowlist).toEqual(['arn:aws:lambda:*:*:function:seed004-*']);
    expect(first.taskTokenSecret).not.toBe('local-task-token-secret');
    expect(first.taskTokenSecret.length).toBeGreaterThanOrEqual(32);
    expect(second.current).not.toBe(first.taskTokenSecret);
    expect(withArn.current).not.toBe('local-task-token-secret');
  });

  it('put the secrets a cold start read into the router settings', () => {
    // Act
    const settings = routerSettingsFromEnv(
      { ROUTER_STAGE: 'prod' },
      { current: STRONG, previous: ['p'.repeat(32)] },
    );

    // Assess
    expect(settings).toMatchObject({
      taskTokenSecret: STRONG,
      previousTaskTokenSecrets: ['p'.repeat(32)],
      stage: 'prod',
      allowlist: DEFAULT_ALLOWLIST,
    });
  });
});
