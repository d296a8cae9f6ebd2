/**
 * One graph using the optimized SNS, SQS, DynamoDB and EventBridge integrations, run by the router behind
 * the event source mapping on the embedded stack, with a `.waitForTaskToken` task whose token travels in
 * an SQS message: a worker in the test receives it with the real SQS client and answers with
 * `router task success`, `router task failure` (taken by the graph's Catch) or nothing at all (the
 * heartbeat runs out). Every effect is read back where AWS would deliver it: the item in DynamoDB, the
 * message in the queue subscribed to the topic, the event in the queue the EventBridge rule targets.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessagingServices } from '../../../localstack/messaging.ts';
import { clientConfig, dynamoDbClient } from '../../../router/aws/clients.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { runRouterCli } from '../../support/cli.ts';
import { type RouterStack, useRouterStack } from '../support/routerStack.ts';
import { cloudEvent } from './graphs.ts';

const {
  sqs: sqsService,
  sns: snsService,
  events: eventsService,
} = createMessagingServices({
  log: { info() {}, error() {} },
});

const INTEGRATIONS = [
  'arn:aws:states:::sns:publish',
  'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
  'arn:aws:states:::dynamodb:putItem',
  'arn:aws:states:::dynamodb:getItem',
  'arn:aws:states:::dynamodb:updateItem',
  'arn:aws:states:::events:putEvents',
];

const runtime = useRouterStack({
  functions: {},
  services: [sqsService, snsService, eventsService],
  settings: { ROUTER_RESOURCE_ALLOWLIST: INTEGRATIONS.join(','), ROUTER_MAX_INPROCESS_WAIT_MS: '0' },
});

/**
 * Record the order (putItem), read it back (getItem), ask a worker through SQS and wait for its answer
 * (waitForTaskToken), mark the order approved or rejected (updateItem), tell the topic (sns:publish) and
 * announce it on the bus (events:putEvents).
 */
const GRAPH = JSON.stringify({
  StartAt: 'Record',
  States: {
    Record: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: {
        'TableName.$': '$.table',
        Item: { pk: { 'S.$': '$.orderId' }, status: { S: 'received' } },
      },
      ResultPath: null,
      Next: 'Lookup',
    },
    Lookup: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { 'TableName.$': '$.table', Key: { pk: { 'S.$': '$.orderId' } } },
      ResultSelector: { 'status.$': '$.Item.status.S' },
      ResultPath: '$.stored',
      Next: 'Ask',
    },
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
      HeartbeatSecondsPath: '$.heartbeatSeconds',
      Parameters: {
        'QueueUrl.$': '$.workQueue',
        MessageBody: {
          'orderId.$': '$.orderId',
          'stored.$': '$.stored.status',
          'taskToken.$': '$$.Task.Token',
        },
      },
      ResultPath: '$.answer',
      Catch: [
        {
          ErrorEquals: ['Worker.Rejected', 'States.HeartbeatTimeout'],
          ResultPath: '$.answer',
          Next: 'MarkRejected',
        },
      ],
      Next: 'MarkApproved',
    },
    MarkApproved: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        'TableName.$': '$.table',
        Key: { pk: { 'S.$': '$.orderId' } },
        UpdateExpression: 'SET #status = :status, approvedBy = :by',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': { S: 'approved' }, ':by': { 'S.$': '$.answer.approvedBy' } },
      },
      ResultSelector: { 'outcome.$': '$.SdkHttpMetadata.HttpStatusCode' },
      ResultPath: '$.updated',
      Next: 'Notify',
    },
    MarkRejected: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        'TableName.$': '$.table',
        Key: { pk: { 'S.$': '$.orderId' } },
        UpdateExpression: 'SET #status = :status, reason = :reason',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': { S: 'rejected' }, ':reason': { 'S.$': '$.answer.Error' } },
      },
      ResultSelector: { 'outcome.$': '$.SdkHttpMetadata.HttpStatusCode' },
      ResultPath: '$.updated',
      Next: 'Notify',
    },
    Notify: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: {
        'TopicArn.$': '$.topicArn',
        Subject: 'order settled',
        'Message.$': "States.Format('order {} settled', $.orderId)",
      },
      ResultSelector: { 'MessageId.$': '$.MessageId' },
      ResultPath: '$.published',
      Next: 'Announce',
    },
    Announce: {
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents',
      Parameters: {
        Entries: [{ Source: 'orders', DetailType: 'order.settled', Detail: { 'orderId.$': '$.orderId' } }],
      },
      ResultSelector: { 'failed.$': '$.FailedEntryCount' },
      ResultPath: '$.announced',
      End: true,
    },
  },
});

interface Fixture {
  readonly table: string;
  readonly topicArn: string;
  readonly workQueue: string;
  readonly subscriberQueue: string;
  readonly announcedQueue: string;
}

let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let fixture: Fixture;

beforeAll(async () => {
  const rt = runtime();
  const aws = rt.stack.aws;
  sqs = new SQSClient(clientConfig(aws, 'sqs'));
  dynamodb = dynamoDbClient(aws);
  const sns = new SNSClient(clientConfig(aws, 'sns'));
  const eventBridge = new EventBridgeClient(clientConfig(aws, 'eventbridge'));
  const table = 'orders';
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const queue = async (name: string): Promise<{ url: string; arn: string }> => {
    const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
  };
  const work = await queue('order-approvals');
  const subscriber = await queue('order-notifications');
  const announced = await queue('order-announcements');
  const { TopicArn = '' } = await sns.send(new CreateTopicCommand({ Name: 'orders-settled' }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: subscriber.arn }));
  await eventBridge.send(new PutRuleCommand({ Name: 'settled', EventPattern: '{"source":["orders"]}' }));
  await eventBridge.send(
    new PutTargetsCommand({ Rule: 'settled', Targets: [{ Id: 'announced', Arn: announced.arn }] }),
  );
  sns.destroy();
  eventBridge.destroy();
  await rt.publish({ source: GRAPH, file: 'orders.hjson', engine: 'orders' });
  fixture = {
    table,
    topicArn: TopicArn,
    workQueue: work.url,
    subscriberQueue: subscriber.url,
    announcedQueue: announced.url,
  };
});

afterAll(() => {
  sqs?.destroy();
  dynamodb?.destroy();
});

/** Receives the next message of a queue (long polling until one arrives) and deletes it. */
async function receive(queueUrl: string, timeoutMs = 30_000): Promise<Message> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
    );
    const [message] = Messages ?? [];
    if (message !== undefined) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      return message;
    }
  }
  throw new Error(`no message on ${queueUrl} within ${timeoutMs} ms`);
}

async function finished(rt: RouterStack, id: string, timeoutMs = 60_000): Promise<ExecutionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await rt.execution('orders', `shop/orders#${id}`);
    if (record?.status === 'SUCCEEDED' || record?.status === 'FAILED') return record;
    if (Date.now() > deadline) throw new Error(`order ${id} did not finish: ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function itemOf(orderId: string): Promise<Record<string, AttributeValue> | undefined> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({ TableName: fixture.table, Key: { pk: { S: orderId } }, ConsistentRead: true }),
  );
  return Item;
}

/** Puts an order on the stream and returns what the worker receives from the approvals queue. */
async function order(
  rt: RouterStack,
  orderId: string,
  heartbeatSeconds: number,
): Promise<{ orderId: string; stored: string; taskToken: string }> {
  await rt.put([
    {
      partitionKey: orderId,
      data: cloudEvent('orders', orderId, { orderId, heartbeatSeconds, ...fixture }),
    },
  ]);
  const message = await receive(fixture.workQueue);
  return JSON.parse(message.Body ?? '{}') as { orderId: string; stored: string; taskToken: string };
}

describe('optimized SNS, SQS, DynamoDB and EventBridge integrations with a task token through SQS', () => {
  it('hands the token to a worker through SQS, resumes on `router task success`, and delivers every effect', async () => {
    // Prepare
    const rt = runtime();
    // Act: the worker takes the message and approves
    const asked = await order(rt, 'o-1', 300);
    const answered = await runRouterCli(
      ['task', 'success', asked.taskToken, '--output', '{"approvedBy":"worker-7"}'],
      { env: rt.env },
    );
    const done = await finished(rt, 'o-1');
    const notification = await receive(fixture.subscriberQueue);
    const announcement = await receive(fixture.announcedQueue);
    // Assess
    expect(asked).toMatchObject({ orderId: 'o-1', stored: 'received' });
    expect(answered.code).toBe(0);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output ?? 'null') as Record<string, unknown>;
    expect(output).toMatchObject({
      stored: { status: 'received' },
      answer: { approvedBy: 'worker-7' },
      updated: { outcome: 200 },
      announced: { failed: 0 },
    });
    expect(await itemOf('o-1')).toEqual({
      pk: { S: 'o-1' },
      status: { S: 'approved' },
      approvedBy: { S: 'worker-7' },
    });
    // SNS wraps what it delivers to an SQS subscriber in its notification envelope
    expect(JSON.parse(notification.Body ?? '{}')).toMatchObject({
      Type: 'Notification',
      TopicArn: fixture.topicArn,
      Subject: 'order settled',
      Message: 'order o-1 settled',
      MessageId: (output.published as { MessageId: string }).MessageId,
    });
    expect(JSON.parse(announcement.Body ?? '{}')).toMatchObject({
      source: 'orders',
      'detail-type': 'order.settled',
      detail: { orderId: 'o-1' },
    });
  });

  it('takes a worker failure sent with `router task failure` through the Catch', async () => {
    // Prepare
    const rt = runtime();
    // Act
    const asked = await order(rt, 'o-2', 300);
    const answered = await runRouterCli(
      ['task', 'failure', asked.taskToken, '--error', 'Worker.Rejected', '--cause', 'out of stock'],
      { env: rt.env },
    );
    const done = await finished(rt, 'o-2');
    const notification = await receive(fixture.subscriberQueue);
    const announcement = await receive(fixture.announcedQueue);
    // Assess
    expect(answered.code).toBe(0);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({
      answer: { Error: 'Worker.Rejected', Cause: 'out of stock' },
    });
    expect(await itemOf('o-2')).toEqual({
      pk: { S: 'o-2' },
      status: { S: 'rejected' },
      reason: { S: 'Worker.Rejected' },
    });
    expect(JSON.parse(notification.Body ?? '{}')).toMatchObject({ Message: 'order o-2 settled' });
    expect(JSON.parse(announcement.Body ?? '{}')).toMatchObject({ detail: { orderId: 'o-2' } });
  });

  it('times the worker out when no heartbeat comes, and the Catch takes States.HeartbeatTimeout', async () => {
    // Prepare
    const rt = runtime();
    // Act: the worker takes the message and never answers
    const asked = await order(rt, 'o-3', 1);
    const done = await finished(rt, 'o-3');
    const late = await runRouterCli(['task', 'success', asked.taskToken, '--output', '{}'], { env: rt.env });
    // Assess
    expect(asked.orderId).toBe('o-3');
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({ answer: { Error: 'States.HeartbeatTimeout' } });
    expect(await itemOf('o-3')).toMatchObject({
      status: { S: 'rejected' },
      reason: { S: 'States.HeartbeatTimeout' },
    });
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('task-not-waiting');
    expect(JSON.parse((await receive(fixture.subscriberQueue)).Body ?? '{}')).toMatchObject({
      Message: 'order o-3 settled',
    });
  });
});
