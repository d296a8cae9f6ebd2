/**
 * A stack started on a data directory keeps its streams, tables, objects and database across a stop and
 * a start, refuses a second stack on the same directory, and the bootstrap finds everything it made.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import { DataDirectoryInUseError } from '../../../localstack/dataDirectory.ts';
import { defaultServices } from '../../../localstack/services.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import {
  type AwsEnvironment,
  dynamoDbDocumentClient,
  kinesisClient,
  redshiftDataClient,
  s3Client,
} from '../../../router/aws/clients.ts';
import { DEFAULT_RESOURCE_NAMES } from '../../../router/config.ts';

const names = DEFAULT_RESOURCE_NAMES;
const silent = { info() {}, error() {} };
const directories: string[] = [];

afterAll(async () => {
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

function start(dataDir: string): Promise<LocalStack> {
  return startLocalStack({ port: 0, dataDir, services: defaultServices({ dataDir, log: silent }) });
}

/** Runs SQL through the Data API and returns the rows of its result (long values), once it has ended. */
async function runSql(aws: AwsEnvironment, sql: string): Promise<unknown[][]> {
  const client = redshiftDataClient(aws);
  const { Id } = await client.send(
    new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'local', Sql: sql }),
  );
  for (;;) {
    const statement = await client.send(new DescribeStatementCommand({ Id }));
    if (statement.Status === 'FAILED' || statement.Status === 'ABORTED') {
      throw new Error(`${sql}: ${statement.Status} ${statement.Error ?? ''}`);
    }
    if (statement.Status === 'FINISHED') {
      if (statement.HasResultSet !== true) return [];
      const { Records = [] } = await client.send(new GetStatementResultCommand({ Id }));
      return Records.map((row) => row.map((field) => field.longValue));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function firstRecords(aws: AwsEnvironment): Promise<string[]> {
  const kinesis = kinesisClient(aws);
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: names.stream }));
  const data: string[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: names.stream,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    data.push(...Records.map((record) => Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')));
  }
  return data.sort();
}

describe('a stack on a data directory', () => {
  it('keeps streams, tables, objects and the database across a restart', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'router-stack-data-'));
    directories.push(dataDir);
    const first = await start(dataDir);
    const created: string[] = [];
    try {
      await bootstrap({ aws: first.aws, names, shards: 2, local: true, log: (line) => created.push(line) });
      await kinesisClient(first.aws).send(
        new PutRecordCommand({ StreamName: names.stream, PartitionKey: 'k', Data: Buffer.from('kept-1') }),
      );
      await dynamoDbDocumentClient(first.aws).send(
        new PutCommand({ TableName: names.executionsTable, Item: { pk: 'EXEC#x', sk: 'EXEC', n: 1 } }),
      );
      await s3Client(first.aws).send(
        new PutObjectCommand({ Bucket: names.bucket, Key: 'kept.txt', Body: 'kept object' }),
      );
      await runSql(first.aws, 'create table kept (n int); insert into kept values (7)');

      // Act: a second stack on the same directory is refused while the first runs
      const second = await start(dataDir).then(
        async (stack) => {
          await stack.stop();
          return undefined;
        },
        (error: unknown) => error,
      );
      expect(second).toBeInstanceOf(DataDirectoryInUseError);
      expect(String(second)).toContain(`in use by the local stack in process ${process.pid}`);
    } finally {
      await first.stop();
    }

    // Act: start again on the directory
    const again = await start(dataDir);
    const found: string[] = [];
    try {
      await bootstrap({ aws: again.aws, names, shards: 2, local: true, log: (line) => found.push(line) });

      // Assess
      expect(created.filter((line) => line.includes(': created'))).toHaveLength(5);
      expect(found.filter((line) => line.includes(': created'))).toEqual([]);
      expect(found.filter((line) => /: exists/.test(line))).toHaveLength(5);
      expect(await firstRecords(again.aws)).toEqual(['kept-1']);
      const { Item } = await dynamoDbDocumentClient(again.aws).send(
        new GetCommand({ TableName: names.executionsTable, Key: { pk: 'EXEC#x', sk: 'EXEC' } }),
      );
      expect(Item).toEqual({ pk: 'EXEC#x', sk: 'EXEC', n: 1 });
      const object = await s3Client(again.aws).send(
        new GetObjectCommand({ Bucket: names.bucket, Key: 'kept.txt' }),
      );
      expect(await object.Body?.transformToString()).toBe('kept object');
      expect(await runSql(again.aws, 'select n from kept')).toEqual([[7]]);
    } finally {
      await again.stop();
    }
  });
});
