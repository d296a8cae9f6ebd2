/**
 * The local Secrets Manager behind the edge (signing name `secretsmanager`, AWS JSON 1.1, `X-Amz-Target:
 * secretsmanager.GetSecretValue`), so the router's task-token secret and its rotation function run
 * against the real `@aws-sdk/client-secrets-manager` on a laptop. A secret is a set of versions; staging
 * labels point at versions, each label at one version at a time:
 *
 * ```
 * CreateSecret           v1 AWSCURRENT
 * RotateSecret           v1 AWSCURRENT   v2 AWSPENDING (no value yet) -> rotation function, four steps:
 *   createSecret         PutSecretValue(v2, AWSPENDING)               v2 gets its value
 *   setSecret, testSecret                                             (the function's own checks)
 *   finishSecret         UpdateSecretVersionStage(AWSCURRENT: v1 -> v2)
 *                        v1 AWSPREVIOUS  v2 AWSCURRENT                 AWSPENDING removed once all four succeed
 * ```
 *
 * Moving AWSCURRENT (by PutSecretValue or UpdateSecretVersionStage) puts AWSPREVIOUS on the version it
 * left, as Secrets Manager does. Operations: CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret,
 * UpdateSecretVersionStage, GetRandomPassword, RotateSecret, ListSecretVersionIds, DeleteSecret. The
 * rotation function is invoked through the stack's Lambda, step after step, after RotateSecret answers
 * (`idle()` waits for it); a step that fails ends the rotation with AWSPENDING left in place, as in AWS.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../../router/aws/index.ts';
import { localArn, parseArn } from '../arn.ts';
import { jsonSnapshot } from '../jsonSnapshot.ts';
import type { HostLog } from '../lambda/index.ts';
import { JsonProtocolError, requestFields } from '../requestFields.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator, StackContext } from '../service.ts';

/** A Secrets Manager API error: its `__type` and HTTP status. */
class SecretsError extends JsonProtocolError {
  override readonly name = 'SecretsError';
}

function invalidParameter(message: string): SecretsError {
  return new SecretsError('InvalidParameterException', message);
}

function invalidRequest(message: string): SecretsError {
  return new SecretsError('InvalidRequestException', message);
}

function notFound(message: string): SecretsError {
  return new SecretsError('ResourceNotFoundException', message);
}

interface Version {
  readonly id: string;
  /** Undefined for the version RotateSecret creates before the rotation function gives it a value. */
  string?: string;
  /** Base64, as the JSON protocol carries blobs. */
  binary?: string;
  readonly created: number;
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  description?: string;
  readonly created: number;
  changed: number;
  versions: Version[];
  /** Staging label -> version id. */
  stages: Record<string, string>;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: Record<string, unknown>;
  lastRotated?: number;
  deleted?: number;
}

interface SecretsSnapshot {
  readonly secrets: readonly Secret[];
}

/** How the emulation is built. */
export interface SecretsManagerEmulatorOptions {
  readonly region?: string;
  /** Keeps the secrets in `DIR/state.json`. */
  readonly dataDir?: string;
  readonly now?: () => number;
  readonly log?: HostLog;
}

/** The Secrets Manager emulation. */
export interface SecretsManagerEmulator extends ServiceEmulator {
  /** Resolves once every rotation started so far has run its steps (or stopped at a failing one). */
  idle(): Promise<void>;
}

type Json = Record<string, unknown>;

const TARGET_PREFIX = 'secretsmanager.';
const NAME = /^[\w/+=.@-]{1,512}$/;
const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';
const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

const defaultLog: HostLog = {
  info: (message, extra) =>
    console.info(JSON.stringify({ level: 'INFO', service: 'secretsmanager', message, ...extra })),
  error: (message, extra) =>
    console.error(JSON.stringify({ level: 'ERROR', service: 'secretsmanager', message, ...extra })),
};

/**
 * Builds the Secrets Manager emulation.
 *
 * @example
 * const secrets = createSecretsManagerEmulator();
 * const stack = await startLocalStack({ port: 0, services: [createLambdaHost(), secrets] });
 */
export function createSecretsManagerEmulator(
  options: SecretsManagerEmulatorOptions = {},
): SecretsManagerEmulator {
  return new SecretsManagerService(options);
}

class SecretsManagerService implements SecretsManagerEmulator {
  readonly signingName = 'secretsmanager';
  private readonly secrets = new Map<string, Secret>();
  private readonly region: string;
  private readonly now: () => number;
  private readonly log: HostLog;
  private readonly snapshot;
  private readonly loaded: Promise<void>;
  private readonly rotations = new Set<Promise<void>>();
  private lambda: LambdaClient | undefined;

  constructor(options: SecretsManagerEmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
    const file = options.dataDir === undefined ? undefined : join(options.dataDir, 'state.json');
    this.snapshot = jsonSnapshot<SecretsSnapshot>(
      file,
      () => ({ secrets: [...this.secrets.values()] }),
      (error) => this.log.error('cannot write the Secrets Manager snapshot', { file, error: String(error) }),
    );
    this.loaded = this.snapshot.load().then((state) => {
      for (const secret of state?.secrets ?? []) this.secrets.set(secret.name, secret);
    });
  }

  attach(context: StackContext): void {
    this.lambda = lambdaClient(context.aws);
  }

  async idle(): Promise<void> {
    while (this.rotations.size > 0) await Promise.allSettled([...this.rotations]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.loaded.catch(() => undefined);
    await this.snapshot.flush();
    this.lambda?.destroy();
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      await this.loaded;
      const target = request.headers['x-amz-target'] ?? '';
      const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      const output = this.run(action, parseBody(request.body));
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
        body: JSON.stringify(output),
      };
    } catch (error) {
      const failure =
        error instanceof SecretsError
          ? error
          : new SecretsError(
              'InternalServiceError',
              error instanceof Error ? error.message : String(error),
              500,
            );
      if (failure.status >= 500)
        this.log.error('Secrets Manager emulator failed on a request', { error: failure.message });
      return {
        status: failure.status,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': failure.type,
          'x-amzn-requestid': randomUUID(),
        },
        body: JSON.stringify({ __type: failure.type, Message: failure.message }),
      };
    }
  }

  private run(action: string, input: Json): Json {
    switch (action) {
      case 'CreateSecret':
        return this.create(input);
      case 'GetSecretValue':
        return this.getValue(input);
      case 'PutSecretValue':
        return this.putValue(input);
      case 'DescribeSecret':
        return this.describe(this.secret(input.SecretId));
      case 'UpdateSecretVersionStage':
        return this.updateStage(input);
      case 'GetRandomPassword':
        return { RandomPassword: randomPassword(input) };
      case 'RotateSecret':
        return this.rotate(input);
      case 'ListSecretVersionIds': {
        const secret = this.secret(input.SecretId);
        return {
          ARN: secret.arn,
          Name: secret.name,
          // Versions without a label are deprecated: listed only when asked for, as in AWS.
          Versions: secret.versions
            .filter((version) => input.IncludeDeprecated === true || labelsOf(secret, version.id).length > 0)
            .map((version) => ({
              VersionId: version.id,
              VersionStages: labelsOf(secret, version.id),
              CreatedDate: seconds(version.created),
            })),
        };
      }
      case 'DeleteSecret': {
        const secret = this.secret(input.SecretId);
        this.secrets.delete(secret.name);
        this.snapshot.changed();
        return { ARN: secret.arn, Name: secret.name, DeletionDate: seconds(this.now()) };
      }
      default:
        throw new SecretsError(
          'UnknownOperationException',
          `The local Secrets Manager does not implement '${action}'`,
        );
    }
  }

  /** The secret a `SecretId` names, by name or ARN. */
  private secret(id: unknown): Secret {
    if (typeof id !== 'string' || id === '') throw invalidParameter('SecretId is required');
    const name = id.startsWith('arn:') ? nameOfArn(id) : id;
    const secret = name === undefined ? undefined : this.secrets.get(name);
    if (secret === undefined || (id.startsWith('arn:') && secret.arn !== id))
      throw notFound("Secrets Manager can't find the specified secret.");
    return secret;
  }

  private create(input: Json): Json {
    const name = requiredString(input, 'Name');
    if (!NAME.test(name))
      throw invalidParameter(`Name '${name}' is not valid: 1 to 512 of letters, digits and /_+=.@-`);
    if (this.secrets.has(name))
      throw new SecretsError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    const value = secretValue(input);
    const now = this.now();
    const secret: Secret = {
      name,
      arn: localArn('secretsmanager', this.region, `secret:${name}-${suffix()}`),
      created: now,
      changed: now,
      versions: [],
      stages: {},
      rotationEnabled: false,
    };
    const description = optionalString(input, 'Description');
    if (description !== undefined) secret.description = description;
    let versionId: string | undefined;
    if (value !== undefined) {
      versionId = optionalString(input, 'ClientRequestToken') ?? randomUUID();
      secret.versions.push({ id: versionId, ...value, created: now });
      this.label(secret, CURRENT, versionId);
    }
    this.secrets.set(name, secret);
    this.snapshot.changed();
    return { ARN: secret.arn, Name: name, ...(versionId === undefined ? {} : { VersionId: versionId }) };
  }

  private getValue(input: Json): Json {
    const secret = this.secret(input.SecretId);
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage');
    let version: Version | undefined;
    if (versionId !== undefined) {
      version = secret.versions.find((v) => v.id === versionId);
      if (version === undefined || (stage !== undefined && secret.stages[stage] !== versionId))
        throw notFound(
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId}${stage === undefined ? '' : ` and staging label: ${stage}`}`,
        );
    } else {
      const label = stage ?? CURRENT;
      const id = secret.stages[label];
      version = secret.versions.find((v) => v.id === id);
      if (version === undefined)
        throw notFound(`Secrets Manager can't find the specified secret value for staging label: ${label}`);
    }
    if (version.string === undefined && version.binary === undefined)
      throw notFound(
        `Secrets Manager can't find the specified secret value for VersionId: ${version.id} (the version has no value yet)`,
      );
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.string === undefined ? {} : { SecretString: version.string }),
      ...(version.binary === undefined ? {} : { SecretBinary: version.binary }),
      VersionStages: labelsOf(secret, version.id),
      CreatedDate: seconds(version.created),
    };
  }

  private putValue(input: Json): Json {
    const secret = this.secret(input.SecretId);
    const value = secretValue(input);
    if (value === undefined) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const versionId = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    const stages = input.VersionStages === undefined ? [CURRENT] : stringList(input, 'VersionStages');
    const existing = secret.versions.find((v) => v.id === versionId);
    if (existing === undefined) {
      secret.versions.push({ id: versionId, ...value, created: this.now() });
    } else if (existing.string === undefined && existing.binary === undefined) {
      Object.assign(existing, value);
    } else if (existing.string !== value.string || existing.binary !== value.binary) {
      throw new SecretsError(
        'ResourceExistsException',
        `You can't modify an existing version, you can only create a new version. Version ${versionId} holds a different value.`,
      );
    }
    for (const stage of stages) this.label(secret, stage, versionId);
    secret.changed = this.now();
    this.snapshot.changed();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: versionId,
      VersionStages: labelsOf(secret, versionId),
    };
  }

  private describe(secret: Secret): Json {
    const versionIdsToStages: Record<string, string[]> = {};
    for (const version of secret.versions) {
      const labels = labelsOf(secret, version.id);
      if (labels.length > 0) versionIdsToStages[version.id] = labels;
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description === undefined ? {} : { Description: secret.description }),
      RotationEnabled: secret.rotationEnabled,
      ...(secret.rotationLambdaArn === undefined ? {} : { RotationLambdaARN: secret.rotationLambdaArn }),
      ...(secret.rotationRules === undefined ? {} : { RotationRules: secret.rotationRules }),
      ...(secret.lastRotated === undefined ? {} : { LastRotatedDate: seconds(secret.lastRotated) }),
      LastChangedDate: seconds(secret.changed),
      CreatedDate: seconds(secret.created),
      VersionIdsToStages: versionIdsToStages,
    };
  }

  private updateStage(input: Json): Json {
    const secret = this.secret(input.SecretId);
    const stage = requiredString(input, 'VersionStage');
    const moveTo = optionalString(input, 'MoveToVersionId');
    const removeFrom = optionalString(input, 'RemoveFromVersionId');
    const holder = secret.stages[stage];
    for (const id of [moveTo, removeFrom]) {
      if (id !== undefined && !secret.versions.some((v) => v.id === id))
        throw notFound(`Secrets Manager can't find the specified secret version: ${id}`);
    }
    if (holder !== undefined && holder !== moveTo && removeFrom !== holder)
      throw invalidParameter(
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    if (removeFrom !== undefined && holder !== removeFrom)
      throw invalidParameter(`Staging label ${stage} is not attached to version ${removeFrom}.`);
    if (moveTo === undefined) {
      if (stage === CURRENT)
        throw invalidParameter('You can only move staging label AWSCURRENT, not remove it.');
      delete secret.stages[stage];
    } else {
      this.label(secret, stage, moveTo);
    }
    secret.changed = this.now();
    this.snapshot.changed();
    return { ARN: secret.arn, Name: secret.name };
  }

  /** Puts `stage` on `versionId`; AWSCURRENT leaving a version leaves AWSPREVIOUS there. */
  private label(secret: Secret, stage: string, versionId: string): void {
    const from = secret.stages[stage];
    secret.stages[stage] = versionId;
    if (stage === CURRENT && from !== undefined && from !== versionId) secret.stages[PREVIOUS] = from;
  }

  private rotate(input: Json): Json {
    const secret = this.secret(input.SecretId);
    const lambdaArn = optionalString(input, 'RotationLambdaARN') ?? secret.rotationLambdaArn;
    if (lambdaArn === undefined)
      throw invalidRequest('No Lambda rotation function ARN is associated with this secret.');
    const pending = secret.stages[PENDING];
    if (pending !== undefined && pending !== secret.stages[CURRENT])
      throw invalidRequest(
        `A previous rotation isn't complete. That rotation will be reattempted. (version ${pending} is still AWSPENDING)`,
      );
    secret.rotationEnabled = true;
    secret.rotationLambdaArn = lambdaArn;
    const rules = input.RotationRules;
    if (isObject(rules)) secret.rotationRules = rules;
    this.snapshot.changed();
    if (input.RotateImmediately === false) return { ARN: secret.arn, Name: secret.name };
    const versionId = optionalString(input, 'ClientRequestToken') ?? randomUUID();
    if (secret.versions.some((v) => v.id === versionId))
      throw new SecretsError('ResourceExistsException', `Version ${versionId} already exists.`);
    secret.versions.push({ id: versionId, created: this.now() });
    secret.stages[PENDING] = versionId;
    const rotation = this.runRotation(secret, lambdaArn, versionId).finally(() => {
      this.rotations.delete(rotation);
    });
    this.rotations.add(rotation);
    return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
  }

  /** Invokes the rotation function once per step, in order; stops at the first step that fails. */
  private async runRotation(secret: Secret, lambdaArn: string, versionId: string): Promise<void> {
    const lambda = this.lambda;
    if (lambda === undefined) {
      this.log.error('rotation not run: the emulator is not attached to a stack with Lambda', {
        secret: secret.arn,
      });
      return;
    }
    for (const step of ROTATION_STEPS) {
      let failure: string | undefined;
      try {
        const output = await lambda.send(
          new InvokeCommand({
            FunctionName: lambdaArn,
            Payload: Buffer.from(
              JSON.stringify({ Step: step, SecretId: secret.arn, ClientRequestToken: versionId }),
            ),
          }),
        );
        if (output.FunctionError !== undefined)
          failure = `${output.FunctionError}: ${Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8')}`;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      if (failure !== undefined) {
        this.log.error('rotation step failed; the version stays AWSPENDING', {
          secret: secret.arn,
          step,
          versionId,
          error: failure,
        });
        return;
      }
    }
    if (secret.stages[CURRENT] !== versionId) {
      this.log.error('rotation ended without moving AWSCURRENT to the new version', {
        secret: secret.arn,
        versionId,
      });
      return;
    }
    if (secret.stages[PENDING] === versionId) delete secret.stages[PENDING];
    secret.lastRotated = this.now();
    this.snapshot.changed();
    this.log.info('secret rotated', { secret: secret.arn, versionId });
  }
}

/** The labels on a version, AWSCURRENT first. */
function labelsOf(secret: Secret, versionId: string): string[] {
  return Object.entries(secret.stages)
    .filter(([, id]) => id === versionId)
    .map(([stage]) => stage)
    .sort((a, b) => (a === CURRENT ? -1 : b === CURRENT ? 1 : a.localeCompare(b)));
}

function nameOfArn(arn: string): string | undefined {
  const resource = parseArn(arn)?.resource;
  if (resource === undefined || !resource.startsWith('secret:')) return undefined;
  // The ARN ends in a hyphen and six random characters Secrets Manager adds to the name.
  return resource.slice('secret:'.length).replace(/-[A-Za-z0-9]{6}$/, '');
}

function suffix(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(6), (byte) => alphabet[byte % alphabet.length]).join('');
}

/** Epoch seconds: how the JSON protocol carries timestamps. */
function seconds(ms: number): number {
  return ms / 1000;
}

/** The value a request carries (SecretString or SecretBinary, not both); undefined when it carries none. */
function secretValue(input: Json): { string?: string; binary?: string } | undefined {
  const text = optionalString(input, 'SecretString');
  const binary = optionalString(input, 'SecretBinary');
  if (text !== undefined && binary !== undefined)
    throw invalidParameter('You can specify either SecretString or SecretBinary, but not both.');
  if (text !== undefined) return { string: text };
  if (binary !== undefined) return { binary };
  return undefined;
}

/** GetRandomPassword: the classes not excluded, each at least once when RequireEachIncludedType. */
function randomPassword(input: Json): string {
  const length = input.PasswordLength === undefined ? 32 : Number(input.PasswordLength);
  if (!Number.isInteger(length) || length < 1 || length > 4096)
    throw invalidParameter(
      `PasswordLength must be an integer from 1 to 4096, got ${String(input.PasswordLength)}`,
    );
  const exclude = new Set(optionalString(input, 'ExcludeCharacters') ?? '');
  const classes = [
    input.ExcludeLowercase === true ? '' : 'abcdefghijklmnopqrstuvwxyz',
    input.ExcludeUppercase === true ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    input.ExcludeNumbers === true ? '' : '0123456789',
    input.ExcludePunctuation === true ? '' : PUNCTUATION,
    input.IncludeSpace === true ? ' ' : '',
  ]
    .map((chars) => [...chars].filter((c) => !exclude.has(c)).join(''))
    .filter((chars) => chars !== '');
  if (classes.length === 0) throw invalidParameter('The password request excludes every character.');
  const all = classes.join('');
  const chars = Array.from({ length }, () => all[randomInt(all.length)] ?? '');
  if (input.RequireEachIncludedType !== false && length >= classes.length) {
    // One position per class, drawn without repeats, so every class appears.
    const positions = [...Array(length).keys()];
    for (const chosen of classes) {
      const at = positions.splice(randomInt(positions.length), 1)[0] ?? 0;
      chars[at] = chosen[randomInt(chosen.length)] ?? '';
    }
  }
  return chars.join('');
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBody(body: Buffer): Json {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new SecretsError(
      'SerializationException',
      `The request body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isObject(parsed))
    throw new SecretsError('SerializationException', 'The request body must be a JSON object');
  return parsed;
}

const { optionalString, requiredString, stringList } = requestFields(invalidParameter);
