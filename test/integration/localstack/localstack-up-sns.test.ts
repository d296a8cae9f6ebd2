/**
 * `localstack:up` shows the local SNS's email notifications: it says where to read them, and prints one
 * line for each as it arrives, so a workflow that mails operators when deployed is visible on a laptop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, it } from 'vitest';
import { up } from '../../../localstack/cli.ts';
import { clientConfig } from '../../../router/aws/clients.ts';

const saved = { ...process.env };
const directories: string[] = [];

afterAll(async () => {
  // The dev environment points this process's SDK variables at its stack, as it does for hosted steps.
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm run localstack:up and SNS email notifications', () => {
  it('says where notifications go and prints each one as it arrives', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'router-up-sns-'));
    directories.push(dataDir);
    const lines: string[] = [];
    const running = await up(
      {
        port: 0,
        host: '127.0.0.1',
        kinesis: 'kinesalite',
        shards: 1,
        services: true,
        dataDir,
        router: false,
        logFile: join(dataDir, 'router.log'),
      },
      { out: (line) => lines.push(line), err: () => {} },
    );
    const { stack } = running.environment;
    try {
      const sns = new SNSClient(clientConfig(stack.aws, 'sns'));
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'ops' }));
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));

      // Act
      await sns.send(new PublishCommand({ TopicArn, Subject: 'Batch finished', Message: 'average 42' }));

      // Assess
      expect(lines).toContain(
        `SNS email notifications are printed here as 'sns: email to ...' lines; read them in full at GET ${stack.endpoint}/_local/sns/messages and ${join(dataDir, 'sns', 'inbox.jsonl')}`,
      );
      expect(lines).toContain(`sns: email to ops@example.com: Batch finished (${TopicArn})`);
    } finally {
      await running.stop();
    }
  });
});
