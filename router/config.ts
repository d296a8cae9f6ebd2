/**
 * The names of the AWS resources the runtime uses and the shape of its tables, in one place, so that the
 * bootstrap, the CDK app, the router and the CLI can never disagree about them. Every name can be
 * overridden from the environment (the CDK app sets them on the deployed router).
 */
import { ENGINES_ALLOWLIST } from '../engines/allowlist.ts';

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
  /** Partition keys processed at the same time within a batch (`ROUTER_CONCURRENCY`). */
  readonly concurrency: number;
  /** How long a finished execution (and so dedup) is kept, in seconds (`ROUTER_RETENTION_SECONDS`). */
  readonly retentionSeconds: number;
  /** Lease of a running execution, in ms (`ROUTER_LEASE_MS`); extended at each checkpoint. */
  readonly leaseMs: number;
  /** Longer waits end the invocation and resume from the sweep (`ROUTER_MAX_INPROCESS_WAIT_MS`). */
  readonly maxInProcessWaitMs: number;
  /** Largest accepted message in bytes (`ROUTER_MAX_RECORD_BYTES`). */
  readonly maxRecordBytes: number;
  /** How long alias pointers and routes are cached, in ms (`ROUTER_ALIAS_TTL_MS`). */
  readonly aliasTtlMs: number;
  /** Secret that makes callback task tokens unguessable (`ROUTER_TASK_TOKEN_SECRET`). */
  readonly taskTokenSecret: string;
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

/** Reads the router settings from the environment, with defaults for a laptop. */
export function routerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RouterSettings {
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
    concurrency: numberFrom(env, 'ROUTER_CONCURRENCY', 16, 1),
    retentionSeconds: numberFrom(env, 'ROUTER_RETENTION_SECONDS', 7 * 24 * 3600, 60),
    leaseMs: numberFrom(env, 'ROUTER_LEASE_MS', 60_000, 1000),
    maxInProcessWaitMs: numberFrom(env, 'ROUTER_MAX_INPROCESS_WAIT_MS', 5_000, 0),
    maxRecordBytes: numberFrom(env, 'ROUTER_MAX_RECORD_BYTES', 256 * 1024, 1024),
    aliasTtlMs: numberFrom(env, 'ROUTER_ALIAS_TTL_MS', 10_000, 0),
    taskTokenSecret: env.ROUTER_TASK_TOKEN_SECRET ?? 'local-task-token-secret',
    historyData: env.ROUTER_HISTORY_DATA === 'true',
    stage: env.ROUTER_STAGE ?? 'local',
  };
}
