/**
 * The rotation function of the router's task-token secret, invoked by Secrets Manager on the secret's
 * rotation schedule (infra/RouterStack.ts). Not a step of any graph, so not in the catalog. The protocol
 * lives in router/security (`rotateTaskTokenSecret`); this file only adapts the SDK client to it.
 */
import {
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { awsEnvironmentFromEnv, clientConfig } from '../../router/aws/index.ts';
import {
  type RotationEvent,
  type RotationSecretStore,
  rotateTaskTokenSecret,
} from '../../router/security/index.ts';

/** The rotation's Secrets Manager calls over one SDK client. */
function secretsManagerStore(client: SecretsManagerClient): RotationSecretStore {
  return {
    async describe(secretId) {
      const output = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
      return { rotationEnabled: output.RotationEnabled === true, versions: output.VersionIdsToStages ?? {} };
    },
    async read(secretId, { stage, versionId }) {
      try {
        const output = await client.send(
          new GetSecretValueCommand({
            SecretId: secretId,
            VersionStage: stage,
            ...(versionId === undefined ? {} : { VersionId: versionId }),
          }),
        );
        return output.SecretString;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }
    },
    async random(length) {
      const output = await client.send(
        new GetRandomPasswordCommand({ PasswordLength: length, ExcludePunctuation: true }),
      );
      if (output.RandomPassword === undefined) throw new Error('GetRandomPassword returned no password');
      return output.RandomPassword;
    },
    async putPending(secretId, versionId, text) {
      await client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: versionId,
          SecretString: text,
          VersionStages: ['AWSPENDING'],
        }),
      );
    },
    async promote(secretId, versionId, fromVersionId) {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: versionId,
          RemoveFromVersionId: fromVersionId,
        }),
      );
    },
  };
}

/**
 * A rotation handler over a given client: the deployed handler below, and the local stack's Lambda host
 * in tests, where the client points at the stack's Secrets Manager.
 */
export function rotationHandler(client: SecretsManagerClient): (event: RotationEvent) => Promise<void> {
  const store = secretsManagerStore(client);
  return (event) => rotateTaskTokenSecret(event, store);
}

let rotate: ((event: RotationEvent) => Promise<void>) | undefined;

/** The Lambda handler: one rotation step per invocation. */
export async function handler(event: RotationEvent): Promise<void> {
  rotate ??= rotationHandler(
    new SecretsManagerClient(clientConfig(awsEnvironmentFromEnv(), 'secretsmanager')),
  );
  await rotate(event);
}
