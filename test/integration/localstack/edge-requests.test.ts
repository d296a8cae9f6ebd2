import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeRequestInfo } from '../../../localstack/edge.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import { dynamoDbClient, s3Client } from '../../../router/aws/clients.ts';

// The hook belongs to the embedded stack's edge, so this file always starts one.
let stack: LocalStack;
const seen: EdgeRequestInfo[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, onRequest: (info) => seen.push(info) });
});

afterAll(async () => {
  await stack.stop();
});

describe('edge onRequest', () => {
  it('sees each routed request once, with its service and, for JSON protocols, its target', async () => {
    // Prepare
    const dynamodb = dynamoDbClient(stack.aws);
    const s3 = s3Client(stack.aws);
    seen.length = 0;

    // Act
    await dynamodb.send(new ListTablesCommand({}));
    await dynamodb.send(new ListTablesCommand({}));
    await s3.send(new ListBucketsCommand({}));
    dynamodb.destroy();
    s3.destroy();

    // Assess
    expect(seen).toEqual([
      { service: 'dynamodb', target: 'DynamoDB_20120810.ListTables', method: 'POST' },
      { service: 'dynamodb', target: 'DynamoDB_20120810.ListTables', method: 'POST' },
      { service: 's3', method: 'GET' },
    ]);
  });
});
