/**
 * The names of the AWS resources the runtime uses and the shape of its tables, in one place, so that the
 * bootstrap, the CDK app, the router and the CLI can never disagree about them. Every name can be
 * overridden from the environment (the CDK app sets them on the deployed router).
 */

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

/**
 * Engine index. Items (pk / sk):
 * - `ENGINE#name` / `VERSION#0000000042`: one immutable published version (s3 key, sha256, mode, match);
 * - `ENGINE#name` / `ALIAS#live`: the versions an alias points at, with weights;
 * - `ENGINE#name` / `META`: next version number, created / updated times;
 * - `QUARANTINE` / `time#shard#sequence`: the quarantine index (object key, reason, engine).
 * GSI1 (gsi1pk / gsi1sk) lists aliases across engines, so routes refresh in one Query.
 */
export const ENGINES_TABLE_SCHEMA: TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [{ indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
};

/**
 * Executions. Items (pk / sk):
 * - `EXEC#engine#dedupKey` / `EXEC`: the execution (status, version, lease, checkpoint, history);
 * GSI1 `due` (gsi1pk = `DUE#bucket`, gsi1sk = due time ISO + id): WAITING executions by due time, so the
 * sweep queries instead of scanning; GSI2 `byEngine` (gsi2pk = `ENGINE#name`, gsi2sk = start time):
 * listing executions per engine. `expiresAt` (epoch seconds) is the TTL attribute.
 */
export const EXECUTIONS_TABLE_SCHEMA: TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
  ttlAttribute: 'expiresAt',
};

/** ESM emulator checkpoints: pk = `stream#consumer#shardId`, holding the last checkpointed sequence number. */
export const ESM_TABLE_SCHEMA: TableSchema = {
  partitionKey: 'pk',
  indexes: [],
};

/** S3 key prefixes inside the bucket. */
export const BUCKET_PREFIXES = {
  engines: 'engines/',
  quarantine: 'quarantine/',
  failures: 'esm-failures/',
} as const;
