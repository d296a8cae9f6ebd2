import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { bootstrap, createTableInput, ensureStream, ensureTable } from '../../../localstack/bootstrap.ts';
import { ESM_TABLE_SCHEMA } from '../../../localstack/esm/DynamoDBCheckpointStore.ts';
import { dynamoDbClient, kinesisClient, s3Client } from '../../../router/aws/clients.ts';
import type { ResourceNames } from '../../../router/config.ts';
import { EXECUTIONS_TABLE_SCHEMA } from '../../../router/executions/executionsTable.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack();

/** Fresh names per run, so the test also runs against a long-lived LocalStack. */
function namesFor(prefix: string): ResourceNames {
  const suffix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  return {
    stream: `${prefix}-events-${suffix}`,
    enginesTable: `${prefix}-engines-${suffix}`,
    executionsTable: `${prefix}-executions-${suffix}`,
    bucket: `${prefix}-bucket-${suffix}`,
    esmTable: `${prefix}-esm-${suffix}`,
  };
}

describe('bootstrap', () => {
  it('creates the stream, tables and bucket from the schemas, and a second run changes nothing', async () => {
    // Prepare
    const names = namesFor('boot');
    const first: string[] = [];
    const second: string[] = [];

    // Act
    await bootstrap({ aws: stack().aws, names, shards: 3, local: true, log: (line) => first.push(line) });
    await bootstrap({ aws: stack().aws, names, shards: 3, local: true, log: (line) => second.push(line) });

    // Assess
    const kinesis = kinesisClient(stack().aws);
    const dynamodb = dynamoDbClient(stack().aws);
    const { StreamDescriptionSummary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: names.stream }),
    );
    expect(StreamDescriptionSummary).toMatchObject({ StreamStatus: 'ACTIVE', OpenShardCount: 3 });
    const { Table: executions } = await dynamodb.send(
      new DescribeTableCommand({ TableName: names.executionsTable }),
    );
    expect(executions?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(executions?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(
      executions?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.Projection?.ProjectionType]),
    ).toEqual([
      ['gsi1', 'ALL'],
      ['gsi2', 'ALL'],
      ['gsi3', 'ALL'],
    ]);
    const { Table: esm } = await dynamodb.send(new DescribeTableCommand({ TableName: names.esmTable }));
    expect(esm?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    await s3Client(stack().aws).send(new HeadBucketCommand({ Bucket: names.bucket }));
    expect(first.filter((line) => line.endsWith(': created') || line.includes(': created ('))).toHaveLength(
      5,
    );
    expect(second.filter((line) => line.includes('created'))).toEqual([]);
    expect(second.filter((line) => line.includes(': exists'))).toHaveLength(5);
    if (stack().embedded !== undefined) {
      // dynalite has no UpdateTimeToLive: one notice per run, and the bootstrap goes on.
      expect(first.filter((line) => line.includes('has no TTL'))).toEqual([
        `table ${names.executionsTable}: this DynamoDB has no TTL; expired items are skipped on read instead`,
      ]);
    }
  });

  it('leaves out the ESM checkpoint table when not local', async () => {
    // Prepare
    const names = namesFor('aws');

    // Act
    await bootstrap({ aws: stack().aws, names, local: false });

    // Assess
    const { TableNames } = await dynamoDbClient(stack().aws).send(new ListTablesCommand({}));
    expect(TableNames).toContain(names.enginesTable);
    expect(TableNames).not.toContain(names.esmTable);
  });

  it('refuses an existing table of another shape, naming the table and the difference', async () => {
    // Prepare
    const dynamodb = dynamoDbClient(stack().aws);
    const name = namesFor('shape').executionsTable;
    await dynamodb.send(new CreateTableCommand(createTableInput(name, ESM_TABLE_SCHEMA)));

    // Act
    const ensured = ensureTable(dynamodb, name, EXECUTIONS_TABLE_SCHEMA);

    // Assess
    await expect(ensured).rejects.toThrow(
      `bootstrap: table ${name} exists with another shape: its key is (pk HASH), the schema's is (pk HASH, sk RANGE); delete it or rename it`,
    );
  });

  it('rejects a shard count that is not a positive integer, naming it', async () => {
    // Act
    const created = ensureStream(kinesisClient(stack().aws), 'never-created', 0);

    // Assess
    await expect(created).rejects.toThrow('bootstrap: shards must be a positive integer, got 0');
  });

  it('runs the same way from the LocalStack ready.d hook script', async () => {
    // Prepare
    const names = namesFor('hook');
    const env = {
      ...process.env,
      ...stack().env,
      ROUTER_STREAM: names.stream,
      ROUTER_ENGINES_TABLE: names.enginesTable,
      ROUTER_EXECUTIONS_TABLE: names.executionsTable,
      ROUTER_BUCKET: names.bucket,
      ROUTER_ESM_TABLE: names.esmTable,
      ROUTER_SHARDS: '1',
    };

    // Act
    const { stdout } = await promisify(execFile)('bash', ['localstack/ready.d/bootstrap.sh'], {
      cwd: new URL('../../../', import.meta.url),
      env,
    });

    // Assess
    expect(stdout).toContain(`bootstrap: provisioning ${stack().endpoint}`);
    expect(stdout).toContain(`bootstrap: stream ${names.stream}: created (1 open shards)`);
    const { StreamDescriptionSummary } = await kinesisClient(stack().aws).send(
      new DescribeStreamSummaryCommand({ StreamName: names.stream }),
    );
    expect(StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
  });
});
