import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createSqsEmulator, md5OfMessageAttributes } from '../../../localstack/sqs/index.ts';
import { clientConfig } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack({ services: [createSqsEmulator()] });

function sqs(): SQSClient {
  return new SQSClient(clientConfig(stack().aws, 'sqs'));
}

async function queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (QueueUrl === undefined) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

async function counts(url: string): Promise<Record<string, string>> {
  const { Attributes } = await sqs().send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return Attributes ?? {};
}

describe('SQS through the edge with the AWS SDK (JSON 1.0 protocol)', () => {
  it('creates, finds and lists queues by URL, idempotently', async () => {
    // Act
    const url = await queue('orders');
    const again = await queue('orders');
    const { QueueUrl } = await sqs().send(new GetQueueUrlCommand({ QueueName: 'orders' }));
    const { QueueUrls } = await sqs().send(new ListQueuesCommand({ QueueNamePrefix: 'ord' }));

    // Assess
    expect(url).toBe(`${stack().endpoint}/000000000000/orders`);
    expect(again).toBe(url);
    expect(QueueUrl).toBe(url);
    expect(QueueUrls).toEqual([url]);
  });

  it('answers QueueDoesNotExist for an unknown queue', async () => {
    // Act
    const error = await sqs()
      .send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' }))
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(QueueDoesNotExist);
    expect((error as QueueDoesNotExist).message).toContain('no-such-queue');
  });

  it('round-trips a message with attributes, their digests and system attributes, then deletes it', async () => {
    // Prepare
    const url = await queue('round-trip');
    const attributes = {
      kind: { DataType: 'String', StringValue: 'order.placed' },
      amount: { DataType: 'Number', StringValue: '42' },
      raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    };

    // Act
    const sent = await sqs().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"orderId":"o-1"}',
        MessageAttributes: attributes,
      }),
    );
    const afterSend = await counts(url);
    const { Messages } = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
    );
    const inFlight = await counts(url);
    const message = Messages?.[0];
    await sqs().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
    const afterDelete = await counts(url);

    // Assess
    expect(sent.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({
        kind: { DataType: 'String', StringValue: 'order.placed' },
        amount: { DataType: 'Number', StringValue: '42' },
        raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') },
      }),
    );
    expect(Messages).toHaveLength(1);
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.Body).toBe('{"orderId":"o-1"}');
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'order.placed' });
    expect(Buffer.from(message?.MessageAttributes?.raw?.BinaryValue ?? []).toString('hex')).toBe('010203');
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    expect(afterSend.ApproximateNumberOfMessages).toBe('1');
    expect(inFlight).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    expect(afterDelete).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('hides a received message for its visibility timeout; a long poll gets it back when the timeout ends', async () => {
    // Prepare
    const url = await queue('visibility');
    await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'once more' }));
    const first = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));

    // Act
    const hidden = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url }));
    const again = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        WaitTimeSeconds: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );

    // Assess
    expect(first.Messages).toHaveLength(1);
    expect(hidden.Messages).toBeUndefined();
    expect(again.Messages?.[0]?.MessageId).toBe(first.Messages?.[0]?.MessageId);
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(again.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
  });

  it('makes an in-flight message visible at once with ChangeMessageVisibility 0', async () => {
    // Prepare
    const url = await queue('change-visibility');
    await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'back' }));
    const first = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 600 }));

    // Act
    await sqs().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url }));

    // Assess
    expect(again.Messages?.[0]?.Body).toBe('back');
  });

  it('wakes a waiting long poll when a message is sent', async () => {
    // Prepare
    const url = await queue('long-poll');
    const started = performance.now();
    const waiting = sqs().send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));

    // Act
    await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    const { Messages } = await waiting;

    // Assess
    expect(Messages?.[0]?.Body).toBe('wake up');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('holds a delayed message back until its delay ends', async () => {
    // Prepare
    const url = await queue('delayed');

    // Act
    await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    const whileDelayed = await counts(url);
    const { Messages } = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));

    // Assess
    expect(whileDelayed).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '1',
    });
    expect(Messages?.[0]?.Body).toBe('later');
  });

  it('sends, receives up to MaxNumberOfMessages and deletes in batches, failing only the bad entries', async () => {
    // Prepare
    const url = await queue('batches');

    // Act
    const sent = await sqs().send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: 'one' },
          { Id: 'b', MessageBody: 'two' },
          { Id: 'c', MessageBody: 'three', DelaySeconds: 901 },
        ],
      }),
    );
    const { Messages } = await sqs().send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    const deleted = await sqs().send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: (Messages ?? []).map((message, index) => ({
          Id: `m${index}`,
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );

    // Assess
    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['a', 'b']);
    expect(sent.Failed).toEqual([
      expect.objectContaining({ Id: 'c', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    expect(Messages?.map((message) => message.Body)).toEqual(['one', 'two']);
    expect(deleted.Successful).toHaveLength(2);
    expect((await counts(url)).ApproximateNumberOfMessages).toBe('0');
  });

  it('purges and deletes a queue', async () => {
    // Prepare
    const url = await queue('to-delete');
    await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'gone' }));

    // Act
    await sqs().send(new PurgeQueueCommand({ QueueUrl: url }));
    const purged = await counts(url);
    await sqs().send(new DeleteQueueCommand({ QueueUrl: url }));
    const error = await sqs()
      .send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))
      .catch((caught: unknown) => caught);

    // Assess
    expect(purged.ApproximateNumberOfMessages).toBe('0');
    expect(error).toBeInstanceOf(QueueDoesNotExist);
  });

  it('moves a message received maxReceiveCount times to the dead-letter queue', async () => {
    // Prepare
    const dlqUrl = await queue('orders-dlq');
    const url = await queue('orders-redriven', {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:orders-dlq',
        maxReceiveCount: 1,
      }),
    });
    await sqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));

    // Act
    const second = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url }));
    const dead = await sqs().send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }));

    // Assess
    expect(second.Messages).toBeUndefined();
    expect(dead.Messages?.[0]?.Body).toBe('poison');
  });
});

describe('SQS FIFO queues', () => {
  it('delivers a group in order and holds it back while one of its messages is in flight', async () => {
    // Prepare
    const url = await queue('ordered.fifo', { FifoQueue: 'true' });
    for (const [body, group] of [
      ['a1', 'a'],
      ['b1', 'b'],
      ['a2', 'a'],
    ] as const) {
      await sqs().send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: body,
        }),
      );
    }

    // Act
    const first = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    const whileAInFlight = await sqs().send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    await sqs().send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );
    const afterDelete = await sqs().send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber'],
      }),
    );

    // Assess
    expect(first.Messages?.map((message) => message.Body)).toEqual(['a1']);
    expect(whileAInFlight.Messages?.map((message) => message.Body)).toEqual(['b1']);
    expect(afterDelete.Messages?.map((message) => message.Body)).toEqual(['a2']);
    expect(afterDelete.Messages?.[0]?.Attributes?.MessageGroupId).toBe('a');
    expect(afterDelete.Messages?.[0]?.Attributes?.SequenceNumber).toMatch(/^\d{20}$/);
  });

  it('drops a repeated deduplication id, explicit or from the content, and answers with the first message id', async () => {
    // Prepare
    const url = await queue('dedup.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });

    // Act
    const first = await sqs().send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }),
    );
    const repeat = await sqs().send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }),
    );
    const explicit = await sqs().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'other',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd-1',
      }),
    );
    const explicitRepeat = await sqs().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'changed',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd-1',
      }),
    );
    const visible = await counts(url);

    // Assess
    expect(repeat.MessageId).toBe(first.MessageId);
    expect(explicitRepeat.MessageId).toBe(explicit.MessageId);
    expect(visible.ApproximateNumberOfMessages).toBe('2');
  });

  it('refuses a message without a group id, naming the parameter', async () => {
    // Prepare
    const url = await queue('needs-group.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });

    // Act
    const error = await sqs()
      .send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'MissingParameter' });
    expect((error as Error).message).toContain('MessageGroupId');
  });
});

describe('SQS query protocol', () => {
  it('serves SendMessage and ReceiveMessage as form requests with XML answers', async () => {
    // Prepare
    const url = await queue('query-protocol');
    const post = (form: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization:
            'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: new URLSearchParams({ Version: '2012-11-05', ...form }).toString(),
      });

    // Act
    const sent = await post({
      Action: 'SendMessage',
      MessageBody: 'from a form',
      'MessageAttribute.1.Name': 'kind',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'legacy',
    });
    const received = await post({ Action: 'ReceiveMessage', 'MessageAttributeName.1': 'All' });
    const missing = await post({ Action: 'GetQueueUrl', QueueName: 'absent' });

    // Assess
    const sentXml = await sent.text();
    const receivedXml = await received.text();
    expect(sent.status).toBe(200);
    expect(sentXml).toContain('<MD5OfMessageBody>');
    expect(receivedXml).toContain('<Body>from a form</Body>');
    expect(receivedXml).toContain(
      '<MessageAttribute><Name>kind</Name><Value><DataType>String</DataType><StringValue>legacy</StringValue></Value></MessageAttribute>',
    );
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
  });
});
