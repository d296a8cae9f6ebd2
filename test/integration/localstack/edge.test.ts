import { connect } from 'node:net';
import { Readable } from 'node:stream';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, createTableInput } from '../../../localstack/bootstrap.ts';
import type { EdgeRequest } from '../../../localstack/service.ts';
import { type LocalStack, legacyCiphersAvailable, startLocalStack } from '../../../localstack/stack.ts';
import { dynamoDbClient, kinesisClient, lambdaClient, s3Client } from '../../../router/aws/clients.ts';
import { ENGINES_TABLE_SCHEMA } from '../../../router/registry/enginesTable.ts';

// These tests exercise the embedded stack itself (its edge and its emulators' known gaps), so they always
// start one, whatever AWS_ENDPOINT_URL says.
let stack: LocalStack;
const logged: string[] = [];
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, log: (line) => logged.push(line) });
});

afterAll(async () => {
  await stack.stop();
});

/** A SigV4-looking Authorization header: the edge reads only the credential scope. */
function signedFor(service: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
    'x-amz-date': '20260101T000000Z',
  };
}

async function kinesisStillServes(): Promise<void> {
  const kinesis = kinesisClient(stack.aws);
  const { StreamNames } = await kinesis.send(new ListStreamsCommand({}));
  expect(Array.isArray(StreamNames)).toBe(true);
}

describe('the stack', () => {
  it('starts again in the same process, reports its start-up time, and hands out its environment', async () => {
    // Act: how fast it starts is a benchmark figure (stack.startupMsMedianOf5), not a test's.
    const second = await startLocalStack({ port: 0 });
    await second.stop();

    // Assess
    expect(second.startedInMs).toBeGreaterThan(0);
    expect(stack.endpoint).toBe(`http://127.0.0.1:${stack.port}`);
    expect(stack.env).toEqual({
      AWS_ENDPOINT_URL: stack.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      SFTP_HOST: '127.0.0.1',
      SFTP_PORT: String(stack.sftp?.port),
      SFTP_USERNAME: 'test',
      SFTP_PASSWORD: 'test',
    });
  });
});

describe('the health endpoint', () => {
  it("answers LocalStack's readiness probe with the services served", async () => {
    // Act
    const response = await fetch(`${stack.endpoint}/_localstack/health`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      services: { dynamodb: 'running', kinesis: 'running', s3: 'running' },
      edition: 'embedded',
    });
  });
});

describe('Kinesis through the edge', () => {
  it('creates a stream that is ACTIVE at once, puts records and reads them back per shard', async () => {
    // Prepare
    const kinesis = kinesisClient(stack.aws);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'edge-kinesis', ShardCount: 2 }));
    const records = Array.from({ length: 20 }, (_, index) => ({
      Data: Buffer.from(JSON.stringify({ index })),
      PartitionKey: `key-${index}`,
    }));

    // Act
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'edge-kinesis', Records: records }));
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: 'edge-kinesis' }));
    const read: number[] = [];
    for (const shard of Shards ?? []) {
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: 'edge-kinesis',
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      for (const record of Records ?? []) {
        read.push((JSON.parse(Buffer.from(record.Data ?? []).toString('utf8')) as { index: number }).index);
      }
    }

    // Assess
    expect(put.FailedRecordCount).toBe(0);
    expect(Shards).toHaveLength(2);
    expect(read.sort((a, b) => a - b)).toEqual(records.map((_, index) => index));
  });
});

describe('HTTP/2 at the edge', () => {
  it("serves the Kinesis client with the SDK's default HTTP/2 handler on the same port", async () => {
    // Prepare
    const kinesis = new KinesisClient({ region: 'us-east-1', endpoint: stack.endpoint, credentials });
    await kinesis.send(new CreateStreamCommand({ StreamName: 'edge-http2', ShardCount: 1 }));

    // Act
    const put = await kinesis.send(
      new PutRecordsCommand({
        StreamName: 'edge-http2',
        Records: [{ Data: Buffer.from('over h2'), PartitionKey: 'k' }],
      }),
    );
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: 'edge-http2',
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    kinesis.destroy();

    // Assess
    expect(put.FailedRecordCount).toBe(0);
    expect(Records?.map((record) => Buffer.from(record.Data ?? []).toString('utf8'))).toEqual(['over h2']);
  });
});

describe('DynamoDB through the edge', () => {
  it('serves CRUD and conditional writes, and answers TransactWriteItems with UnknownOperationException', async () => {
    // Prepare
    const dynamodb = dynamoDbClient(stack.aws);
    await dynamodb.send(new CreateTableCommand(createTableInput('edge-crud', ENGINES_TABLE_SCHEMA)));
    const key = { pk: { S: 'ENGINE#a' }, sk: { S: 'META' } };

    // Act
    await dynamodb.send(new PutItemCommand({ TableName: 'edge-crud', Item: { ...key, next: { N: '1' } } }));
    const duplicate = dynamodb.send(
      new PutItemCommand({
        TableName: 'edge-crud',
        Item: { ...key, next: { N: '9' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await expect(duplicate).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: 'edge-crud',
        Key: key,
        UpdateExpression: 'SET #next = #next + :one',
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    const updated = await dynamodb.send(new GetItemCommand({ TableName: 'edge-crud', Key: key }));
    await dynamodb.send(new DeleteItemCommand({ TableName: 'edge-crud', Key: key }));
    const deleted = await dynamodb.send(new GetItemCommand({ TableName: 'edge-crud', Key: key }));
    const transaction = dynamodb.send(
      new TransactWriteItemsCommand({
        TransactItems: [{ Put: { TableName: 'edge-crud', Item: { pk: { S: 'x' }, sk: { S: 'y' } } } }],
      }),
    );

    // Assess
    expect(updated.Item?.next).toEqual({ N: '2' });
    expect(deleted.Item).toBeUndefined();
    await expect(transaction).rejects.toMatchObject({ name: 'UnknownOperationException' });
  });
});

describe('S3 through the edge', () => {
  it('stores and returns objects byte for byte under any access key', async () => {
    // Prepare
    const s3 = s3Client(stack.aws);
    const body = Buffer.from(Array.from({ length: 70_000 }, (_, index) => index % 251));
    await s3.send(new CreateBucketCommand({ Bucket: 'edge-objects' }));

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'edge-objects', Key: 'engines/a/1.hjson', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'edge-objects', Key: 'engines/a/1.hjson' }));

    // Assess
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(body);
  });

  it("decodes aws-chunked bodies, so a client with the SDK's default checksums stores the real bytes", async () => {
    // Prepare
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: stack.endpoint,
      forcePathStyle: true,
      credentials,
    });
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.from('middle'), Buffer.alloc(1_000, 'z')];
    await s3.send(new CreateBucketCommand({ Bucket: 'edge-chunked' }));

    // Act
    await s3.send(
      new PutObjectCommand({
        Bucket: 'edge-chunked',
        Key: 'streamed',
        Body: Readable.from(parts),
        ContentLength: Buffer.concat(parts).length,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'edge-chunked', Key: 'streamed' }));

    // Assess
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(Buffer.concat(parts));
  });

  it('lists keys page by page with continuation tokens', async () => {
    // Prepare
    const s3 = s3Client(stack.aws);
    await s3.send(new CreateBucketCommand({ Bucket: 'edge-pages' }));
    const keys = Array.from({ length: 7 }, (_, index) => `quarantine/${String(index).padStart(3, '0')}`);
    for (const key of keys)
      await s3.send(new PutObjectCommand({ Bucket: 'edge-pages', Key: key, Body: key }));

    // Act
    const listed: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: 'edge-pages',
          MaxKeys: 3,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      pages += 1;
      listed.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token !== undefined);

    // Assess
    expect(legacyCiphersAvailable()).toBe(true);
    expect(pages).toBe(3);
    expect(listed).toEqual(keys);
  });
});

describe('requests the edge cannot place', () => {
  it('answers an unsigned request naming no service with MissingAuthenticationTokenException', async () => {
    // Act
    const response = await fetch(`${stack.endpoint}/`, { method: 'POST', body: 'hello' });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    await kinesisStillServes();
  });

  it('answers a service it does not serve with UnknownServiceException, as JSON or as XML', async () => {
    // Act
    const json = await fetch(`${stack.endpoint}/`, {
      method: 'POST',
      headers: { ...signedFor('sqs'), 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    const xml = await fetch(`${stack.endpoint}/`, {
      method: 'POST',
      headers: { ...signedFor('sns'), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListTopics',
    });

    // Assess
    expect(json.status).toBe(400);
    const error = (await json.json()) as { __type: string; message: string };
    expect(error.__type).toBe('UnknownServiceException');
    expect(error.message).toContain("'sqs'");
    expect(xml.status).toBe(400);
    expect(await xml.text()).toContain('<Code>UnknownServiceException</Code>');
  });

  it('answers Lambda Invoke with UnknownServiceException while no Lambda host is registered', async () => {
    // Act
    const invoke = lambdaClient(stack.aws).send(new InvokeCommand({ FunctionName: 'echo' }));

    // Assess
    await expect(invoke).rejects.toMatchObject({ name: 'UnknownServiceException' });
  });

  it('answers a malformed credential scope with IncompleteSignatureException', async () => {
    // Act
    const response = await fetch(`${stack.endpoint}/`, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=garbage, Signature=00' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'IncompleteSignatureException' });
  });

  it('passes garbage bodies to the emulators, which answer with AWS-shaped errors', async () => {
    // Act
    const kinesis = await fetch(`${stack.endpoint}/`, {
      method: 'POST',
      headers: {
        ...signedFor('kinesis'),
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Kinesis_20131202.PutRecords',
      },
      body: '{not json',
    });
    const dynamodb = await fetch(`${stack.endpoint}/`, {
      method: 'POST',
      headers: {
        ...signedFor('dynamodb'),
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.PutItem',
      },
      body: '\u0000\u0001garbage',
    });

    // Assess
    expect(kinesis.status).toBe(400);
    expect(await kinesis.json()).toHaveProperty('__type');
    expect(dynamodb.status).toBe(400);
    expect(await dynamodb.json()).toHaveProperty('__type');
    await kinesisStillServes();
  });

  it('answers broken percent-encoding in X-Amz-Credential with an AWS-shaped error, signed or not', async () => {
    // Act
    const query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%E0%A4%A&X-Amz-Signature=00';
    const unsigned = await fetch(`${stack.endpoint}/edge-objects/key?${query}`);
    const signed = await fetch(`${stack.endpoint}/edge-objects/key?${query}`, { headers: signedFor('s3') });

    // Assess
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ __type: 'IncompleteSignatureException' });
    expect(signed.status).toBe(400);
    expect(await signed.text()).toContain('<Code>InvalidArgument</Code>');
    await kinesisStillServes();
  });

  it('answers bytes that are not HTTP with a 400 and keeps serving', async () => {
    // Act
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(stack.port, '127.0.0.1', () =>
        socket.write('\u0000\u0001 not http at all\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

    // Assess
    expect(answer.startsWith('HTTP/1.1 400')).toBe(true);
    expect(answer).toContain('"__type":"SerializationException"');
    await kinesisStillServes();
  });
});

describe('registered service emulators', () => {
  it('receive the buffered request with the region of its credential scope', async () => {
    // Prepare
    const seen: EdgeRequest[] = [];
    stack.register({
      signingName: 'probe',
      handle: async (request) => {
        seen.push(request);
        return {
          status: 202,
          headers: { 'content-type': 'text/plain' },
          body: `got ${request.body.length} bytes`,
        };
      },
      close: async () => {},
    });

    // Act
    const response = await fetch(`${stack.endpoint}/things/1?x=y`, {
      method: 'PUT',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/probe/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: 'twelve bytes',
    });

    // Assess
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('got 12 bytes');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/things/1?x=y', region: 'eu-west-1' });
    expect(seen[0]?.body.toString('utf8')).toBe('twelve bytes');
  });

  it('that throw are answered with InternalFailure, logged, and the edge keeps serving', async () => {
    // Prepare
    stack.register({
      signingName: 'broken',
      handle: async () => {
        throw new Error('database is gone');
      },
      close: async () => {},
    });

    // Act
    const response = await fetch(`${stack.endpoint}/`, {
      method: 'POST',
      headers: { ...signedFor('broken'), 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ __type: 'InternalFailure' });
    expect(logged.some((line) => line.includes('database is gone'))).toBe(true);
    await kinesisStillServes();
  });
});

describe('stop()', () => {
  it('closes everything once, however often it is called', async () => {
    // Prepare
    let closed = 0;
    const emulation = {
      signingName: 'probe',
      handle: async () => ({ status: 204 }),
      close: async () => {
        closed += 1;
      },
    };
    const other = await startLocalStack({ port: 0, services: [emulation] });
    await bootstrap({ aws: other.aws });

    // Act
    await Promise.all([other.stop(), other.stop()]);
    await other.stop();
    const refused = fetch(`${other.endpoint}/`).then(
      () => 'answered',
      () => 'refused',
    );

    // Assess
    expect(await refused).toBe('refused');
    expect(closed).toBe(1);
    expect(() => other.register(emulation)).toThrow("local stack: cannot register 'probe' after stop()");
  });
});
