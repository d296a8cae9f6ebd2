/**
 * Faults injected by the edge, seen through real SDK clients: each service's throttling and 5xx come
 * out as the exception the SDK raises against AWS, the SDK retries every one of them (its attempts
 * account for every injected fault), dropped connections are retried too, and a lost answer is an
 * action that happened. The injector belongs to the embedded stack, so this file always starts one.
 */
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import { createLambdaHost } from '../../../localstack/lambda/index.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import type { ResourceNames } from '../../../router/config.ts';
import { isRetryableAwsError } from '../../../router/errors.ts';

let stack: LocalStack;
let invocations = 0;
const names: ResourceNames = {
  stream: 'faults-stream',
  enginesTable: 'faults-engines',
  executionsTable: 'faults-executions',
  bucket: 'faults-bucket',
  esmTable: 'faults-esm',
};

beforeAll(async () => {
  const lambda = createLambdaHost({
    functions: {
      count: async () => {
        invocations += 1;
        return invocations;
      },
    },
    catalog: [],
    log: { info() {}, error() {} },
  });
  // Every request would fail: the bootstrap below shows that nothing is injected before enable().
  stack = await startLocalStack({
    port: 0,
    services: [lambda],
    faults: 'dynamodb:throttle=1,s3:throttle=1,kinesis:throttle=1,lambda:throttle=1',
  });
  await bootstrap({ aws: stack.aws, names, shards: 1, local: true });
});

afterAll(async () => {
  await stack.stop();
});

beforeEach(() => {
  stack.faults.disable();
});

function base(maxAttempts: number) {
  return {
    endpoint: stack.endpoint,
    region: stack.aws.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  };
}

const clients = {
  dynamodb: (maxAttempts: number) => new DynamoDBClient(base(maxAttempts)),
  s3: (maxAttempts: number) =>
    new S3Client({
      ...base(maxAttempts),
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  lambda: (maxAttempts: number) => new LambdaClient(base(maxAttempts)),
  kinesis: (maxAttempts: number) =>
    new KinesisClient({ ...base(maxAttempts), requestHandler: new NodeHttpHandler() }),
};

/** One cheap call per service, answering the SDK's metadata. */
const calls: Record<keyof typeof clients, (maxAttempts: number) => Promise<{ attempts?: number }>> = {
  dynamodb: async (n) => (await clients.dynamodb(n).send(new ListTablesCommand({}))).$metadata,
  s3: async (n) =>
    (await clients.s3(n).send(new PutObjectCommand({ Bucket: names.bucket, Key: 'k', Body: 'v' }))).$metadata,
  lambda: async (n) => (await clients.lambda(n).send(new InvokeCommand({ FunctionName: 'count' }))).$metadata,
  kinesis: async (n) => (await clients.kinesis(n).send(new ListStreamsCommand({}))).$metadata,
};

async function failure(call: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (typeof error !== 'object' || error === null) throw new Error('expected the call to fail');
  return error as Record<string, unknown>;
}

describe('edge fault injection', () => {
  it('injects nothing into the bootstrap: faults start when enabled', () => {
    expect(stack.faults.enabled).toBe(false);
    expect(stack.faults.counts()).toEqual({});
  });

  it.each([
    ['dynamodb', 'throttle', 400, ['ProvisionedThroughputExceededException', 'ThrottlingException']],
    ['dynamodb', '5xx', 500, ['InternalServerError']],
    ['s3', 'throttle', 503, ['SlowDown']],
    ['s3', '5xx', 500, ['InternalError']],
    ['lambda', 'throttle', 429, ['TooManyRequestsException']],
    ['lambda', '5xx', 500, ['ServiceException']],
    ['kinesis', 'throttle', 400, ['ProvisionedThroughputExceededException']],
    ['kinesis', '5xx', 500, ['InternalFailure']],
  ] as const)(
    '%s %s surfaces as the SDK exception AWS would raise, retryable',
    async (service, kind, status, exceptions) => {
      // Prepare
      stack.faults.replace(`${service}:${kind}=1`);
      stack.faults.enable();
      // Act: the SDK's own retries use up a small budget against a fault on every request
      const error = await failure(calls[service](2));
      // Assess (HEAD requests carry no body, so S3's code there comes from the status alone)
      if (!(service === 's3')) expect(exceptions).toContain(error.name);
      expect(error.$metadata).toMatchObject({ httpStatusCode: status, attempts: 2 });
      expect(isRetryableAwsError(error)).toBe(true);
    },
  );

  it.each(['throttle', '5xx', 'drop'] as const)(
    'every injected %s is retried by the SDK and the calls succeed',
    async (kind) => {
      // Prepare
      stack.faults.replace(
        `seed=5,dynamodb:${kind}=0.25,s3:${kind}=0.25,lambda:${kind}=0.25,kinesis:${kind}=0.25`,
      );
      const before = stack.faults.counts();
      stack.faults.enable();
      // The SDK backs off longer after throttling (from 500 ms): fewer calls keep the test short.
      const perService = kind === 'throttle' ? 3 : 6;
      // Act
      const attempts = { dynamodb: 0, s3: 0, lambda: 0, kinesis: 0 };
      for (const service of ['dynamodb', 's3', 'lambda', 'kinesis'] as const) {
        for (let i = 0; i < perService; i += 1) attempts[service] += (await calls[service](20)).attempts ?? 1;
      }
      // Assess: each retry answers one injected fault
      const after = stack.faults.counts();
      for (const service of ['dynamodb', 's3', 'lambda', 'kinesis'] as const) {
        const injected = (after[service]?.[kind] ?? 0) - (before[service]?.[kind] ?? 0);
        expect(attempts[service] - perService, service).toBe(injected);
      }
      expect(
        Object.values(after).reduce((sum, c) => sum + c[kind], 0) -
          Object.values(before).reduce((sum, c) => sum + c[kind], 0),
      ).toBeGreaterThan(0);
    },
  );

  it('drops the connection before the service sees the request: the client sees a reset', async () => {
    // Prepare
    stack.faults.replace('lambda:drop=1');
    stack.faults.enable();
    const before = invocations;
    // Act
    const error = await failure(calls.lambda(1));
    // Assess
    expect(String(error.code ?? error.message)).toMatch(/ECONNRESET|socket hang up/);
    expect(isRetryableAwsError(error)).toBe(true);
    expect(invocations).toBe(before);
  });

  it('loses the answer after the service acted: the client retries an action that already happened', async () => {
    // Prepare
    stack.faults.replace('dynamodb:drop-response=1,lambda:drop-response=1');
    stack.faults.enable();
    const before = invocations;
    const dynamodb = clients.dynamodb(2);
    // Act
    const invoke = await failure(calls.lambda(2));
    const put = await failure(
      dynamodb.send(
        new PutItemCommand({
          TableName: names.enginesTable,
          Item: { pk: { S: 'lost-answer' }, sk: { S: 'once' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    stack.faults.disable();
    const item = await dynamodb.send(
      new GetItemCommand({
        TableName: names.enginesTable,
        Key: { pk: { S: 'lost-answer' }, sk: { S: 'once' } },
      }),
    );
    // Assess: the function ran on both attempts, the item was written by the first
    expect(invocations - before).toBe(2);
    expect(String(invoke.code ?? invoke.message)).toMatch(/ECONNRESET|socket hang up/);
    expect(String(put.code ?? put.message)).toMatch(/ECONNRESET|socket hang up/);
    expect(item.Item?.sk).toEqual({ S: 'once' });
    expect(stack.faults.counts().dynamodb?.['drop-response']).toBeGreaterThanOrEqual(2);
  });

  it('fails only the Kinesis operations a term names: an expired iterator on GetRecords, throttles on PutRecords', async () => {
    // Prepare
    const kinesis = clients.kinesis(1);
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: names.stream }));
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: names.stream,
        ShardId: Shards?.[0]?.ShardId ?? '',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    stack.faults.replace('kinesis.GetRecords:expired-iterator=1,kinesis.PutRecords:throttle=1');
    const before = stack.faults.counts();
    stack.faults.enable();
    // Act
    const expired = await failure(kinesis.send(new GetRecordsCommand({ ShardIterator })));
    const throttled = await failure(
      kinesis.send(
        new PutRecordsCommand({
          StreamName: names.stream,
          Records: [{ PartitionKey: 'k', Data: Buffer.from('x') }],
        }),
      ),
    );
    const listed = await kinesis.send(new ListStreamsCommand({}));
    kinesis.destroy();
    // Assess: an expired iterator is the caller's to renew, not the SDK's to retry
    expect(expired.name).toBe('ExpiredIteratorException');
    expect(isRetryableAwsError(expired)).toBe(false);
    expect(throttled.name).toBe('ProvisionedThroughputExceededException');
    expect(listed.StreamNames).toContain(names.stream);
    const after = stack.faults.counts();
    expect(
      (after['kinesis.GetRecords']?.['expired-iterator'] ?? 0) -
        (before['kinesis.GetRecords']?.['expired-iterator'] ?? 0),
    ).toBe(1);
    expect((after['kinesis.PutRecords']?.throttle ?? 0) - (before['kinesis.PutRecords']?.throttle ?? 0)).toBe(
      1,
    );
  });

  it('holds a request for the drawn latency', async () => {
    // Prepare
    stack.faults.replace('*:latency=60ms');
    stack.faults.enable();
    const before = stack.faults.counts().kinesis?.latency ?? 0;
    // Act
    const started = performance.now();
    await calls.kinesis(1);
    const elapsed = performance.now() - started;
    // Assess
    expect(elapsed).toBeGreaterThanOrEqual(58);
    expect((stack.faults.counts().kinesis?.latency ?? 0) - before).toBe(1);
  });

  it('drops HTTP/2 connections too, and the SDK default (HTTP/2) Kinesis client retries them', async () => {
    // Prepare
    stack.faults.replace('seed=2,kinesis:drop=0.3');
    stack.faults.enable();
    const kinesis = new KinesisClient(base(20));
    // Act
    let attempts = 0;
    for (let i = 0; i < 5; i += 1)
      attempts += (await kinesis.send(new ListStreamsCommand({}))).$metadata.attempts ?? 1;
    kinesis.destroy();
    // Assess
    expect(attempts).toBeGreaterThan(5);
  });

  it('is switched and read over HTTP at /_localstack/faults', async () => {
    // Act
    const switched = await fetch(`${stack.endpoint}/_localstack/faults`, {
      method: 'POST',
      body: JSON.stringify({ plan: 'seed=4,s3:5xx=0.5', enabled: true }),
    });
    const state = (await switched.json()) as Record<string, unknown>;
    const refused = await fetch(`${stack.endpoint}/_localstack/faults`, {
      method: 'POST',
      body: JSON.stringify({ plan: 's3:5xx=2' }),
    });
    const read = await fetch(`${stack.endpoint}/_localstack/faults`);
    // Assess
    expect(switched.status).toBe(200);
    expect(state).toMatchObject({
      enabled: true,
      plan: { seed: 4, services: { s3: { rates: { '5xx': 0.5 } } } },
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/term 's3:5xx=2'/);
    expect(((await read.json()) as { counts: unknown }).counts).toEqual(stack.faults.counts());
    expect(stack.faults.plan.services.s3?.rates['5xx']).toBe(0.5);
  });
});
