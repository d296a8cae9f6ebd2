/**
 * Rotation of the task-token secret, in the four steps Secrets Manager drives a rotation function
 * through. The secret is a random key that no other system holds a copy of (every router reads it
 * itself), so rotating it is: draw a new random value as AWSPENDING, check it, and move AWSCURRENT onto
 * it. Secrets Manager moves AWSPREVIOUS onto the version that was current, which routers keep accepting
 * tokens from until the next rotation:
 *
 * ```
 *               createSecret          testSecret            finishSecret
 * v1 CURRENT    v1 CURRENT            v1 CURRENT            v1 PREVIOUS   <- tokens signed v1 still verify
 *               v2 PENDING (random)   v2 PENDING (checked)  v2 CURRENT    <- new tokens are signed v2
 * ```
 *
 * Every step can run again (Secrets Manager retries failed steps) and does nothing the second time.
 */
import { TASK_TOKEN_SECRET_LENGTH, TASK_TOKEN_SECRET_MIN_LENGTH } from '../config.ts';
import { TaskTokenSecretError } from './errors.ts';

/** The event Secrets Manager invokes a rotation function with, once per step. */
export interface RotationEvent {
  readonly Step: string;
  readonly SecretId: string;
  /** The id of the version being created. */
  readonly ClientRequestToken: string;
}

/** The Secrets Manager calls a rotation makes; the rotation function adapts the SDK client to them. */
export interface RotationSecretStore {
  /** Whether rotation is turned on, and the staging labels of each version by version id. */
  describe(secretId: string): Promise<{
    readonly rotationEnabled: boolean;
    readonly versions: Readonly<Record<string, readonly string[]>>;
  }>;
  /** The text of the version with this label (and id, when given); undefined when there is none. */
  read(
    secretId: string,
    version: { readonly stage: string; readonly versionId?: string },
  ): Promise<string | undefined>;
  /** A random string of letters and digits. */
  random(length: number): Promise<string>;
  /** Stores `text` as version `versionId`, labelled AWSPENDING. */
  putPending(secretId: string, versionId: string, text: string): Promise<void>;
  /** Moves AWSCURRENT from `fromVersionId` to `versionId`. */
  promote(secretId: string, versionId: string, fromVersionId: string): Promise<void>;
}

function refuse(secretId: string, detail: string): never {
  throw new TaskTokenSecretError(`rotating task-token secret ${secretId}: ${detail}`, false);
}

/**
 * Performs one rotation step.
 *
 * @example
 * export const handler = (event: RotationEvent) => rotateTaskTokenSecret(event, secretsManagerStore);
 */
export async function rotateTaskTokenSecret(event: RotationEvent, store: RotationSecretStore): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const described = await store.describe(secretId);
  if (!described.rotationEnabled) refuse(secretId, 'rotation is not enabled on this secret');
  const labels = described.versions[token];
  if (labels === undefined) refuse(secretId, `version ${token} is not a version of this secret`);
  if (labels.includes('AWSCURRENT')) return;
  if (!labels.includes('AWSPENDING'))
    refuse(secretId, `version ${token} is not the one being rotated to (AWSPENDING)`);
  switch (step) {
    case 'createSecret': {
      if ((await store.read(secretId, { stage: 'AWSCURRENT' })) === undefined) {
        refuse(secretId, 'it has no AWSCURRENT version to rotate from');
      }
      if ((await store.read(secretId, { stage: 'AWSPENDING', versionId: token })) !== undefined) return;
      await store.putPending(secretId, token, await store.random(TASK_TOKEN_SECRET_LENGTH));
      return;
    }
    case 'setSecret':
      // No other system holds the secret: routers read it from Secrets Manager themselves.
      return;
    case 'testSecret': {
      const text = await store.read(secretId, { stage: 'AWSPENDING', versionId: token });
      if (text === undefined) refuse(secretId, `version ${token} has no value to test`);
      if (text.length < TASK_TOKEN_SECRET_MIN_LENGTH) {
        refuse(
          secretId,
          `version ${token} is ${text.length} characters long; a task-token secret needs at least ${TASK_TOKEN_SECRET_MIN_LENGTH}`,
        );
      }
      return;
    }
    case 'finishSecret': {
      const current = Object.entries(described.versions).find(([, stages]) => stages.includes('AWSCURRENT'));
      if (current === undefined) refuse(secretId, 'no version is AWSCURRENT');
      await store.promote(secretId, token, current[0]);
      return;
    }
    default:
      refuse(
        secretId,
        `unknown rotation step '${step}' (expected createSecret, setSecret, testSecret or finishSecret)`,
      );
  }
}
