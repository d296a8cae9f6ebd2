import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  NotFoundException,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createLambdaHost } from '../../../localstack/lambda/index.ts';
import { createMessagingServices } from '../../../localstack/messaging.ts';
import type { EmailNotification } from '../../../localstack/sns/index.ts';
import { clientConfig } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const emails: EmailNotification[] = [];
const {
  sqs: sqsEmulator,
  sns: snsEmulator,
  events,
} = createMessagingServices({
  onEmail: (notification) => emails.push(notification),
});
let lambdaEvent: (event: unknown) => void = () => undefined;
const lambdaHost = createLambdaHost({
  catalog: [],
  functions: {
    notified: async (event) => {
      lambdaEvent(event);
      return null;
    },
  },
});
const stack = useLocalStack({ services: [sqsEmulator, snsEmulator, events, lambdaHost] });

function sns(): SNSClient {
  return new SNSClient(clientConfig(stack().aws, 'sns'));
}

function sqs(): SQSClient {
  return new SQSClient(clientConfig(stack().aws, 'sqs'));
}

async function topic(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const { TopicArn } = await sns().send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
  if (TopicArn === undefined) throw new Error(`CreateTopic ${name} returned no TopicArn`);
  return TopicArn;
}

async function queue(
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { url: QueueUrl ?? '', arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
}

/** Every message the queue holds now (it was filled before the call: publish delivers to queues first). */
async function drain(url: string): Promise<Message[]> {
  const { Messages } = await sqs().send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

describe('SNS through the edge with the AWS SDK (query protocol)', () => {
  it('creates and lists topics, idempotently', async () => {
    // Act
    const arn = await topic('alerts');
    const again = await topic('alerts');
    const { Topics } = await sns().send(new ListTopicsCommand({}));

    // Assess
    expect(arn).toBe('arn:aws:sns:us-east-1:000000000000:alerts');
    expect(again).toBe(arn);
    expect(Topics).toContainEqual({ TopicArn: arn });
  });

  it('fans a publish out to queues: the envelope where the filter policy matches, the raw message everywhere else', async () => {
    // Prepare
    const topicArn = await topic('orders');
    const filtered = await queue('orders-placed');
    const raw = await queue('orders-raw');
    await sns().send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: filtered.arn,
        Attributes: {
          FilterPolicy: JSON.stringify({ kind: [{ prefix: 'order.' }], amount: [{ numeric: ['>=', 100] }] }),
        },
      }),
    );
    await sns().send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: raw.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );

    // Act
    const big = await sns().send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Order placed',
        Message: '{"orderId":"o-1"}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'order.placed' },
          amount: { DataType: 'Number', StringValue: '250' },
        },
      }),
    );
    await sns().send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"orderId":"o-2"}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'order.placed' },
          amount: { DataType: 'Number', StringValue: '5' },
        },
      }),
    );
    const filteredMessages = await drain(filtered.url);
    const rawMessages = await drain(raw.url);

    // Assess
    expect(filteredMessages).toHaveLength(1);
    const envelope = JSON.parse(filteredMessages[0]?.Body ?? '{}') as Record<string, unknown>;
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId: big.MessageId,
      TopicArn: topicArn,
      Subject: 'Order placed',
      Message: '{"orderId":"o-1"}',
      SignatureVersion: '1',
      MessageAttributes: {
        kind: { Type: 'String', Value: 'order.placed' },
        amount: { Type: 'Number', Value: '250' },
      },
    });
    expect(typeof envelope.Timestamp).toBe('string');
    expect(rawMessages.map((message) => message.Body)).toEqual(['{"orderId":"o-1"}', '{"orderId":"o-2"}']);
    expect(rawMessages[1]?.MessageAttributes?.amount).toEqual({ DataType: 'Number', StringValue: '5' });
  });

  it('filters on the message body with FilterPolicyScope MessageBody', async () => {
    // Prepare
    const topicArn = await topic('body-filtered');
    const target = await queue('body-filtered-eu');
    await sns().send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: target.arn,
        Attributes: {
          RawMessageDelivery: 'true',
          FilterPolicyScope: 'MessageBody',
          FilterPolicy: JSON.stringify({ customer: { region: [{ 'anything-but': ['us-east-1'] }] } }),
        },
      }),
    );

    // Act
    for (const region of ['eu-west-1', 'us-east-1']) {
      await sns().send(
        new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ customer: { region } }) }),
      );
    }
    const messages = await drain(target.url);

    // Assess
    expect(messages.map((message) => message.Body)).toEqual(['{"customer":{"region":"eu-west-1"}}']);
  });

  it('refuses an invalid filter policy, naming the operator', async () => {
    // Prepare
    const topicArn = await topic('bad-policy');

    // Act
    const error = await sns()
      .send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: 'arn:aws:sqs:us-east-1:000000000000:any',
          Attributes: { FilterPolicy: JSON.stringify({ kind: [{ 'starts-with': 'x' }] }) },
        }),
      )
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect((error as Error).message).toContain("unknown operator 'starts-with'");
  });

  it('delivers email subscriptions to the inbox, readable in-process and from GET /_local/sns/messages', async () => {
    // Prepare
    const topicArn = await topic('ops-notifications');
    await sns().send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }),
    );
    await sns().send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email-json', Endpoint: 'robot@example.com' }),
    );

    // Act
    const { MessageId } = await sns().send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Batch finished',
        Message: 'The batch average is 42.',
      }),
    );
    const response = await fetch(`${stack().endpoint}/_local/sns/messages?to=ops@example.com`);
    const served = (await response.json()) as { messages: EmailNotification[] };

    // Assess
    expect(served.messages).toEqual([
      expect.objectContaining({
        messageId: MessageId,
        to: 'ops@example.com',
        protocol: 'email',
        topicArn,
        subject: 'Batch finished',
        body: 'The batch average is 42.',
      }),
    ]);
    const robot = snsEmulator.inbox.list({ to: 'robot@example.com' });
    expect(JSON.parse(robot[0]?.body ?? '{}')).toMatchObject({
      Type: 'Notification',
      Message: 'The batch average is 42.',
    });
    expect(emails.map((email) => email.to)).toEqual(['ops@example.com', 'robot@example.com']);
  });

  it('invokes a Lambda subscription asynchronously with the SNS event', async () => {
    // Prepare
    const topicArn = await topic('to-lambda');
    const subscription = await sns().send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'lambda',
        Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:notified',
      }),
    );
    const delivered = new Promise<unknown>((resolve) => {
      lambdaEvent = resolve;
    });

    // Act
    const { MessageId } = await sns().send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'hello',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' } },
      }),
    );
    const event = await delivered;

    // Assess
    expect(event).toMatchObject({
      Records: [
        {
          EventSource: 'aws:sns',
          EventSubscriptionArn: subscription.SubscriptionArn,
          Sns: {
            Type: 'Notification',
            MessageId,
            TopicArn: topicArn,
            Subject: null,
            Message: 'hello',
            MessageAttributes: { kind: { Type: 'String', Value: 'greeting' } },
          },
        },
      ],
    });
  });

  it('carries FIFO topics into FIFO queues in order with the group id, and drops a repeated deduplication id', async () => {
    // Prepare
    const topicArn = await topic('payments.fifo', { FifoTopic: 'true', ContentBasedDeduplication: 'true' });
    const target = await queue('payments.fifo', { FifoQueue: 'true' });
    await sns().send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: target.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );

    // Act
    const first = await sns().send(
      new PublishCommand({ TopicArn: topicArn, Message: 'p-1', MessageGroupId: 'c-1' }),
    );
    const repeat = await sns().send(
      new PublishCommand({ TopicArn: topicArn, Message: 'p-1', MessageGroupId: 'c-1' }),
    );
    await sns().send(new PublishCommand({ TopicArn: topicArn, Message: 'p-2', MessageGroupId: 'c-1' }));
    const missingGroup = await sns()
      .send(new PublishCommand({ TopicArn: topicArn, Message: 'p-3' }))
      .catch((caught: unknown) => caught);
    const { Attributes } = await sqs().send(
      new GetQueueAttributesCommand({
        QueueUrl: target.url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    const messages = await drain(target.url);

    // Assess
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    expect(repeat.MessageId).toBe(first.MessageId);
    expect(missingGroup).toBeInstanceOf(InvalidParameterException);
    expect(Attributes?.ApproximateNumberOfMessages).toBe('2');
    expect(messages.map((message) => [message.Body, message.Attributes?.MessageGroupId])).toEqual([
      ['p-1', 'c-1'],
      ['p-2', 'c-1'],
    ]);
  });

  it('publishes batches, lists and removes subscriptions, deletes topics', async () => {
    // Prepare
    const topicArn = await topic('lifecycle');
    const target = await queue('lifecycle-raw');
    const { SubscriptionArn } = await sns().send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: target.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );

    // Act
    const batch = await sns().send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: [
          { Id: 'one', Message: 'first' },
          { Id: 'two', Message: '' },
          { Id: 'three', Message: 'third' },
        ],
      }),
    );
    const byTopic = await sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
    const attributes = await sns().send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
    await sns().send(new UnsubscribeCommand({ SubscriptionArn }));
    const all = await sns().send(new ListSubscriptionsCommand({}));
    await sns().send(new DeleteTopicCommand({ TopicArn: topicArn }));
    const afterDelete = await sns()
      .send(new PublishCommand({ TopicArn: topicArn, Message: 'nobody' }))
      .catch((caught: unknown) => caught);

    // Assess
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['one', 'three']);
    expect(batch.Failed).toEqual([
      expect.objectContaining({ Id: 'two', Code: 'InvalidParameter', SenderFault: true }),
    ]);
    expect((await drain(target.url)).map((message) => message.Body)).toEqual(['first', 'third']);
    expect(byTopic.Subscriptions).toEqual([
      { SubscriptionArn, Owner: '000000000000', Protocol: 'sqs', Endpoint: target.arn, TopicArn: topicArn },
    ]);
    expect(attributes.Attributes).toMatchObject({ RawMessageDelivery: 'true', PendingConfirmation: 'false' });
    expect(all.Subscriptions?.some((subscription) => subscription.SubscriptionArn === SubscriptionArn)).toBe(
      false,
    );
    expect(afterDelete).toBeInstanceOf(NotFoundException);
  });
});
