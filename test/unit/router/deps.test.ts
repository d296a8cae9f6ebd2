import { describe, expect, it } from 'vitest';
import { taskToken } from '../../../router/asl/index.ts';
import { SettingError } from '../../../router/config.ts';
import { loadRouterDeps } from '../../../router/deps.ts';
import { CountingMetrics, silentLogger } from '../../../router/observability/telemetry.ts';
import type { SecretVersionReader } from '../../../router/security/index.ts';
import { SecretVersions } from '../security/secretVersions.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:router-task-token-AbCdEf';
const T0 = Date.parse('2026-03-01T00:00:00Z');
const QUIET = { logger: silentLogger, metrics: new CountingMetrics() };
const ENV = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'unit', AWS_SECRET_ACCESS_KEY: 'unit' };

function tokenSignedWith(secret: string): string {
  return taskToken(new TextEncoder().encode(secret), 'orders:abc', 'Approve#1.0', T0);
}

/** A reader that fails the test if the router reads Secrets Manager when it should not. */
const NO_READS: SecretVersionReader = async (arn) => {
  throw new Error(`read ${arn}`);
};

describe("the deployed router's cold start", () => {
  it('refuses to start outside the local stage without a task-token secret', async () => {
    // Act
    const starting = loadRouterDeps({ ...ENV, ROUTER_STAGE: 'prod' }, { ...QUIET, readSecret: NO_READS });

    // Assess
    await expect(starting).rejects.toThrow(SettingError);
    await expect(starting).rejects.toThrow(/ROUTER_TASK_TOKEN_SECRET_ARN is not set: stage 'prod'/);
  });

  it('starts in the local stage with the built-in secret, reading nothing', async () => {
    // Act
    const deps = await loadRouterDeps({ ...ENV }, { ...QUIET, readSecret: NO_READS });

    // Assess
    expect(deps.settings.taskTokenSecret).toBe('local-task-token-secret');
    expect(await deps.verifyTaskToken(tokenSignedWith('local-task-token-secret'))).toMatchObject({
      executionId: 'orders:abc',
    });
  });

  it('reads AWSCURRENT and AWSPREVIOUS of the secret the ARN names, and accepts tokens signed with either', async () => {
    // Prepare: a secret rotated once
    const secret = new SecretVersions(ARN, 'a'.repeat(48));
    secret.startRotation('v2');
    await secret.putPending(ARN, 'v2', 'b'.repeat(48));
    await secret.promote(ARN, 'v2', 'v1');

    // Act
    const deps = await loadRouterDeps(
      { ...ENV, ROUTER_STAGE: 'prod', ROUTER_TASK_TOKEN_SECRET_ARN: ARN },
      { ...QUIET, readSecret: secret.reader },
    );

    // Assess
    expect(secret.reads.sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    expect(deps.settings.taskTokenSecret).toBe('b'.repeat(48));
    expect(deps.settings.previousTaskTokenSecrets).toEqual(['a'.repeat(48)]);
    expect(await deps.verifyTaskToken(tokenSignedWith('b'.repeat(48)))).not.toHaveProperty('invalid');
    expect(await deps.verifyTaskToken(tokenSignedWith('a'.repeat(48)))).not.toHaveProperty('invalid');
    expect(await deps.verifyTaskToken(tokenSignedWith('c'.repeat(48)))).toHaveProperty('invalid');
  });

  it('learns of a rotation after its cold start from the first token signed with the new version', async () => {
    // Prepare
    let now = T0;
    const secret = new SecretVersions(ARN, 'a'.repeat(48));
    const deps = await loadRouterDeps(
      { ...ENV, ROUTER_STAGE: 'prod', ROUTER_TASK_TOKEN_SECRET_ARN: ARN },
      { ...QUIET, readSecret: secret.reader, now: () => now },
    );
    secret.startRotation('v2');
    await secret.putPending(ARN, 'v2', 'b'.repeat(48));
    await secret.promote(ARN, 'v2', 'v1');
    now += 60_000;

    // Act
    const verdict = await deps.verifyTaskToken(tokenSignedWith('b'.repeat(48)));

    // Assess
    expect(verdict).toEqual({ executionId: 'orders:abc', startTime: T0, invokeId: 'Approve#1.0' });
    expect(secret.reads).toHaveLength(4);
  });

  it('fails the cold start when the secret cannot be read, naming it', async () => {
    // Prepare
    const empty = new SecretVersions(ARN, 'a'.repeat(48));
    empty.versions.clear();

    // Act
    const starting = loadRouterDeps(
      { ...ENV, ROUTER_STAGE: 'prod', ROUTER_TASK_TOKEN_SECRET_ARN: ARN },
      { ...QUIET, readSecret: empty.reader },
    );

    // Assess
    await expect(starting).rejects.toThrow(`task-token secret ${ARN} has no AWSCURRENT version`);
  });
});
