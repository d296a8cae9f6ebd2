/**
 * The local Secrets Manager through the real `@aws-sdk/client-secrets-manager`: versions and staging
 * labels move as AWS moves them, errors come out as the SDK's own exceptions, GetRandomPassword honours
 * its options, and a stack with a data directory finds its secrets again after a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretsManagerEmulator } from '../../../localstack/secretsmanager/index.ts';
import { startLocalStack } from '../../../localstack/stack.ts';
import { clientConfig } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack({ services: [createSecretsManagerEmulator({ log: { info() {}, error() {} } })] });
const directories: string[] = [];

afterAll(async () => {
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

function client(): SecretsManagerClient {
  return new SecretsManagerClient(clientConfig(stack().aws, 'secretsmanager'));
}

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('local Secrets Manager', () => {
  it('moves AWSPREVIOUS onto the version AWSCURRENT leaves, by PutSecretValue and by UpdateSecretVersionStage', async () => {
    // Prepare
    const sm = client();
    const { ARN = '', VersionId: v1 = '' } = await sm.send(
      new CreateSecretCommand({
        Name: 'labels',
        SecretString: 'one',
        ClientRequestToken: 'v1-token-0000000000000000000000000',
      }),
    );
    // Act
    const { VersionId: v2 = '' } = await sm.send(
      new PutSecretValueCommand({ SecretId: ARN, SecretString: 'two' }),
    );
    await sm.send(
      new PutSecretValueCommand({
        SecretId: 'labels',
        SecretString: 'three',
        ClientRequestToken: 'v3',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const afterPut = (await sm.send(new DescribeSecretCommand({ SecretId: ARN }))).VersionIdsToStages;
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: ARN,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: 'v3',
        RemoveFromVersionId: v2,
      }),
    );
    const afterMove = (await sm.send(new DescribeSecretCommand({ SecretId: ARN }))).VersionIdsToStages;
    const previous = await sm.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }));
    const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: ARN }));
    const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: ARN, IncludeDeprecated: true }));
    sm.destroy();
    // Assess
    expect(v1).toBe('v1-token-0000000000000000000000000');
    expect(afterPut).toEqual({ [v1]: ['AWSPREVIOUS'], [v2]: ['AWSCURRENT'], v3: ['AWSPENDING'] });
    expect(afterMove).toEqual({ [v2]: ['AWSPREVIOUS'], v3: ['AWSCURRENT', 'AWSPENDING'] });
    expect(previous).toMatchObject({ SecretString: 'two', VersionId: v2, VersionStages: ['AWSPREVIOUS'] });
    expect(previous.CreatedDate).toBeInstanceOf(Date);
    // the first version lost its last label: deprecated, listed only on request
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([v2, 'v3']);
    expect(all.Versions?.map((v) => v.VersionId)).toEqual([v1, v2, 'v3']);
  });

  it('answers what AWS answers for a missing secret or label, a changed version and a label moved without its holder', async () => {
    // Prepare
    const sm = client();
    const { ARN = '', VersionId = '' } = await sm.send(
      new CreateSecretCommand({ Name: 'errors', SecretString: 'a' }),
    );
    // Act
    const missing = await rejection(sm.send(new GetSecretValueCommand({ SecretId: 'no-such-secret' })));
    const noPrevious = await rejection(
      sm.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' })),
    );
    const changed = await rejection(
      sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'b', ClientRequestToken: VersionId })),
    );
    const same = await sm.send(
      new PutSecretValueCommand({ SecretId: ARN, SecretString: 'a', ClientRequestToken: VersionId }),
    );
    const { VersionId: other = '' } = await sm.send(
      new PutSecretValueCommand({ SecretId: ARN, SecretString: 'c', VersionStages: ['AWSPENDING'] }),
    );
    const withoutHolder = await rejection(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: ARN,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: other,
        }),
      ),
    );
    const duplicate = await rejection(
      sm.send(new CreateSecretCommand({ Name: 'errors', SecretString: 'x' })),
    );
    sm.destroy();
    // Assess
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(noPrevious).toBeInstanceOf(ResourceNotFoundException);
    expect(String(noPrevious)).toContain('staging label: AWSPREVIOUS');
    expect(changed).toBeInstanceOf(ResourceExistsException);
    expect(same.VersionStages).toEqual(['AWSCURRENT']);
    expect(withoutHolder).toBeInstanceOf(InvalidParameterException);
    expect(String(withoutHolder)).toContain(`currently attached to version ${VersionId}`);
    expect(duplicate).toBeInstanceOf(ResourceExistsException);
  });

  it('draws random passwords of the asked length from the classes not excluded, each class present', async () => {
    // Prepare
    const sm = client();
    // Act
    const plain = await sm.send(
      new GetRandomPasswordCommand({ PasswordLength: 48, ExcludePunctuation: true }),
    );
    const digits = await sm.send(
      new GetRandomPasswordCommand({
        PasswordLength: 12,
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludePunctuation: true,
      }),
    );
    const mixed = await sm.send(
      new GetRandomPasswordCommand({ PasswordLength: 8, ExcludeCharacters: 'abc' }),
    );
    const none = await rejection(
      sm.send(
        new GetRandomPasswordCommand({
          ExcludeLowercase: true,
          ExcludeUppercase: true,
          ExcludeNumbers: true,
          ExcludePunctuation: true,
        }),
      ),
    );
    sm.destroy();
    // Assess
    expect(plain.RandomPassword).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(plain.RandomPassword).toMatch(/[a-z]/);
    expect(plain.RandomPassword).toMatch(/[A-Z]/);
    expect(plain.RandomPassword).toMatch(/[0-9]/);
    expect(digits.RandomPassword).toMatch(/^[0-9]{12}$/);
    expect(mixed.RandomPassword).toHaveLength(8);
    expect(mixed.RandomPassword).not.toMatch(/[abc]/);
    expect(mixed.RandomPassword).toMatch(/[^A-Za-z0-9]/);
    expect(none).toBeInstanceOf(InvalidParameterException);
  });

  it('keeps secrets, versions and labels in the data directory across a restart', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'router-secrets-'));
    directories.push(dir);
    const first = await startLocalStack({
      port: 0,
      services: [createSecretsManagerEmulator({ dataDir: dir })],
    });
    const before = new SecretsManagerClient(clientConfig(first.aws, 'secretsmanager'));
    const { ARN = '' } = await before.send(new CreateSecretCommand({ Name: 'kept', SecretString: 'one' }));
    await before.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'two' }));
    before.destroy();
    await first.stop();
    // Act
    const second = await startLocalStack({
      port: 0,
      services: [createSecretsManagerEmulator({ dataDir: dir })],
    });
    const after = new SecretsManagerClient(clientConfig(second.aws, 'secretsmanager'));
    const current = await after.send(new GetSecretValueCommand({ SecretId: ARN }));
    const previous = await after.send(
      new GetSecretValueCommand({ SecretId: 'kept', VersionStage: 'AWSPREVIOUS' }),
    );
    after.destroy();
    await second.stop();
    // Assess
    expect(current.SecretString).toBe('two');
    expect(previous.SecretString).toBe('one');
  });
});
