/**
 * The names of the AWS resources the runtime uses and the shape of its tables, in one place, so that the
 * bootstrap, the CDK app, the router and the CLI can never disagree about them. Every name can be
 * overridden from the environment (the CDK app sets them on the deployed router).
 */
import { randomBytes } from 'node:crypto';
import { ENGINES_ALLOWLIST } from '../engines/allowlist.ts';
import { InputError } from './errors.ts';

/** Resource names for one deployment (one stage). */
export interface ResourceNames {
  /** The Kinesis stream the router consumes and producers put on. */
  readonly stream: string;
  /** Engine index: versions, aliases, routes, quarantine index. */
  readonly enginesTable: string;
  /** One item per execution (dedup claim, checkpoint, history), plus due-timer and listing indexes. */
  readonly executionsTable: string;
  /** Engine graphs (`engines/NAME/VERSION.hjson`), quarantined records, on-failure records. */
  readonly bucket: string;
  /** Per-shard checkpoints of the local event source mapping emulator (not deployed to AWS). */
  readonly esmTable: string;
}

/** Default names, used locally and overridable per variable. */
export const DEFAULT_RESOURCE_NAMES: ResourceNames = {
  stream: 'router-events',
  enginesTable: 'router-engines',
  executionsTable: 'router-executions',
  bucket: 'router-engines',
  esmTable: 'router-esm-checkpoints',
};

/** Reads the resource names from `ROUTER_STREAM`, `ROUTER_ENGINES_TABLE`, ... falling back to the defaults. */
export function resourceNamesFromEnv(env: NodeJS.ProcessEnv = process.env): ResourceNames {
  return {
    stream: env.ROUTER_STREAM || DEFAULT_RESOURCE_NAMES.stream,
    enginesTable: env.ROUTER_ENGINES_TABLE || DEFAULT_RESOURCE_NAMES.enginesTable,
    executionsTable: env.ROUTER_EXECUTIONS_TABLE || DEFAULT_RESOURCE_NAMES.executionsTable,
    bucket: env.ROUTER_BUCKET || DEFAULT_RESOURCE_NAMES.bucket,
    esmTable: env.ROUTER_ESM_TABLE || DEFAULT_RESOURCE_NAMES.esmTable,
  };
}

/** A DynamoDB key or index attribute: every key attribute of every table is a string. */
export interface KeySchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

/** A global secondary index, projected ALL. */
export interface IndexSchema extends KeySchema {
  readonly indexName: string;
}

/** Physical schema of one table, shared by the bootstrap (SDK) and the CDK app. */
export interface TableSchema extends KeySchema {
  readonly indexes: readonly IndexSchema[];
  /** Attribute holding the epoch-seconds expiry (DynamoDB TTL); also checked on read. */
  readonly ttlAttribute?: string;
}

/** S3 key prefixes inside the bucket. */
export const BUCKET_PREFIXES = {
  engines: 'engines/',
  quarantine: 'quarantine/',
  failures: 'esm-failures/',
  /** Large values of running and waiting executions (see `router/executions/payloads.ts`). */
  payloadsLive: 'payloads/live/',
  /** Large values of finished executions: expire them after the executions' retention. */
  payloadsDone: 'payloads/done/',
} as const;

/** How the router behaves; every field can be set from the environment of the deployed function. */
export interface RouterSettings {
  /** Task resources graphs may call (`ROUTER_RESOURCE_ALLOWLIST`, comma-separated ARN globs). */
  readonly allowlist: readonly string[];
  /** Retryable failures of one message before it is quarantined (`ROUTER_MAX_ATTEMPTS`). */
  readonly maxAttempts: number;
  /**
   * Partition keys processed at the same time within a batch (`ROUTER_CONCURRENCY`, default 64). More
   * keys in flight hide the store's round trips and fill its bulk requests; each key in flight may run
   * a step, so this also bounds the step invocations one router has in flight.
   */
  readonly concurrency: number;
  /** How long a finished execution (and so dedup) is kept, in seconds (`ROUTER_RETENTION_SECONDS`). */
  readonly retentionSeconds: number;
  /** Lease of a running execution, in ms (`ROUTER_LEASE_MS`); extended at each checkpoint. */
  readonly leaseMs: number;
  /**
   * Longest time a standard execution runs without writing its state, in ms (`ROUTER_CHECKPOINT_AFTER_MS`,
   * default 10,000; at most half the lease). Shorter: less re-run after a crash; longer: fewer writes.
   */
  readonly checkpointAfterMs: number;
  /** Longer waits end the invocation and resume from the sweep (`ROUTER_MAX_INPROCESS_WAIT_MS`). */
  readonly maxInProcessWaitMs: number;
  /** Largest accepted message in bytes (`ROUTER_MAX_RECORD_BYTES`). */
  readonly maxRecordBytes: number;
  /** How long alias pointers and routes are cached, in ms (`ROUTER_ALIAS_TTL_MS`). */
  readonly aliasTtlMs: number;
  /** Most compiled engine versions kept in memory (`ROUTER_ENGINE_CACHE_VERSIONS`, default 1,000). */
  readonly engineCacheVersions: number;
  /**
   * Most memory the kept versions take, in bytes (`ROUTER_ENGINE_CACHE_MIB`, in MiB, default 256); a
   * compiled version is charged four times its source.
   */
  readonly engineCacheBytes: number;
  /**
   * Signs new callback task tokens and is the first one tried when a callback comes back
   * (`ROUTER_TASK_TOKEN_SECRET`, or AWSCURRENT of `ROUTER_TASK_TOKEN_SECRET_ARN`).
   */
  readonly taskTokenSecret: string;
  /**
   * Older secrets whose tokens are still accepted, never used to sign (`ROUTER_TASK_TOKEN_PREVIOUS_SECRETS`,
   * or AWSPREVIOUS of `ROUTER_TASK_TOKEN_SECRET_ARN`): a rotation leaves waiting executions answerable.
   */
  readonly previousTaskTokenSecrets: readonly string[];
  /** Keep states' input and output in execution histories (`ROUTER_HISTORY_DATA=true`); off by default. */
  readonly historyData: boolean;
  /** Deployment stage name, for logs and metrics (`ROUTER_STAGE`). */
  readonly stage: string;
}

/**
 * The allowlist when `ROUTER_RESOURCE_ALLOWLIST` is unset: what the shipped engines call
 * (`engines/allowlist.ts`), so they publish and run anywhere without further settings, plus the callback
 * form of the Lambda integration they already may call. Any other SDK action must be listed explicitly.
 */
export const DEFAULT_ALLOWLIST: readonly string[] = [
  ...ENGINES_ALLOWLIST,
  'arn:aws:states:::lambda:invoke.waitForTaskToken',
];

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${name}=${raw}: expected a number of at least ${min}`);
  }
  return value;
}

/**
 * Reads the router settings from the environment, with defaults for a laptop. `taskTokens` are the
 * secrets the router's cold start read (from Secrets Manager); without them the environment's own
 * (`ROUTER_TASK_TOKEN_SECRET`) are used, see {@link taskTokenSecretsFromEnv}.
 */
export function routerSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  taskTokens: TaskTokenSecrets = taskTokenSecretsFromEnv(env),
): RouterSettings {
  const allow = env.ROUTER_RESOURCE_ALLOWLIST;
  return {
    allowlist:
      allow === undefined || allow.trim() === ''
        ? DEFAULT_ALLOWLIST
        : allow
            .split(',')
            .map((p) => p.trim())
            .filter((p) => p !== ''),
    maxAttempts: numberFrom(env, 'ROUTER_MAX_ATTEMPTS', 5, 1),
    concurrency: numberFrom(env, 'ROUTER_CONCURRENCY', 64, 1),
    retentionSeconds: numberFrom(env, 'ROUTER_RETENTION_SECONDS', 7 * 24 * 3600, 60),
    leaseMs: numberFrom(env, 'ROUTER_LEASE_MS', 60_000, 1000),
    checkpointAfterMs: numberFrom(env, 'ROUTER_CHECKPOINT_AFTER_MS', 10_000, 0),
    maxInProcessWaitMs: numberFrom(env, 'ROUTER_MAX_INPROCESS_WAIT_MS', 5_000, 0),
    maxRecordBytes: numberFrom(env, 'ROUTER_MAX_RECORD_BYTES', 256 * 1024, 1024),
    aliasTtlMs: numberFrom(env, 'ROUTER_ALIAS_TTL_MS', 10_000, 0),
    engineCacheVersions: numberFrom(env, 'ROUTER_ENGINE_CACHE_VERSIONS', 1_000, 1),
    engineCacheBytes: numberFrom(env, 'ROUTER_ENGINE_CACHE_MIB', 256, 1) * 1024 * 1024,
    taskTokenSecret: taskTokens.current,
    previousTaskTokenSecrets: taskTokens.previous,
    historyData: env.ROUTER_HISTORY_DATA === 'true',
    stage: stageFromEnv(env),
  };
}

/** The stage of the embedded local stack and of tests: the only stage with a built-in task-token secret. */
export const LOCAL_STAGE = 'local';

/**
 * The built-in task-token secret of the local stage. Everyone knows it, so it protects nothing: no
 * other stage may fall back to it.
 */
const LOCAL_TASK_TOKEN_SECRET = 'local-task-token-secret';

/**
 * Shortest task-token secret accepted outside the local stage. Every step that waits for a callback
 * holds a token, that is a message and its MAC, so a short secret could be found by trying keys offline.
 */
export const TASK_TOKEN_SECRET_MIN_LENGTH = 32;

/** Length of the secrets the CDK app generates and its rotation function draws (letters and digits). */
export const TASK_TOKEN_SECRET_LENGTH = 48;

/** The secrets that sign (current) and still verify (previous) callback task tokens. */
export interface TaskTokenSecrets {
  readonly current: string;
  readonly previous: readonly string[];
}

/**
 * Where the router's task-token secrets come from: the environment itself, or a Secrets Manager secret
 * whose AWSCURRENT and AWSPREVIOUS versions the router reads at cold start.
 */
export type TaskTokenSecretSource =
  | { readonly kind: 'environment'; readonly secrets: TaskTokenSecrets }
  | { readonly kind: 'secrets-manager'; readonly arn: string };

/** A setting that is missing or malformed; `setting` names the environment variable to fix. */
export class SettingError extends InputError {
  override readonly name = 'SettingError';
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.setting = setting;
  }
}

function stageFromEnv(env: NodeJS.ProcessEnv): string {
  return env.ROUTER_STAGE ?? LOCAL_STAGE;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Decides where the task-token secrets come from, refusing what would let a record forge a callback:
 * outside the local stage (`ROUTER_STAGE`) a secret must be configured, either
 * `ROUTER_TASK_TOKEN_SECRET_ARN` (what the CDK app sets) or `ROUTER_TASK_TOKEN_SECRET`, and must be at
 * least {@link TASK_TOKEN_SECRET_MIN_LENGTH} characters. Only the local stage falls back to a built-in one.
 *
 * @example
 * taskTokenSecretSourceFromEnv({ ROUTER_STAGE: 'prod' });
 * // throws SettingError: ROUTER_TASK_TOKEN_SECRET_ARN is not set: stage 'prod' (ROUTER_STAGE) has no task-token secret ...
 */
export function taskTokenSecretSourceFromEnv(env: NodeJS.ProcessEnv = process.env): TaskTokenSecretSource {
  const stage = stageFromEnv(env);
  const arn = nonEmpty(env.ROUTER_TASK_TOKEN_SECRET_ARN);
  const secret = nonEmpty(env.ROUTER_TASK_TOKEN_SECRET);
  const previousText = nonEmpty(env.ROUTER_TASK_TOKEN_PREVIOUS_SECRETS);
  const previous =
    previousText === undefined
      ? []
      : previousText
          .split(',')
          .map((entry) => entry.trim())
          .filter((entry) => entry !== '');
  if (arn !== undefined) {
    if (secret !== undefined) {
      throw new SettingError(
        'ROUTER_TASK_TOKEN_SECRET',
        'ROUTER_TASK_TOKEN_SECRET and ROUTER_TASK_TOKEN_SECRET_ARN are both set: set only one, so there is one source of truth for the task-token secret',
      );
    }
    if (previousText !== undefined) {
      throw new SettingError(
        'ROUTER_TASK_TOKEN_PREVIOUS_SECRETS',
        'ROUTER_TASK_TOKEN_PREVIOUS_SECRETS goes with ROUTER_TASK_TOKEN_SECRET; with ROUTER_TASK_TOKEN_SECRET_ARN the previous secret is the AWSPREVIOUS version of that secret',
      );
    }
    if (!/^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(arn)) {
      throw new SettingError(
        'ROUTER_TASK_TOKEN_SECRET_ARN',
        `ROUTER_TASK_TOKEN_SECRET_ARN=${arn}: expected a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)`,
      );
    }
    return { kind: 'secrets-manager', arn };
  }
  if (secret === undefined) {
    if (previousText !== undefined) {
      throw new SettingError(
        'ROUTER_TASK_TOKEN_SECRET',
        'ROUTER_TASK_TOKEN_PREVIOUS_SECRETS is set without ROUTER_TASK_TOKEN_SECRET: set the current secret too',
      );
    }
    if (stage === LOCAL_STAGE) {
      return { kind: 'environment', secrets: { current: LOCAL_TASK_TOKEN_SECRET, previous: [] } };
    }
    throw new SettingError(
      'ROUTER_TASK_TOKEN_SECRET_ARN',
      `ROUTER_TASK_TOKEN_SECRET_ARN is not set: stage '${stage}' (ROUTER_STAGE) has no task-token secret, and only the '${LOCAL_STAGE}' stage may use the built-in one, which anyone can sign callbacks with; set ROUTER_TASK_TOKEN_SECRET_ARN to a Secrets Manager secret (the CDK app does) or ROUTER_TASK_TOKEN_SECRET to a random string of at least ${TASK_TOKEN_SECRET_MIN_LENGTH} characters`,
    );
  }
  if (stage !== LOCAL_STAGE) {
    for (const [name, value] of [
      ['ROUTER_TASK_TOKEN_SECRET', secret],
      ...previous.map((entry) => ['ROUTER_TASK_TOKEN_PREVIOUS_SECRETS', entry] as const),
    ] as const) {
      if (value.length < TASK_TOKEN_SECRET_MIN_LENGTH) {
        throw new SettingError(
          name,
          `${name}: a secret of ${value.length} characters is too short for stage '${stage}' (ROUTER_STAGE); use a random string of at least ${TASK_TOKEN_SECRET_MIN_LENGTH} characters`,
        );
      }
    }
  }
  return { kind: 'environment', secrets: { current: secret, previous } };
}

/**
 * The task-token secrets a process can know without calling AWS, for everything that reads settings
 * synchronously (the CLI, the local stack, tests). When the environment holds no usable secret (it names a
 * Secrets Manager secret, or it is a stage other than local with none), the process gets a random secret
 * of its own: tokens it signed would be accepted by nobody else, and nothing it accepts can be forged.
 * The deployed router never runs on that: its cold start (`loadRouterDeps`) refuses such an environment.
 */
export function taskTokenSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): TaskTokenSecrets {
  let source: TaskTokenSecretSource | undefined;
  try {
    source = taskTokenSecretSourceFromEnv(env);
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
  }
  if (source?.kind === 'environment') return source.secrets;
  return { current: randomBytes(32).toString('base64url'), previous: [] };
}
