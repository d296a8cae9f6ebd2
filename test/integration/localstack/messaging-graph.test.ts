/**
 * A workflow graph that publishes to SNS, sends to SQS and puts an EventBridge event through the SDK
 * integrations (`arn:aws:states:::aws-sdk:sns:publish`, ...) runs against the local stack as it would
 * deployed: `router engine run`, nothing changed, and each message arrives where AWS would deliver it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessagingServices } from '../../../localstack/messaging.ts';
import { clientConfig } from '../../../router/aws/clients.ts';
import { runRouterCli } from '../../support/cli.ts';
import { useLocalStack } from '../support/stack.ts';

const { sqs: sqsEmulator, sns: snsEmulator, events } = createMessagingServices();
const stack = useLocalStack({ services: [sqsEmulator, snsEmulator, events] });
const directories: string[] = [];

afterAll(async () => {
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

const GRAPH = `{
  StartAt: Notify
  States: {
    Notify: {
      Type: Task
      Resource: arn:aws:states:::aws-sdk:sns:publish
      Parameters: { "TopicArn.$": "$.topicArn", Subject: "Batch finished", "Message.$": "$.text" }
      ResultPath: $.published
      Next: Enqueue
    }
    Enqueue: {
      Type: Task
      Resource: arn:aws:states:::aws-sdk:sqs:sendMessage
      Parameters: { "QueueUrl.$": "$.queueUrl", "MessageBody.$": "$.text" }
      ResultPath: $.sent
      Next: Announce
    }
    Announce: {
      Type: Task
      Resource: arn:aws:states:::aws-sdk:eventbridge:putEvents
      Parameters: { Entries: [{ Source: "batch", DetailType: "batch.finished", "Detail.$": "States.JsonToString($.published)" }] }
      End: true
    }
  }
}`;

describe('a graph calling SNS, SQS and EventBridge through SDK integrations', () => {
  it('runs locally with `router engine run` and delivers to the inbox, the queue and the rule target', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'router-messaging-graph-'));
    directories.push(dir);
    const graph = join(dir, 'notify.hjson');
    await writeFile(graph, GRAPH);
    const { aws, env } = stack();
    const sns = new SNSClient(clientConfig(aws, 'sns'));
    const sqs = new SQSClient(clientConfig(aws, 'sqs'));
    const eventBridge = new EventBridgeClient(clientConfig(aws, 'eventbridge'));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'batch-results' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    const { QueueUrl: work } = await sqs.send(new CreateQueueCommand({ QueueName: 'work' }));
    const { QueueUrl: announced } = await sqs.send(new CreateQueueCommand({ QueueName: 'announced' }));
    await eventBridge.send(new PutRuleCommand({ Name: 'finished', EventPattern: '{"source":["batch"]}' }));
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: 'finished',
        Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:announced', InputPath: '$.detail' }],
      }),
    );

    // Act
    const run = await runRouterCli(
      [
        'engine',
        'run',
        graph,
        '--input',
        JSON.stringify({ topicArn: TopicArn, queueUrl: work, text: 'average 42' }),
        '--allow',
        'arn:aws:states:::aws-sdk:*',
      ],
      { env },
    );
    const queued = await sqs.send(new ReceiveMessageCommand({ QueueUrl: work }));
    const announcement = await sqs.send(new ReceiveMessageCommand({ QueueUrl: announced }));

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'SUCCEEDED', output: { FailedEntryCount: 0 } });
    const [email] = snsEmulator.inbox.list({ to: 'ops@example.com' });
    expect(email).toMatchObject({ subject: 'Batch finished', body: 'average 42', topicArn: TopicArn });
    expect(queued.Messages?.map((message) => message.Body)).toEqual(['average 42']);
    expect(announcement.Messages?.map((message) => JSON.parse(message.Body ?? '{}'))).toEqual([
      { MessageId: email?.messageId },
    ]);
  });
});
