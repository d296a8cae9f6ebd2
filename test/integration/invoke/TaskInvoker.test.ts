import { LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import { createLambdaHost } from '../../../localstack/lambda/index.ts';
import type { InvokeEffect } from '../../../router/asl/interpreter/state.ts';
import { clientConfig, dynamoDbDocumentClient, lambdaClient, s3Client } from '../../../router/aws/clients.ts';
import { DEFAULT_RESOURCE_NAMES } from '../../../router/config.ts';
import { DynamoDBActivityQueue } from '../../../router/invoke/DynamoDBActivityQueue.ts';
import { createSdkIntegrations } from '../../../router/invoke/SdkIntegrations.ts';
import { createTaskInvoker, type TaskInvoker } from '../../../router/invoke/TaskInvoker.ts';
import { useLocalStack } from '../support/stack.ts';

const seen: { event: unknown; idempotencyKey: unknown }[] = [];

const stack = useLocalStack({
  services: [
    createLambdaHost({
      catalog: [],
      concurrencyLimit: 1,
      functions: {
        echo: async (event: unknown, context: Context) => {
          seen.push({
            event,
            idempotencyKey: (context.clientContext?.custom as { idempotencyKey?: string } | undefined)
              ?.idempotencyKey,
          });
          return { echoed: event };
        },
        declined: async () => {
          throw Object.assign(new Error('card declined'), { name: 'PaymentDeclined' });
        },
        slow: async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return 'late';
        },
      },
    }),
  ],
});

let invoke: TaskInvoker;

beforeAll(async () => {
  await bootstrap({ aws: stack().aws, shards: 1 });
  await s3Client(stack().aws).send(
    new PutObjectCommand({ Bucket: DEFAULT_RESOURCE_NAMES.bucket, Key: 'sql/hello.sql', Body: 'SELECT 1;' }),
  );
  invoke = createTaskInvoker({
    lambda: lambdaClient(stack().aws),
    sdk: createSdkIntegrations(stack().aws),
    allowlist: [
      'arn:aws:lambda:*:*:function:echo',
      'arn:aws:lambda:*:*:function:declined',
      'arn:aws:lambda:*:*:function:slow',
      'arn:aws:states:::lambda:invoke',
      'arn:aws:states:::aws-sdk:s3:getObject',
      'arn:aws:states:::dynamodb:*',
    ],
    region: 'us-east-1',
  });
});

function effect(resource: string, input: unknown, stateName = 'Step'): InvokeEffect {
  return {
    type: 'invoke',
    id: `${stateName}#1`,
    resource,
    input: input as InvokeEffect['input'],
    idempotencyKey: `exec-1/${stateName}#1`,
    stateName,
    attempt: 0,
  };
}

const signal = new AbortController().signal;

describe('createTaskInvoker against the local Lambda host and S3', () => {
  it('invokes a function ARN and returns its payload, passing the idempotency key in the client context', async () => {
    const outcome = await invoke(
      effect('arn:aws:lambda:us-east-1:000000000000:function:echo', { a: 1 }),
      signal,
    );
    expect(outcome).toEqual({ ok: true, output: { echoed: { a: 1 } } });
    expect(seen.at(-1)?.idempotencyKey).toBe('exec-1/Step#1');
  });

  it('shapes a lambda:invoke result as Step Functions does', async () => {
    const outcome = await invoke(
      effect('arn:aws:states:::lambda:invoke', { FunctionName: 'echo', Payload: { b: 2 } }),
      signal,
    );
    expect(outcome).toMatchObject({
      ok: true,
      output: { ExecutedVersion: '$LATEST', Payload: { echoed: { b: 2 } }, StatusCode: 200 },
    });
  });

  it('names a function error by its errorType', async () => {
    const outcome = await invoke(
      effect('arn:aws:lambda:us-east-1:000000000000:function:declined', {}),
      signal,
    );
    expect(outcome).toMatchObject({ ok: false, error: 'PaymentDeclined' });
    expect(JSON.stringify(outcome)).toMatch(/card declined/);
  });

  it('names a throttled invoke Lambda.TooManyRequestsException once the SDK stops retrying', async () => {
    const noRetries = createTaskInvoker({
      lambda: new LambdaClient({ ...clientConfig(stack().aws, 'lambda'), maxAttempts: 1 }),
      sdk: createSdkIntegrations(stack().aws),
      allowlist: ['arn:aws:lambda:*:*:function:slow'],
      region: 'us-east-1',
    });
    const slow = effect('arn:aws:lambda:us-east-1:000000000000:function:slow', {});
    const [first, second] = await Promise.all([
      noRetries(slow, signal),
      noRetries({ ...slow, id: 'other' }, signal),
    ]);
    const outcomes = [first, second].map((o) => ('ok' in o && !o.ok ? o.error : 'ok')).sort();
    expect(outcomes).toEqual(['Lambda.TooManyRequestsException', 'ok']);
  });

  it('refuses a function outside the allowlist without calling it', async () => {
    const outcome = await invoke(
      effect('arn:aws:states:::lambda:invoke', { FunctionName: 'rogue', Payload: {} }),
      signal,
    );
    expect(outcome).toMatchObject({ ok: false, error: 'States.Runtime' });
    expect(JSON.stringify(outcome)).toMatch(/rogue is not in this deployment's allowlist/);
  });

  it('runs an aws-sdk action and names its errors Service.Name', async () => {
    const found = await invoke(
      effect('arn:aws:states:::aws-sdk:s3:getObject', {
        Bucket: DEFAULT_RESOURCE_NAMES.bucket,
        Key: 'sql/hello.sql',
      }),
      signal,
    );
    expect(found).toMatchObject({ ok: true, output: { Body: 'SELECT 1;' } });
    const missing = await invoke(
      effect('arn:aws:states:::aws-sdk:s3:getObject', { Bucket: DEFAULT_RESOURCE_NAMES.bucket, Key: 'nope' }),
      signal,
    );
    expect(missing).toMatchObject({ ok: false, error: 'S3.NoSuchKeyException' });
  });
});

describe('optimized integrations and activities against the local DynamoDB', () => {
  const table = DEFAULT_RESOURCE_NAMES.executionsTable;
  const key = { pk: { S: 'TEST#dynamodb' }, sk: { S: 'ITEM' } };

  it('putItem and getItem answer with the item and the HTTP metadata; a failed condition is named', async () => {
    const put = await invoke(
      effect('arn:aws:states:::dynamodb:putItem', {
        TableName: table,
        Item: { ...key, note: { S: 'hello' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      signal,
    );
    const got = await invoke(
      effect('arn:aws:states:us-east-1:000000000000:dynamodb:getItem', { TableName: table, Key: key }),
      signal,
    );
    const again = await invoke(
      effect('arn:aws:states:::dynamodb:putItem', {
        TableName: table,
        Item: { ...key, note: { S: 'twice' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
      signal,
    );

    expect(put).toMatchObject({ ok: true, output: { SdkHttpMetadata: { HttpStatusCode: 200 } } });
    expect(got).toMatchObject({
      ok: true,
      output: { Item: { note: { S: 'hello' } }, SdkHttpMetadata: { HttpStatusCode: 200 } },
    });
    expect(again).toMatchObject({ ok: false, error: 'DynamoDB.ConditionalCheckFailedException' });
  });

  it('an activity task waits in the executions table until one worker takes it', async () => {
    const queue = new DynamoDBActivityQueue({ dynamodb: dynamoDbDocumentClient(stack().aws), table });
    const task = {
      activityArn: 'arn:aws:states:us-east-1:000000000000:activity:approve',
      activity: 'approve',
      taskToken: 'locator.mac',
      input: { order: 7 },
      invokeId: 'Approve#1.0',
      stateName: 'Approve',
    };
    await queue.enqueue(task);
    await queue.enqueue(task);

    const [first, second] = await Promise.all([queue.take('approve'), queue.take('approve')]);

    const taken = [first, second].filter((one) => one !== undefined);
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ taskToken: 'locator.mac', input: { order: 7 } });
  });
});
