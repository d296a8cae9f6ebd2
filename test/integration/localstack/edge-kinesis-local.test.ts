import { connect } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKinesisLocal } from '../../../localstack/kinesis-local.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import { kinesisClient } from '../../../router/aws/clients.ts';

// kinesis-mock (LocalStack's Kinesis engine) as the stack's Kinesis, started as a child process.
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, kinesis: 'kinesis-local' });
});

afterAll(async () => {
  await stack.stop();
});

describe("kinesis: 'kinesis-local'", () => {
  it('serves CreateStream, PutRecords and GetRecords through the edge', async () => {
    // Prepare
    const kinesis = kinesisClient(stack.aws);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'mock-events', ShardCount: 1 }));
    let status: string | undefined;
    for (let attempt = 0; attempt < 100 && status !== 'ACTIVE'; attempt += 1) {
      const { StreamDescriptionSummary } = await kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: 'mock-events' }),
      );
      status = StreamDescriptionSummary?.StreamStatus;
      if (status !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const records = Array.from({ length: 5 }, (_, index) => ({
      Data: Buffer.from(`record-${index}`),
      PartitionKey: 'one-key',
    }));

    // Act
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'mock-events', Records: records }));
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: 'mock-events',
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));

    // Assess
    expect(status).toBe('ACTIVE');
    expect(put.FailedRecordCount).toBe(0);
    expect((Records ?? []).map((record) => Buffer.from(record.Data ?? []).toString('utf8'))).toEqual(
      records.map((record) => record.Data.toString('utf8')),
    );
  });

  it('stops its child process, which then refuses connections', async () => {
    // Prepare
    const mock = await startKinesisLocal();

    // Act
    await Promise.all([mock.stop(), mock.stop()]);
    const probe = new Promise<string>((resolve) => {
      const socket = connect(mock.port, mock.host, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });

    // Assess
    expect(await probe).toBe('ECONNREFUSED');
  });
});
