import { SplitShardCommand } from '@aws-sdk/client-kinesis';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureStream } from '../../../localstack/bootstrap.ts';
import {
  type BatchReport,
  type CheckpointStore,
  type EventSourceMapping,
  type EventSourceMappingOptions,
  MemoryCheckpointStore,
  startEventSourceMapping,
} from '../../../localstack/esm/index.ts';
import { dynamoDbDocumentClient, kinesisClient } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';
import {
  createBucket,
  createStream,
  payloads,
  putRecords,
  readFailureRecords,
  uniqueName,
} from './streams.ts';

const stack = useLocalStack();
const checkpointTable = uniqueName('esm-checkpoints');
const running: EventSourceMapping[] = [];
/** Errors the mappings survived (failed polls, checkpoint or on-failure writes): none expected. */
const survived: unknown[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((mapping) => mapping.stop()));
  expect(survived.splice(0)).toEqual([]);
});

/** Starts a mapping with fast polling on this file's stack; fails the test on any error it survives. */
async function start(
  options: Omit<EventSourceMappingOptions, 'aws' | 'checkpointTable'>,
  store?: CheckpointStore,
): Promise<EventSourceMapping> {
  const mapping = await startEventSourceMapping(
    {
      aws: stack().aws,
      checkpointTable,
      pollIntervalMs: 20,
      onError: (error) => survived.push(error),
      ...options,
    },
    store,
  );
  running.push(mapping);
  return mapping;
}

/** A handler that records the data of every delivered batch and answers with `respond`. */
function recorder(
  respond: (
    batch: string[],
    call: number,
    event: KinesisStreamEvent,
  ) => KinesisStreamBatchResponse | undefined = () => undefined,
): { deliveries: string[][]; events: KinesisStreamEvent[]; handler: EventSourceMappingOptions['handler'] } {
  const deliveries: string[][] = [];
  const events: KinesisStreamEvent[] = [];
  return {
    deliveries,
    events,
    handler: async (event) => {
      const batch = payloads(event);
      deliveries.push(batch);
      events.push(event);
      return respond(batch, deliveries.length, event);
    },
  };
}

/** Polls `check` until it holds; fails naming `what` after 10 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const range = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `r-${from + i}`);

/** The identifier of the record with data `r-n` in an event. */
function sequenceOf(event: KinesisStreamEvent, data: string): string {
  const record = event.Records.find((r) => Buffer.from(r.kinesis.data, 'base64').toString() === data);
  if (record === undefined) throw new Error(`record ${data} is not in the event`);
  return record.kinesis.sequenceNumber;
}

describe('event source mapping over the local stack', () => {
  it('delivers Lambda-shaped events in batches of at most batchSize, in shard order', async () => {
    // Prepare
    const stream = uniqueName('esm-batch');
    const [shardId] = await createStream(stack().aws, stream);
    await putRecords(stack().aws, stream, 25);
    const { deliveries, events, handler } = recorder();

    // Act
    const mapping = await start({ stream, handler, batchSize: 10, functionName: 'router' });
    await mapping.waitForIdle();

    // Assess
    expect(deliveries).toEqual([range(0, 9), range(10, 19), range(20, 24)]);
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventName: 'aws:kinesis:record',
      eventSourceARN: mapping.streamArn,
      awsRegion: 'us-east-1',
      eventID: `${shardId}:${record?.kinesis.sequenceNumber}`,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'k-0',
        data: Buffer.from('r-0').toString('base64'),
      },
    });
    expect(record?.invokeIdentityArn).toMatch(/^arn:aws:iam::\d+:role\//);
    expect(Math.abs((record?.kinesis.approximateArrivalTimestamp ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    expect(mapping.streamArn).toBe(
      `arn:aws:kinesis:us-east-1:${mapping.streamArn.split(':')[4]}:stream/${stream}`,
    );
    expect(mapping.counters).toMatchObject({
      batches: 3,
      recordsDelivered: 25,
      recordsCompleted: 25,
      failures: 0,
    });
  });

  it('polls shards in parallel, one shard per event, each in order', async () => {
    // Prepare: shard 0 owns hash keys from 0, shard 1 from 2^127.
    const stream = uniqueName('esm-shards');
    const shardIds = await createStream(stack().aws, stream, 2);
    await putRecords(stack().aws, stream, 6, 0, '0');
    await putRecords(stack().aws, stream, 6, 100, (2n ** 127n).toString());
    const { deliveries, events, handler } = recorder();

    // Act
    const mapping = await start({ stream, handler, batchSize: 4 });
    await mapping.waitForIdle();

    // Assess
    const byShard = new Map<string, string[]>();
    for (const [index, event] of events.entries()) {
      const shards = new Set(event.Records.map((r) => r.eventID.split(':')[0]));
      expect(shards.size).toBe(1);
      const [shard = ''] = shards;
      byShard.set(shard, [...(byShard.get(shard) ?? []), ...(deliveries[index] ?? [])]);
      expect(event.Records.length).toBeLessThanOrEqual(4);
    }
    expect(byShard.get(shardIds[0] ?? '')).toEqual(range(0, 5));
    expect(byShard.get(shardIds[1] ?? '')).toEqual(range(100, 105));
  });

  it('waits up to the batching window to fill a batch', async () => {
    // Prepare
    const stream = uniqueName('esm-window');
    await createStream(stack().aws, stream);
    const { deliveries, handler } = recorder();
    const frozen = Date.now();
    let skew = 0;
    const mapping = await start({
      stream,
      handler,
      batchSize: 100,
      maximumBatchingWindowInSeconds: 0.6,
      now: () => frozen + skew,
    });
    await mapping.waitForIdle();

    // Act: records read on either side of a pause; the window's clock stands still meanwhile
    await putRecords(stack().aws, stream, 3);
    await until('the first three records to be read', () => mapping.counters.recordsRead === 3);
    await putRecords(stack().aws, stream, 3, 3);
    await until('the next three records to be read', () => mapping.counters.recordsRead === 6);
    const beforeWindow = mapping.counters.batches;
    skew = 600;
    await mapping.waitForIdle();

    // Assess: nothing sent while the window was open, then all six in one batch
    expect(beforeWindow).toBe(0);
    expect(deliveries).toEqual([range(0, 5)]);
  });

  it('restarts from the lowest reported failure and never re-delivers the records before it', async () => {
    // Prepare
    const stream = uniqueName('esm-partial');
    await createStream(stack().aws, stream);
    await putRecords(stack().aws, stream, 10);
    const { deliveries, handler } = recorder((_batch, call, event) =>
      call === 1
        ? {
            batchItemFailures: [
              { itemIdentifier: sequenceOf(event, 'r-6') },
              { itemIdentifier: sequenceOf(event, 'r-3') },
            ],
          }
        : undefined,
    );

    // Act
    const mapping = await start({ stream, handler, batchSize: 10, reportBatchItemFailures: true });
    await mapping.waitForIdle();

    // Assess
    expect(deliveries).toEqual([range(0, 9), range(3, 9)]);
    expect(mapping.counters).toMatchObject({ batches: 2, failures: 1, retries: 1, recordsCompleted: 10 });
  });

  it.each([
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['an identifier naming no record', { batchItemFailures: [{ itemIdentifier: '1234' }] }],
    ['a wrong key name', { batchItemFailures: [{ id: 'r-1' }] } as unknown as KinesisStreamBatchResponse],
  ])('fails the whole batch on %s', async (_name, response) => {
    // Prepare
    const stream = uniqueName('esm-invalid');
    await createStream(stack().aws, stream);
    await putRecords(stack().aws, stream, 4);
    const reports: BatchReport[] = [];
    const { deliveries, handler } = recorder((_batch, call) => (call === 1 ? response : undefined));

    // Act
    const mapping = await start({
      stream,
      handler,
      reportBatchItemFailures: true,
      onBatch: (report) => reports.push(report),
    });
    await mapping.waitForIdle();

    // Assess
    expect(deliveries).toEqual([range(0, 3), range(0, 3)]);
    expect(reports[0]).toMatchObject({ outcome: 'failure', completed: 0, size: 4 });
    expect(reports[0]?.reason).toMatch(/batchItemFailures\[0\]\.itemIdentifier/);
  });

  it('bisects a failing batch down to the poison record and sends only it to the on-failure bucket', async () => {
    // Prepare
    const stream = uniqueName('esm-bisect');
    const [shardId] = await createStream(stack().aws, stream);
    const bucket = uniqueName('esm-failures');
    await createBucket(stack().aws, bucket);
    await putRecords(stack().aws, stream, 8);
    const { deliveries, handler } = recorder((batch) => {
      if (batch.includes('r-5')) throw new TypeError('poison r-5');
      return undefined;
    });

    // Act
    const mapping = await start({
      stream,
      handler,
      batchSize: 8,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 1,
      onFailure: { bucket, prefix: 'esm-failures/' },
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:router',
    });
    await mapping.waitForIdle();

    // Assess: halves are retried without consuming the retry; r-5 alone gets one retry, then goes.
    expect(deliveries).toEqual([
      range(0, 7),
      range(0, 3),
      range(4, 7),
      range(4, 5),
      ['r-4'],
      ['r-5'],
      ['r-5'],
      range(6, 7),
    ]);
    expect(mapping.counters).toMatchObject({
      bisects: 3,
      recordsDiscarded: 1,
      sentToOnFailure: 1,
      recordsCompleted: 7,
    });
    const [failure, ...others] = await readFailureRecords(stack().aws, bucket, 'esm-failures/');
    expect(others).toEqual([]);
    expect(failure).toMatchObject({
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:router',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 2,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: { shardId, batchSize: 1, streamArn: mapping.streamArn },
    });
    expect(failure?.KinesisBatchInfo.startSequenceNumber).toBe(failure?.KinesisBatchInfo.endSequenceNumber);
    expect(payloads(JSON.parse(failure?.payload ?? '{}') as KinesisStreamEvent)).toEqual(['r-5']);
  });

  it('stops retrying at maximumRetryAttempts, records the range, and goes on with the next records', async () => {
    // Prepare
    const stream = uniqueName('esm-retry');
    const [shardId] = await createStream(stack().aws, stream);
    const bucket = uniqueName('esm-failures');
    await createBucket(stack().aws, bucket);
    await putRecords(stack().aws, stream, 3);
    const { deliveries, handler } = recorder((batch) => {
      if (batch.includes('r-1')) throw new Error('always fails');
      return undefined;
    });
    const mapping = await start({
      stream,
      handler,
      maximumRetryAttempts: 2,
      onFailure: { bucket, prefix: 'failed/' },
    });
    await mapping.waitForIdle();

    // Act
    await putRecords(stack().aws, stream, 2, 3);
    await mapping.waitForIdle();

    // Assess
    expect(deliveries).toEqual([range(0, 2), range(0, 2), range(0, 2), range(3, 4)]);
    const [failure] = await readFailureRecords(stack().aws, bucket, 'failed/');
    expect(failure?.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
    expect(failure?.KinesisBatchInfo).toMatchObject({ shardId, batchSize: 3, streamArn: mapping.streamArn });
    expect(payloads(JSON.parse(failure?.payload ?? '{}') as KinesisStreamEvent)).toEqual(range(0, 2));
    expect(Date.parse(failure?.KinesisBatchInfo.approximateArrivalOfFirstRecord ?? '')).toBeLessThanOrEqual(
      Date.parse(failure?.KinesisBatchInfo.approximateArrivalOfLastRecord ?? ''),
    );
    expect(mapping.counters).toMatchObject({
      failures: 3,
      retries: 2,
      recordsDiscarded: 3,
      sentToOnFailure: 1,
    });
  });

  it('discards records older than maximumRecordAgeInSeconds even with infinite retries', async () => {
    // Prepare: the injected clock jumps an hour ahead after the second failure.
    const stream = uniqueName('esm-age');
    await createStream(stack().aws, stream);
    const bucket = uniqueName('esm-failures');
    await createBucket(stack().aws, bucket);
    await putRecords(stack().aws, stream, 2);
    let skew = 0;
    const { deliveries, handler } = recorder((_batch, call) => {
      if (call === 2) skew = 3_600_000;
      if (call <= 2) throw new Error('not yet');
      return undefined;
    });
    const mapping = await start({
      stream,
      handler,
      maximumRecordAgeInSeconds: 60,
      onFailure: { bucket },
      now: () => Date.now() + skew,
    });
    await mapping.waitForIdle();

    // Act: a fresh record after the expired ones is still delivered.
    skew = 0;
    await putRecords(stack().aws, stream, 1, 2);
    await mapping.waitForIdle();

    // Assess
    expect(deliveries).toEqual([range(0, 1), range(0, 1), ['r-2']]);
    const [failure] = await readFailureRecords(stack().aws, bucket, '');
    expect(failure?.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 2,
    });
    expect(failure?.KinesisBatchInfo.batchSize).toBe(2);
  });

  it('resumes after a restart from its checkpoint: nothing skipped, nothing checkpointed delivered again', async () => {
    // Prepare: batch 1 succeeds; batch 2 completes r-5, r-6 and reports r-7 failed while stop() waits for it.
    const stream = uniqueName('esm-restart');
    const [shardId] = await createStream(stack().aws, stream);
    await putRecords(stack().aws, stream, 12);
    const before: string[][] = [];
    let lastDone = '';
    let secondCall: () => void = () => {};
    const secondCallStarted = new Promise<void>((resolve) => {
      secondCall = resolve;
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = await start({
      stream,
      batchSize: 5,
      reportBatchItemFailures: true,
      consumerName: 'c1',
      handler: async (event) => {
        before.push(payloads(event));
        if (before.length < 2) return undefined;
        lastDone = sequenceOf(event, 'r-6');
        secondCall();
        await gate;
        return { batchItemFailures: [{ itemIdentifier: sequenceOf(event, 'r-7') }] };
      },
    });
    await secondCallStarted;
    const stopping = first.stop();
    release();
    await stopping;
    const { Item } = await dynamoDbDocumentClient(stack().aws).send(
      new GetCommand({ TableName: checkpointTable, Key: { pk: `${stream}#c1#${shardId}` } }),
    );

    // Act
    const after = recorder();
    const second = await start({ stream, handler: after.handler, batchSize: 5, consumerName: 'c1' });
    await second.waitForIdle();
    const other = recorder();
    const fresh = await start({ stream, handler: other.handler, batchSize: 12, consumerName: 'c2' });
    await fresh.waitForIdle();

    // Assess
    expect(before).toEqual([range(0, 4), range(5, 9)]);
    expect(first.counters).toMatchObject({ batches: 2, recordsCompleted: 7 });
    expect(Item).toMatchObject({ sequenceNumber: lastDone });
    expect(after.deliveries).toEqual([range(7, 11)]);
    expect(other.deliveries).toEqual([range(0, 11)]);
  });

  it('starts at LATEST when asked, calls onIdleTick every poll interval, and stops cleanly', async () => {
    // Prepare: checkpoints kept in memory, as a throwaway mapping would.
    const stream = uniqueName('esm-latest');
    const [shardId] = await createStream(stack().aws, stream);
    await putRecords(stack().aws, stream, 3);
    let ticks = 0;
    const { deliveries, events, handler } = recorder();
    const store = new MemoryCheckpointStore();
    const mapping = await start(
      {
        stream,
        handler,
        startingPosition: 'LATEST',
        consumerName: 'memory',
        onIdleTick: async () => {
          ticks += 1;
        },
      },
      store,
    );
    await mapping.waitForIdle();

    // Act
    await putRecords(stack().aws, stream, 2, 3);
    await mapping.waitForIdle();
    const ticksBefore = ticks;
    await until('three more idle ticks', () => ticks >= ticksBefore + 3);
    await mapping.stop();
    const ticksAtStop = ticks;
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect(deliveries).toEqual([range(3, 4)]);
    expect(await store.get(`${stream}#memory#${shardId}`)).toBe(
      sequenceOf(events[0] ?? { Records: [] }, 'r-4'),
    );
    expect(ticksAtStop).toBeGreaterThanOrEqual(3);
    expect(ticks).toBe(ticksAtStop);
  });

  it('finishes a closed parent shard before reading its children after a split', async () => {
    // Prepare: five records on the parent, then a split, then five records spread over the children.
    const stream = uniqueName('esm-split');
    const [parent = ''] = await createStream(stack().aws, stream);
    await putRecords(stack().aws, stream, 5);
    const kinesis = kinesisClient(stack().aws);
    await kinesis.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: parent,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await ensureStream(kinesis, stream, 1);
    await putRecords(stack().aws, stream, 3, 5, '0');
    await putRecords(stack().aws, stream, 2, 8, (2n ** 127n + 1n).toString());
    const timeline: string[] = [];

    // Act
    const mapping = await start({
      stream,
      batchSize: 3,
      handler: async (event) => {
        for (const [index, data] of payloads(event).entries()) {
          timeline.push(`${event.Records[index]?.eventID.split(':')[0]}/${data}`);
        }
      },
    });
    await mapping.waitForIdle();

    // Assess
    const parentPart = timeline.slice(0, 5);
    expect(parentPart).toEqual(range(0, 4).map((data) => `${parent}/${data}`));
    const children = timeline.slice(5);
    expect(children.map((entry) => entry.split('/')[1]).sort()).toEqual(range(5, 9).sort());
    expect(children.every((entry) => !entry.startsWith(`${parent}/`))).toBe(true);
  });

  it('names the stream when it does not exist', async () => {
    await expect(
      start({ stream: uniqueName('esm-missing'), handler: async () => undefined }),
    ).rejects.toThrow(/esm-missing/);
  });
});
