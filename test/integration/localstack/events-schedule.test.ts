/**
 * Scheduled rules on the local EventBridge: the rule the CDK app deploys for seed 003's collection (a
 * schedule, a Kinesis target with an input transformer writing a CloudEvent) puts one record per firing
 * on the stream, each with the firing's own event id.
 */
import {
  DescribeRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { createMessagingServices } from '../../../localstack/messaging.ts';
import { clientConfig, kinesisClient } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const messaging = createMessagingServices({ log: { info() {}, error() {} } });
const stack = useLocalStack({ services: [messaging.sqs, messaging.sns, messaging.events] });

describe('scheduled rules on the local EventBridge', () => {
  it('put a CloudEvent per firing on a Kinesis stream, the event id as its id', async () => {
    // Prepare
    const events = new EventBridgeClient(clientConfig(stack().aws, 'eventbridge'));
    const kinesis = kinesisClient(stack().aws);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'router', ShardCount: 1 }));
    for (;;) {
      const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: 'router' }));
      if (StreamDescription?.StreamStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await events.send(new PutRuleCommand({ Name: 'collection', ScheduleExpression: 'cron(0 6 * * ? *)' }));
    await events.send(
      new PutTargetsCommand({
        Rule: 'collection',
        Targets: [
          {
            Id: 'stream',
            Arn: 'arn:aws:kinesis:us-east-1:000000000000:stream/router',
            KinesisParameters: { PartitionKeyPath: '$.id' },
            InputTransformer: {
              InputPathsMap: { id: '$.id', time: '$.time' },
              InputTemplate:
                '{"specversion":"1.0","id":<id>,"source":"aws.events/sql-collection","type":"sql.collection.requested","time":<time>,"data":{"queries":[]}}',
            },
          },
        ],
      }),
    );

    // Act
    const first = await messaging.events.runSchedule('collection');
    const second = await messaging.events.runSchedule('collection');
    await messaging.events.idle();

    // Assess
    expect((await events.send(new DescribeRuleCommand({ Name: 'collection' }))).ScheduleExpression).toBe(
      'cron(0 6 * * ? *)',
    );
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: 'router',
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    const put = (Records ?? []).map((r) => ({
      key: r.PartitionKey,
      event: JSON.parse(Buffer.from(r.Data ?? new Uint8Array()).toString('utf8')),
    }));
    expect(put.map((r) => [r.key, r.event.id, r.event.type])).toEqual([
      [first, first, 'sql.collection.requested'],
      [second, second, 'sql.collection.requested'],
    ]);
    expect(first).not.toBe(second);
  }, 30_000);

  it('refuses a schedule it cannot run, naming the rule and the problem', async () => {
    // Prepare
    const events = new EventBridgeClient(clientConfig(stack().aws, 'eventbridge'));

    // Act / Assess
    await expect(
      events.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: 'cron(0 6 * * * *)' })),
    ).rejects.toThrow("Rule bad: cron(0 6 * * * *): exactly one of day-of-month and day-of-week must be '?'");
  });
});
