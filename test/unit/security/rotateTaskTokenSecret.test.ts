import { describe, expect, it } from 'vitest';
import { TASK_TOKEN_SECRET_LENGTH } from '../../../router/config.ts';
import {
  type RotationEvent,
  readTaskTokenSecrets,
  rotateTaskTokenSecret,
  TaskTokenSecretError,
} from '../../../router/security/index.ts';
import { SecretVersions } from './secretVersions.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:router-task-token-AbCdEf';
const INITIAL = 'i'.repeat(TASK_TOKEN_SECRET_LENGTH);
const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

function step(Step: string, ClientRequestToken: string): RotationEvent {
  return { Step, SecretId: ARN, ClientRequestToken };
}

/** Runs the four steps as Secrets Manager does, after RotateSecret has labelled `token` AWSPENDING. */
async function rotate(secret: SecretVersions, token: string, { twice = false } = {}): Promise<void> {
  secret.startRotation(token);
  for (const name of STEPS) {
    await rotateTaskTokenSecret(step(name, token), secret);
    if (twice) await rotateTaskTokenSecret(step(name, token), secret);
  }
}

describe('rotating the task-token secret', () => {
  it('draws a new random current version and leaves the old one as AWSPREVIOUS for the router', async () => {
    // Prepare
    const secret = new SecretVersions(ARN, INITIAL);

    // Act
    await rotate(secret, 'v2');

    // Assess
    const drawn = secret.textOf('AWSCURRENT');
    expect(drawn).toHaveLength(TASK_TOKEN_SECRET_LENGTH);
    expect(drawn).not.toBe(INITIAL);
    expect(secret.textOf('AWSPREVIOUS')).toBe(INITIAL);
    expect(await readTaskTokenSecrets(ARN, secret.reader)).toEqual({ current: drawn, previous: [INITIAL] });
  });

  it('does nothing more when Secrets Manager runs a step again', async () => {
    // Prepare
    const secret = new SecretVersions(ARN, INITIAL);

    // Act
    await rotate(secret, 'v2', { twice: true });

    // Assess: one value drawn, the same labels as after a single run
    expect(secret.textOf('AWSCURRENT')).toBe('1'.padStart(TASK_TOKEN_SECRET_LENGTH, 'r'));
    expect(secret.textOf('AWSPREVIOUS')).toBe(INITIAL);
  });

  it('forgets the version two rotations back: only AWSCURRENT and AWSPREVIOUS are read', async () => {
    // Prepare
    const secret = new SecretVersions(ARN, INITIAL);
    await rotate(secret, 'v2');
    const second = secret.textOf('AWSCURRENT');

    // Act
    await rotate(secret, 'v3');

    // Assess
    const secrets = await readTaskTokenSecrets(ARN, secret.reader);
    expect(secrets.previous).toEqual([second]);
    expect([secrets.current, ...secrets.previous]).not.toContain(INITIAL);
  });

  it('refuses a secret without rotation, a version that is not pending, and an unknown step, naming the secret', async () => {
    // Prepare
    const off = new SecretVersions(ARN, INITIAL);
    off.rotationEnabled = false;
    off.startRotation('v2');
    const secret = new SecretVersions(ARN, INITIAL);
    secret.startRotation('v2');

    // Act
    const attempts = [
      rotateTaskTokenSecret(step('createSecret', 'v2'), off),
      rotateTaskTokenSecret(step('createSecret', 'v9'), secret),
      rotateTaskTokenSecret(step('finishSecret', 'v2'), new SecretVersions(ARN, INITIAL)),
      rotateTaskTokenSecret(step('shuffleSecret', 'v2'), secret),
    ];

    // Assess
    const errors: unknown[] = await Promise.all(
      attempts.map((attempt) =>
        attempt.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    );
    const messages = errors.map((error) =>
      error instanceof TaskTokenSecretError ? error.message : `not a TaskTokenSecretError: ${String(error)}`,
    );
    for (const message of messages) expect(message).toContain(`rotating task-token secret ${ARN}`);
    expect(messages).toEqual([
      expect.stringContaining('rotation is not enabled'),
      expect.stringContaining('version v9 is not a version of this secret'),
      expect.stringContaining('version v2 is not a version of this secret'),
      expect.stringContaining("unknown rotation step 'shuffleSecret'"),
    ]);
  });

  it('fails testSecret on a pending value too short to sign with, so AWSCURRENT never moves onto it', async () => {
    // Prepare
    const secret = new SecretVersions(ARN, INITIAL);
    secret.startRotation('v2');
    await secret.putPending(ARN, 'v2', 'short');

    // Act
    const tested = rotateTaskTokenSecret(step('testSecret', 'v2'), secret);

    // Assess
    await expect(tested).rejects.toThrow(
      /version v2 is 5 characters long; a task-token secret needs at least 32/,
    );
    expect(secret.textOf('AWSCURRENT')).toBe(INITIAL);
  });
});
