/**
 * The Secrets Manager side of {@link SecretVersionReader}: one GetSecretValue by staging label. Kept this
 * thin on purpose (no rules, nothing to test without AWS); `readTaskTokenSecrets` holds the rules. Only
 * imported dynamically, through `lazySecretsManagerReader`, so the SDK client is initialised only by a
 * router that names a secret ARN.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretVersionReader } from './readTaskTokenSecrets.ts';

/**
 * Reads secret versions by staging label, all through one client. Takes the client configuration
 * rather than building it: importing `aws/clients.ts` from a lazily loaded module would make the bundler
 * keep every command of the other clients.
 */
export function secretsManagerReader(config: Readonly<Record<string, unknown>>): SecretVersionReader {
  const client = new SecretsManagerClient({ ...config });
  return async (arn, stage) => {
    try {
      const output = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
      return { versionId: output.VersionId ?? stage, text: output.SecretString };
    } catch (error) {
      // What Secrets Manager answers when no version carries the label (AWSPREVIOUS before a rotation).
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
}
