/**
 * The local Secrets Manager behind the edge (signing name `secretsmanager`, AWS JSON 1.1), with the few
 * operations the steps and their setup use: CreateSecret, PutSecretValue, GetSecretValue, DeleteSecret.
 * It exists so a step reads its connection secret locally exactly as deployed (`secretId` in its input),
 * not through a local-only path. A secret is found by name or by the ARN CreateSecret returned.
 *
 * ```
 * POST /  X-Amz-Target: secretsmanager.GetSecretValue  {"SecretId":"sftp/partner-drop"}
 *   -> {"ARN":"arn:aws:secretsmanager:us-east-1:000000000000:secret:sftp/partner-drop-a1B2c3", "SecretString":"..."}
 * ```
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { localArn } from '../arn.ts';
import { jsonSnapshot } from '../jsonSnapshot.ts';
import type { HostLog } from '../lambda/index.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator } from '../service.ts';

/** How the emulation is built. */
export interface SecretsManagerEmulatorOptions {
  readonly region?: string;
  /** Keeps the secrets in `DIR/state.json`; default in memory. */
  readonly dataDir?: string;
  readonly log?: HostLog;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  value: string;
  versionId: string;
  readonly createdDate: number;
}

type Json = Record<string, unknown>;

class SecretsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const TARGET_PREFIX = 'secretsmanager.';

function field(input: Json, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '')
    throw new SecretsError('InvalidParameterException', `${name} must be a non-empty string`);
  return value;
}

/** ARNs end in a random 6-character suffix, as Secrets Manager's do. */
function suffix(): string {
  return randomBytes(6).toString('base64url').slice(0, 6);
}

/**
 * Builds the emulation.
 *
 * @example
 * const stack = await startLocalStack({ port: 0, services: [createSecretsManagerEmulator()] });
 */
export function createSecretsManagerEmulator(
  options: SecretsManagerEmulatorOptions = {},
): ServiceEmulator & { ready(): Promise<void> } {
  const region = options.region ?? 'us-east-1';
  const log = options.log;
  const secrets = new Map<string, Secret>();
  const snapshot = jsonSnapshot<Secret[]>(
    options.dataDir === undefined ? undefined : join(options.dataDir, 'state.json'),
    () => [...secrets.values()],
    (error) => log?.error('secretsmanager: cannot write its snapshot', { error: String(error) }),
  );
  const loaded = snapshot.load().then((kept) => {
    for (const secret of kept ?? []) secrets.set(secret.name, secret);
  });
  const find = (id: string): Secret => {
    const secret = secrets.get(id) ?? [...secrets.values()].find((candidate) => candidate.arn === id);
    if (secret === undefined)
      throw new SecretsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const operations: Record<string, (input: Json) => Json> = {
    CreateSecret(input) {
      const name = field(input, 'Name');
      if (secrets.has(name))
        throw new SecretsError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      const secret: Secret = {
        name,
        arn: localArn('secretsmanager', region, `secret:${name}-${suffix()}`),
        value: field(input, 'SecretString'),
        versionId: randomUUID(),
        createdDate: Date.now() / 1000,
      };
      secrets.set(name, secret);
      snapshot.changed();
      return { ARN: secret.arn, Name: name, VersionId: secret.versionId };
    },
    PutSecretValue(input) {
      const secret = find(field(input, 'SecretId'));
      secret.value = field(input, 'SecretString');
      secret.versionId = randomUUID();
      snapshot.changed();
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
      };
    },
    GetSecretValue(input) {
      const secret = find(field(input, 'SecretId'));
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdDate,
      };
    },
    DeleteSecret(input) {
      const secret = find(field(input, 'SecretId'));
      secrets.delete(secret.name);
      snapshot.changed();
      return { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 };
    },
  };
  return {
    signingName: 'secretsmanager',
    ready: () => loaded,
    async handle(request: EdgeRequest): Promise<EdgeResponse> {
      try {
        await loaded;
        const target = request.headers['x-amz-target'] ?? '';
        const operation =
          operations[target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target];
        if (operation === undefined)
          throw new SecretsError('UnknownOperationException', `secretsmanager: '${target}' is not emulated`);
        const input: unknown = JSON.parse(request.body.toString('utf8') || '{}');
        if (typeof input !== 'object' || input === null || Array.isArray(input))
          throw new SecretsError('InvalidRequestException', 'the request body must be a JSON object');
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
          body: JSON.stringify(operation(input as Json)),
        };
      } catch (error) {
        const failure =
          error instanceof SecretsError
            ? error
            : error instanceof SyntaxError
              ? new SecretsError('InvalidRequestException', `the request body is not JSON: ${error.message}`)
              : new SecretsError(
                  'InternalServiceError',
                  error instanceof Error ? error.message : String(error),
                  500,
                );
        return {
          status: failure.status,
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-errortype': failure.type,
            'x-amzn-requestid': randomUUID(),
          },
          body: JSON.stringify({ __type: failure.type, message: failure.message }),
        };
      }
    },
    async close() {
      await loaded.catch(() => undefined);
      await snapshot.flush();
    },
  };
}
