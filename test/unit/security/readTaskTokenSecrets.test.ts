import { describe, expect, it } from 'vitest';
import {
  readTaskTokenSecrets,
  type SecretVersion,
  type SecretVersionReader,
  TaskTokenSecretError,
} from '../../../router/security/index.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:router-task-token-AbCdEf';
const CURRENT = 'c'.repeat(48);
const PREVIOUS = 'p'.repeat(48);

/** A reader answering from a table of labels, recording what it was asked. */
function readerOf(labels: Partial<Record<'AWSCURRENT' | 'AWSPREVIOUS', SecretVersion>>) {
  const asked: string[] = [];
  const read: SecretVersionReader = async (arn, stage) => {
    asked.push(`${arn} ${stage}`);
    return labels[stage];
  };
  return { read, asked };
}

describe('reading the task-token secrets from Secrets Manager', () => {
  it('signs with AWSCURRENT and still verifies with AWSPREVIOUS, asking for both labels of the one secret', async () => {
    // Prepare
    const { read, asked } = readerOf({
      AWSCURRENT: { versionId: 'v2', text: CURRENT },
      AWSPREVIOUS: { versionId: 'v1', text: PREVIOUS },
    });

    // Act
    const secrets = await readTaskTokenSecrets(ARN, read);

    // Assess
    expect(secrets).toEqual({ current: CURRENT, previous: [PREVIOUS] });
    expect(asked.sort()).toEqual([`${ARN} AWSCURRENT`, `${ARN} AWSPREVIOUS`]);
  });

  it('has no previous secret before the first rotation', async () => {
    // Act
    const secrets = await readTaskTokenSecrets(
      ARN,
      readerOf({ AWSCURRENT: { versionId: 'v1', text: CURRENT } }).read,
    );

    // Assess
    expect(secrets).toEqual({ current: CURRENT, previous: [] });
  });

  it('refuses a missing, binary or short secret, naming the secret and version but never the value', async () => {
    // Prepare
    const cases: [SecretVersionReader, RegExp][] = [
      [readerOf({}).read, /has no AWSCURRENT version/],
      [
        readerOf({ AWSCURRENT: { versionId: 'v1', text: undefined } }).read,
        /\(AWSCURRENT, version v1\) holds binary data/,
      ],
      [
        readerOf({ AWSCURRENT: { versionId: 'v1', text: 'tiny-secret-value' } }).read,
        /\(AWSCURRENT, version v1\) is 17 characters long; a task-token secret needs at least 32/,
      ],
      [
        readerOf({
          AWSCURRENT: { versionId: 'v2', text: CURRENT },
          AWSPREVIOUS: { versionId: 'v1', text: 'tiny-secret-value' },
        }).read,
        /\(AWSPREVIOUS, version v1\) is 17 characters long/,
      ],
    ];

    for (const [read, expected] of cases) {
      // Act
      const outcome: unknown = await readTaskTokenSecrets(ARN, read).then(
        () => 'read',
        (error: unknown) => error,
      );

      // Assess
      expect(outcome).toBeInstanceOf(TaskTokenSecretError);
      const message = outcome instanceof Error ? outcome.message : String(outcome);
      expect(message).toMatch(expected);
      expect(message).toContain(ARN);
      expect(message).not.toContain('tiny-secret-value');
    }
  });

  it('passes a failed read through unchanged, so its retryable classification survives', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const read: SecretVersionReader = async () => {
      throw throttled;
    };

    // Act
    const reading = readTaskTokenSecrets(ARN, read);

    // Assess
    await expect(reading).rejects.toBe(throttled);
  });
});
