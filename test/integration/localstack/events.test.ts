import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createLambdaHost } from '../../../localstack/lambda/index.ts';
import { createMessagingServices } from '../../../localstack/messaging.ts';
import { clientConfig, kinesisClient } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const { sqs: sqsEmulator, sns: snsEmulator, events: eventsEmulator } = createMessagingServices();
let lambdaEvent: (event: unknown) => void = () => undefined;
const lambdaHost = createLambdaHost({
  catalog: [],
  functions: {
    onOrder: async (event) => {
      lambdaEvent(event);
      return null;
    },
  },
});
const stack = useLocalStack({ services: [sqsEmulator, snsEmulator, eventsEmulator, lambdaHost] });

function eventBridge(): EventBridgeClient {
  return new EventBridgeClient(clientConfig(stack().aws, 'eventbridge'));
}

function sqs(): SQSClient {
  return new SQSClient(clientConfig(stack().aws, 'sqs'));
}

async function queue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: name }));
  return { url: QueueUrl ?? '', arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
}

async function drain(url: string): Promise<Message[]> {
  const { Messages } = await sqs().send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
  );
  return Messages ?? [];
}

const orderPlaced = (orderId: string, amount: number, bus?: string) => ({
  Source: 'shop',
  DetailType: 'order.placed',
  Detail: JSON.stringify({ orderId, amount }),
  ...(bus === undefined ? {} : { EventBusName: bus }),
});

describe('EventBridge through the edge with the AWS SDK (JSON 1.1 protocol)', () => {
  it('routes the events a rule matches to an SQS target, in the EventBridge event shape', async () => {
    // Prepare
    const { EventBusArn } = await eventBridge().send(new CreateEventBusCommand({ Name: 'orders' }));
    const target = await queue('big-orders');
    await eventBridge().send(
      new PutRuleCommand({
        Name: 'big-orders',
        EventBusName: 'orders',
        EventPattern: JSON.stringify({
          source: ['shop'],
          'detail-type': ['order.placed'],
          detail: { amount: [{ numeric: ['>', 100] }] },
        }),
      }),
    );
    const targets = await eventBridge().send(
      new PutTargetsCommand({
        Rule: 'big-orders',
        EventBusName: 'orders',
        Targets: [{ Id: 'q', Arn: target.arn }],
      }),
    );

    // Act
    const put = await eventBridge().send(
      new PutEventsCommand({
        Entries: [
          orderPlaced('o-1', 250, 'orders'),
          orderPlaced('o-2', 5, 'orders'),
          orderPlaced('o-3', 900),
        ],
      }),
    );
    const messages = await drain(target.url);

    // Assess
    expect(EventBusArn).toBe('arn:aws:events:us-east-1:000000000000:event-bus/orders');
    expect(targets.FailedEntryCount).toBe(0);
    expect(put.FailedEntryCount).toBe(0);
    expect(put.Entries?.map((entry) => typeof entry.EventId)).toEqual(['string', 'string', 'string']);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]?.Body ?? '{}')).toEqual({
      version: '0',
      id: put.Entries?.[0]?.EventId,
      'detail-type': 'order.placed',
      source: 'shop',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: [],
      detail: { orderId: 'o-1', amount: 250 },
    });
  });

  it("puts matched events on a Kinesis stream, keyed by the target's PartitionKeyPath", async () => {
    // Prepare
    const kinesis = kinesisClient(stack().aws);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'order-events', ShardCount: 1 }));
    await eventBridge().send(
      new PutRuleCommand({ Name: 'to-stream', EventPattern: JSON.stringify({ source: ['shop'] }) }),
    );
    await eventBridge().send(
      new PutTargetsCommand({
        Rule: 'to-stream',
        Targets: [
          {
            Id: 'stream',
            Arn: 'arn:aws:kinesis:us-east-1:000000000000:stream/order-events',
            KinesisParameters: { PartitionKeyPath: '$.detail.orderId' },
          },
        ],
      }),
    );

    // Act
    const put = await eventBridge().send(new PutEventsCommand({ Entries: [orderPlaced('o-9', 12)] }));
    await eventsEmulator.idle();
    const { StreamDescription } = await kinesis.send(
      new DescribeStreamCommand({ StreamName: 'order-events' }),
    );
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: 'order-events',
        ShardId: StreamDescription?.Shards?.[0]?.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));

    // Assess
    expect(Records).toHaveLength(1);
    expect(Records?.[0]?.PartitionKey).toBe('o-9');
    const event = JSON.parse(Buffer.from(Records?.[0]?.Data ?? []).toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(event).toMatchObject({ id: put.Entries?.[0]?.EventId, detail: { orderId: 'o-9', amount: 12 } });
  });

  it('shapes what a target receives with InputPath and InputTransformer', async () => {
    // Prepare
    const detailOnly = await queue('detail-only');
    const templated = await queue('templated');
    await eventBridge().send(
      new PutRuleCommand({
        Name: 'shaped',
        EventPattern: JSON.stringify({ 'detail-type': ['order.shipped'] }),
      }),
    );
    await eventBridge().send(
      new PutTargetsCommand({
        Rule: 'shaped',
        Targets: [
          { Id: 'path', Arn: detailOnly.arn, InputPath: '$.detail' },
          {
            Id: 'template',
            Arn: templated.arn,
            InputTransformer: {
              InputPathsMap: { order: '$.detail.orderId', amount: '$.detail.amount' },
              InputTemplate: '{"text": "order <order> shipped", "amount": <amount>}',
            },
          },
        ],
      }),
    );

    // Act
    await eventBridge().send(
      new PutEventsCommand({
        Entries: [{ Source: 'shop', DetailType: 'order.shipped', Detail: '{"orderId":"o-5","amount":7}' }],
      }),
    );

    // Assess
    expect((await drain(detailOnly.url)).map((message) => message.Body)).toEqual([
      '{"orderId":"o-5","amount":7}',
    ]);
    expect((await drain(templated.url)).map((message) => JSON.parse(message.Body ?? '{}'))).toEqual([
      { text: 'order o-5 shipped', amount: 7 },
    ]);
  });

  it('invokes a Lambda target asynchronously with the event', async () => {
    // Prepare
    await eventBridge().send(
      new PutRuleCommand({
        Name: 'to-lambda',
        EventPattern: JSON.stringify({ 'detail-type': ['order.refunded'] }),
      }),
    );
    await eventBridge().send(
      new PutTargetsCommand({
        Rule: 'to-lambda',
        Targets: [{ Id: 'fn', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:onOrder' }],
      }),
    );
    const delivered = new Promise<unknown>((resolve) => {
      lambdaEvent = resolve;
    });

    // Act
    await eventBridge().send(
      new PutEventsCommand({
        Entries: [{ Source: 'shop', DetailType: 'order.refunded', Detail: '{"orderId":"o-7"}' }],
      }),
    );

    // Assess
    expect(await delivered).toMatchObject({ 'detail-type': 'order.refunded', detail: { orderId: 'o-7' } });
  });

  it('reports a malformed entry without failing the others', async () => {
    // Act
    const put = await eventBridge().send(
      new PutEventsCommand({
        Entries: [
          { Source: 'shop', DetailType: 'x', Detail: 'not json' },
          { Source: 'shop', DetailType: 'x', Detail: '{}', EventBusName: 'no-such-bus' },
          { Source: 'shop', DetailType: 'x', Detail: '{}' },
        ],
      }),
    );

    // Assess
    expect(put.FailedEntryCount).toBe(2);
    expect(put.Entries?.[0]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(put.Entries?.[1]).toMatchObject({ ErrorCode: 'ResourceNotFoundException' });
    expect(put.Entries?.[2]?.EventId).toEqual(expect.any(String));
  });

  it('lists rules and targets, removes targets, and deletes a rule only once it has none', async () => {
    // Prepare
    const target = await queue('lifecycle-events');
    await eventBridge().send(
      new PutRuleCommand({ Name: 'lifecycle', EventPattern: JSON.stringify({ source: ['lifecycle'] }) }),
    );
    await eventBridge().send(
      new PutTargetsCommand({ Rule: 'lifecycle', Targets: [{ Id: 't', Arn: target.arn }] }),
    );

    // Act
    const { Rules } = await eventBridge().send(new ListRulesCommand({ NamePrefix: 'life' }));
    const { Targets } = await eventBridge().send(new ListTargetsByRuleCommand({ Rule: 'lifecycle' }));
    const refused = await eventBridge()
      .send(new DeleteRuleCommand({ Name: 'lifecycle' }))
      .catch((caught: unknown) => caught);
    await eventBridge().send(new RemoveTargetsCommand({ Rule: 'lifecycle', Ids: ['t'] }));
    await eventBridge().send(new DeleteRuleCommand({ Name: 'lifecycle' }));
    const after = await eventBridge().send(new ListRulesCommand({ NamePrefix: 'life' }));

    // Assess
    expect(Rules).toEqual([
      expect.objectContaining({
        Name: 'lifecycle',
        Arn: 'arn:aws:events:us-east-1:000000000000:rule/lifecycle',
        State: 'ENABLED',
        EventBusName: 'default',
      }),
    ]);
    expect(Targets).toEqual([{ Id: 't', Arn: target.arn }]);
    expect(refused).toMatchObject({
      name: 'ValidationException',
      message: "Rule can't be deleted since it has targets.",
    });
    expect(after.Rules).toEqual([]);
  });

  it('refuses an invalid event pattern, naming the field', async () => {
    // Act
    const error = await eventBridge()
      .send(
        new PutRuleCommand({
          Name: 'bad',
          EventPattern: JSON.stringify({ detail: { amount: [{ numeric: ['>'] }] } }),
        }),
      )
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(InvalidEventPatternException);
    expect((error as Error).message).toContain('amount');
  });
});
