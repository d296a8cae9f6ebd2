/**
 * Creates the resources the runtime needs (stream, tables, bucket) from the schemas in
 * `router/config.ts`, idempotently, through the ordinary SDK clients. The same code provisions the
 * embedded stack, a real LocalStack (its ready.d hook runs it) or an AWS account for a quick trial, so
 * the three never drift apart; the CDK app builds the same shapes for real deployments.
 */

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  StreamStatus,
} from '@aws-sdk/client-kinesis';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  type AwsEnvironment,
  awsEnvironmentFromEnv,
  dynamoDbClient,
  isLocalEndpoint,
  kinesisClient,
  s3Client,
} from '../router/aws/index.ts';
import {
  type KeySchema,
  type ResourceNames,
  resourceNamesFromEnv,
  type TableSchema,
} from '../router/config.ts';
import { EXECUTIONS_TABLE_SCHEMA } from '../router/executions/index.ts';
import { ENGINES_TABLE_SCHEMA } from '../router/registry/index.ts';
import { ESM_TABLE_SCHEMA } from './esm/DynamoDBCheckpointStore.ts';

/** Options of {@link bootstrap}. */
export interface BootstrapOptions {
  /** Where to create the resources. Default: from the environment (`AWS_ENDPOINT_URL`, ...). */
  readonly aws?: AwsEnvironment;
  /** Resource names. Default: from the environment (`ROUTER_STREAM`, ...). */
  readonly names?: ResourceNames;
  /** Shards of a newly created stream. Default 2. An existing stream is left as it is. */
  readonly shards?: number;
  /** Also create what only the local stack uses (the ESM checkpoint table). Default: the endpoint is local. */
  readonly local?: boolean;
  /** One line per resource created, found or skipped. Default: silent. */
  readonly log?: (line: string) => void;
  /** Longest wait for a stream or table to become ACTIVE. Default 5 minutes (AWS takes tens of seconds). */
  readonly timeoutMs?: number;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

async function until<T>(what: string, timeoutMs: number, poll: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`bootstrap: ${what} did not become ACTIVE within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}

function keyElements(key: KeySchema): KeySchemaElement[] {
  const elements: KeySchemaElement[] = [{ AttributeName: key.partitionKey, KeyType: 'HASH' }];
  if (key.sortKey !== undefined) elements.push({ AttributeName: key.sortKey, KeyType: 'RANGE' });
  return elements;
}

/**
 * The CreateTable request for a table schema: on-demand billing, every key attribute a string, every
 * GSI projecting ALL. Exported so tests create throwaway tables of the real shape.
 */
export function createTableInput(tableName: string, schema: TableSchema): CreateTableCommandInput {
  const attributes = new Set<string>();
  for (const key of [schema, ...schema.indexes]) {
    attributes.add(key.partitionKey);
    if (key.sortKey !== undefined) attributes.add(key.sortKey);
  }
  const definitions: AttributeDefinition[] = [...attributes].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: definitions,
    KeySchema: keyElements(schema),
  };
  if (schema.indexes.length > 0) {
    input.GlobalSecondaryIndexes = schema.indexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keyElements(index),
      Projection: { ProjectionType: 'ALL' },
    }));
  }
  return input;
}

function describeKey(elements: readonly KeySchemaElement[] | undefined): string {
  return (elements ?? [])
    .map((element) => `${element.AttributeName ?? '?'} ${element.KeyType ?? '?'}`)
    .join(', ');
}

/** Why an existing table does not have the schema's keys and indexes; undefined when it does. */
export function schemaMismatch(table: TableDescription, schema: TableSchema): string | undefined {
  const wanted = describeKey(keyElements(schema));
  const actual = describeKey(table.KeySchema);
  if (wanted !== actual) return `its key is (${actual}), the schema's is (${wanted})`;
  const indexes = new Map((table.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index]));
  for (const index of schema.indexes) {
    const found = indexes.get(index.indexName);
    if (found === undefined) return `it has no index ${index.indexName}`;
    const indexWanted = describeKey(keyElements(index));
    const indexActual = describeKey(found.KeySchema);
    if (indexWanted !== indexActual) {
      return `its index ${index.indexName} is keyed (${indexActual}), the schema's is (${indexWanted})`;
    }
  }
  return undefined;
}

/**
 * Creates a table from its schema unless it exists (then checks its keys and indexes match), waits until
 * it and its indexes are ACTIVE, and enables TTL when the schema names a TTL attribute (an emulator without TTL gets a one-line notice).
 *
 * @returns whether the table was created now or already existed.
 */
export async function ensureTable(
  dynamodb: DynamoDBClient,
  tableName: string,
  schema: TableSchema,
  options: { readonly log?: (line: string) => void; readonly timeoutMs?: number } = {},
): Promise<'created' | 'exists'> {
  const log = options.log ?? (() => {});
  let outcome: 'created' | 'exists' = 'created';
  try {
    await dynamodb.send(new CreateTableCommand(createTableInput(tableName, schema)));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') {
      throw new Error(`bootstrap: cannot create table ${tableName}: ${String(error)}`, { cause: error });
    }
    outcome = 'exists';
  }
  const table = await until(`table ${tableName}`, options.timeoutMs ?? 300_000, async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === 'ACTIVE',
    );
    return Table?.TableStatus === 'ACTIVE' && indexesActive ? Table : undefined;
  });
  if (outcome === 'exists') {
    const problem = schemaMismatch(table, schema);
    if (problem !== undefined) {
      throw new Error(
        `bootstrap: table ${tableName} exists with another shape: ${problem}; delete it or rename it`,
      );
    }
  }
  log(`table ${tableName}: ${outcome}`);
  if (schema.ttlAttribute !== undefined)
    await ensureTimeToLive(dynamodb, tableName, schema.ttlAttribute, log);
  return outcome;
}

/** Enables TTL on `attribute`; tolerates emulators that cannot (dynalite), since reads check expiry too. */
export async function ensureTimeToLive(
  dynamodb: DynamoDBClient,
  tableName: string,
  attribute: string,
  log: (line: string) => void = () => {},
): Promise<void> {
  try {
    const { TimeToLiveDescription } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    const status = TimeToLiveDescription?.TimeToLiveStatus;
    if (
      (status === 'ENABLED' || status === 'ENABLING') &&
      TimeToLiveDescription?.AttributeName === attribute
    ) {
      log(`table ${tableName}: TTL on ${attribute} already enabled`);
      return;
    }
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
    log(`table ${tableName}: TTL enabled on ${attribute}`);
  } catch (error) {
    if (errorName(error) !== 'UnknownOperationException') {
      throw new Error(`bootstrap: cannot enable TTL on ${tableName}.${attribute}: ${String(error)}`, {
        cause: error,
      });
    }
    log(`table ${tableName}: this DynamoDB has no TTL; expired items are skipped on read instead`);
  }
}

/** Creates the stream unless it exists, and waits until it is ACTIVE. */
export async function ensureStream(
  kinesis: KinesisClient,
  streamName: string,
  shards: number,
  options: { readonly log?: (line: string) => void; readonly timeoutMs?: number } = {},
): Promise<'created' | 'exists'> {
  if (!Number.isInteger(shards) || shards < 1) {
    throw new Error(`bootstrap: shards must be a positive integer, got ${shards}`);
  }
  let outcome: 'created' | 'exists' = 'created';
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') {
      throw new Error(`bootstrap: cannot create stream ${streamName}: ${String(error)}`, { cause: error });
    }
    outcome = 'exists';
  }
  const open = await until(`stream ${streamName}`, options.timeoutMs ?? 300_000, async () => {
    const { StreamDescriptionSummary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    return StreamDescriptionSummary?.StreamStatus === StreamStatus.ACTIVE
      ? (StreamDescriptionSummary.OpenShardCount ?? shards)
      : undefined;
  });
  options.log?.(`stream ${streamName}: ${outcome} (${open} open shards)`);
  return outcome;
}

/** Creates the bucket unless it exists (and is ours). */
export async function ensureBucket(
  s3: S3Client,
  bucket: string,
  region: string,
  log: (line: string) => void = () => {},
): Promise<'created' | 'exists'> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    log(`bucket ${bucket}: exists`);
    return 'exists';
  } catch (error) {
    if (errorName(error) !== 'NotFound' && errorName(error) !== 'NoSuchBucket') {
      throw new Error(`bootstrap: cannot reach bucket ${bucket}: ${String(error)}`, { cause: error });
    }
  }
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
  } catch (error) {
    if (errorName(error) !== 'BucketAlreadyOwnedByYou') {
      throw new Error(`bootstrap: cannot create bucket ${bucket}: ${String(error)}`, { cause: error });
    }
  }
  log(`bucket ${bucket}: created`);
  return 'created';
}

/**
 * Provisions everything, idempotently: running it again changes nothing.
 *
 * @example
 * await bootstrap({ aws: stack.aws, log: console.log });
 */
export async function bootstrap(options: BootstrapOptions = {}): Promise<void> {
  const aws = options.aws ?? awsEnvironmentFromEnv();
  const names = options.names ?? resourceNamesFromEnv();
  const local = options.local ?? (aws.endpoint !== undefined && isLocalEndpoint(aws.endpoint));
  const log = options.log ?? (() => {});
  const wait = options.timeoutMs === undefined ? { log } : { log, timeoutMs: options.timeoutMs };
  const kinesis = kinesisClient(aws);
  const dynamodb = dynamoDbClient(aws);
  const s3 = s3Client(aws);
  try {
    const tables: Array<[string, TableSchema]> = [
      [names.enginesTable, ENGINES_TABLE_SCHEMA],
      [names.executionsTable, EXECUTIONS_TABLE_SCHEMA],
    ];
    if (local) tables.push([names.esmTable, ESM_TABLE_SCHEMA]);
    await Promise.all([
      ensureStream(kinesis, names.stream, options.shards ?? 2, wait),
      ...tables.map(([name, schema]) => ensureTable(dynamodb, name, schema, wait)),
      ensureBucket(s3, names.bucket, aws.region, log),
    ]);
  } finally {
    kinesis.destroy();
    dynamodb.destroy();
    s3.destroy();
  }
}

// Run directly (`npx tsx localstack/bootstrap.ts [--shards N]`, as LocalStack's ready.d hook does), it
// provisions whatever AWS_ENDPOINT_URL points at, with the names from ROUTER_* variables.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = async (): Promise<void> => {
    const { values } = parseArgs({ options: { shards: { type: 'string' } }, strict: true });
    const shards = values.shards === undefined ? 2 : Number(values.shards);
    if (!Number.isInteger(shards) || shards < 1) {
      throw new Error(`bootstrap: --shards must be a positive integer, got '${values.shards ?? ''}'`);
    }
    const aws = awsEnvironmentFromEnv();
    console.log(`bootstrap: provisioning ${aws.endpoint ?? `AWS (${aws.region})`}`);
    await bootstrap({ aws, shards, log: (line) => console.log(`bootstrap: ${line}`) });
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
