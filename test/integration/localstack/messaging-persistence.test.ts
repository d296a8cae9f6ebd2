/**
 * A stack started on a data directory keeps its queues and their messages, its topics, subscriptions and
 * email inbox, and its buses, rules and targets across a stop and a start.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessagingServices } from '../../../localstack/messaging.ts';
import type { EmailNotification } from '../../../localstack/sns/index.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import { clientConfig } from '../../../router/aws/clients.ts';

const directories: string[] = [];
const silent = { info() {}, error() {} };

afterAll(async () => {
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

function start(dataDir: string): Promise<LocalStack> {
  const { sqs, sns, events } = createMessagingServices({ dataDir, log: silent });
  return startLocalStack({ port: 0, dataDir, services: [sqs, sns, events] });
}

describe('messaging services on a data directory', () => {
  it('find their queues, messages, topics, subscriptions, inbox and rules after a restart', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'router-messaging-'));
    directories.push(dataDir);
    const first = await start(dataDir);
    const queueArn = 'arn:aws:sqs:us-east-1:000000000000:kept';
    let topicArn: string | undefined;
    try {
      const sqs = new SQSClient(clientConfig(first.aws, 'sqs'));
      const sns = new SNSClient(clientConfig(first.aws, 'sns'));
      const events = new EventBridgeClient(clientConfig(first.aws, 'eventbridge'));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'kept' }));
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'before the restart' }));
      topicArn = (await sns.send(new CreateTopicCommand({ Name: 'kept-topic' }))).TopicArn;
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          Attributes: { RawMessageDelivery: 'true' },
        }),
      );
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }),
      );
      await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: 'first', Message: 'mailed before' }));
      await events.send(new CreateEventBusCommand({ Name: 'kept-bus' }));
      await events.send(
        new PutRuleCommand({
          Name: 'kept-rule',
          EventBusName: 'kept-bus',
          EventPattern: '{"source":["kept"]}',
        }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: 'kept-rule',
          EventBusName: 'kept-bus',
          Targets: [{ Id: 'queue', Arn: queueArn, InputPath: '$.detail.text' }],
        }),
      );
    } finally {
      await first.stop();
    }

    // Act
    const second = await start(dataDir);
    let received: (string | undefined)[] = [];
    let targets: unknown;
    let inbox: EmailNotification[] = [];
    try {
      const sqs = new SQSClient(clientConfig(second.aws, 'sqs'));
      const sns = new SNSClient(clientConfig(second.aws, 'sns'));
      const events = new EventBridgeClient(clientConfig(second.aws, 'eventbridge'));
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'published after' }));
      await events.send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: 'kept-bus', Source: 'kept', DetailType: 'x', Detail: '{"text":"routed after"}' },
          ],
        }),
      );
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: `${second.endpoint}/000000000000/kept`,
          MaxNumberOfMessages: 10,
        }),
      );
      received = Messages.map((message) => message.Body);
      targets = (
        await events.send(new ListTargetsByRuleCommand({ Rule: 'kept-rule', EventBusName: 'kept-bus' }))
      ).Targets;
      const served = (await (await fetch(`${second.endpoint}/_local/sns/messages`)).json()) as {
        messages: EmailNotification[];
      };
      inbox = served.messages;
    } finally {
      await second.stop();
    }
    const file = await readFile(join(dataDir, 'sns', 'inbox.jsonl'), 'utf8');

    // Assess
    expect(received).toEqual(['before the restart', 'mailed before', 'published after', '"routed after"']);
    expect(targets).toEqual([{ Id: 'queue', Arn: queueArn, InputPath: '$.detail.text' }]);
    expect(inbox.map((message) => [message.subject, message.body])).toEqual([
      ['first', 'mailed before'],
      ['AWS Notification Message', 'published after'],
    ]);
    expect(
      file
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as EmailNotification).body),
    ).toEqual(['mailed before', 'published after']);
  });
});
