/**
 * Reads the task-token secrets from a Secrets Manager secret: AWSCURRENT signs new tokens, AWSPREVIOUS
 * (the version AWSCURRENT was moved away from by the last rotation) still verifies the tokens handed out
 * before it. The read itself is an injected function, so the rules here are tested without AWS; the
 * Secrets Manager adapter (`secretsManagerReader.ts`) is loaded only when a deployment names a secret.
 */
import { type AwsEnvironment, clientConfig } from '../aws/index.ts';
import { TASK_TOKEN_SECRET_MIN_LENGTH, type TaskTokenSecrets } from '../config.ts';
import { TaskTokenSecretError } from './errors.ts';

/** The staging labels the router reads. */
export type TaskTokenSecretStage = 'AWSCURRENT' | 'AWSPREVIOUS';

/** One version of a secret: its id, and its text (undefined when the version holds binary data). */
export interface SecretVersion {
  readonly versionId: string;
  readonly text: string | undefined;
}

/** Reads the version of a secret that carries a staging label; undefined when no version carries it. */
export type SecretVersionReader = (
  arn: string,
  stage: TaskTokenSecretStage,
) => Promise<SecretVersion | undefined>;

function secretText(arn: string, stage: TaskTokenSecretStage, version: SecretVersion): string {
  const where = `task-token secret ${arn} (${stage}, version ${version.versionId})`;
  if (version.text === undefined) {
    throw new TaskTokenSecretError(`${where} holds binary data; the router signs with a text secret`, false);
  }
  if (version.text.length < TASK_TOKEN_SECRET_MIN_LENGTH) {
    throw new TaskTokenSecretError(
      `${where} is ${version.text.length} characters long; a task-token secret needs at least ${TASK_TOKEN_SECRET_MIN_LENGTH}`,
      false,
    );
  }
  return version.text;
}

/**
 * Reads AWSCURRENT and AWSPREVIOUS of the secret (in parallel: one round trip at cold start). A secret
 * never rotated has no AWSPREVIOUS. Errors name the secret and the version, never the value.
 *
 * @example
 * const secrets = await readTaskTokenSecrets(env.ROUTER_TASK_TOKEN_SECRET_ARN, secretsManagerReader(aws));
 * // { current: '...', previous: ['...'] }
 */
export async function readTaskTokenSecrets(
  arn: string,
  read: SecretVersionReader,
): Promise<TaskTokenSecrets> {
  const [current, previous] = await Promise.all([read(arn, 'AWSCURRENT'), read(arn, 'AWSPREVIOUS')]);
  if (current === undefined) {
    throw new TaskTokenSecretError(
      `task-token secret ${arn} has no AWSCURRENT version (does the secret exist in this region?)`,
      false,
    );
  }
  const currentText = secretText(arn, 'AWSCURRENT', current);
  if (previous === undefined || previous.versionId === current.versionId) {
    return { current: currentText, previous: [] };
  }
  return { current: currentText, previous: [secretText(arn, 'AWSPREVIOUS', previous)] };
}

/**
 * A reader over Secrets Manager that loads the SDK client on its first read, with a dynamic import: a
 * router whose secret is in its environment (the local stack, tests) never loads it.
 */
export function lazySecretsManagerReader(aws: AwsEnvironment): SecretVersionReader {
  const config = clientConfig(aws, 'secretsmanager');
  let reader: Promise<SecretVersionReader> | undefined;
  return async (arn, stage) => {
    reader ??= import('./secretsManagerReader.ts').then((module) => module.secretsManagerReader(config));
    return (await reader)(arn, stage);
  };
}
