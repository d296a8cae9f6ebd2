import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { describe, expect, it } from 'vitest';
import { buildApp, SCHEDULED_QUERIES } from '../../../infra/app.ts';
import { SqlCollectionSchedule } from '../../../infra/constructs/SqlCollectionSchedule.ts';

function synth(email?: string): Template {
  const stack = new Stack(new App(), 'Schedule');
  new SqlCollectionSchedule(stack, 'SqlCollection', {
    stage: 'prod',
    stream: new Stream(stack, 'Stream'),
    publisher: new Role(stack, 'Router', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }),
    schedule: Schedule.expression('cron(0 6 * * ? *)'),
    queries: SCHEDULED_QUERIES,
    ...(email === undefined ? {} : { email }),
  });
  return Template.fromStack(stack);
}

describe('SqlCollectionSchedule', () => {
  it('puts a CloudEvent carrying the EventBridge event id on the stream, on the schedule', () => {
    // Act
    const template = synth();

    // Assess
    const rules = template.findResources('AWS::Events::Rule');
    const [rule] = Object.values(rules) as { Properties: Record<string, unknown> }[];
    if (rule === undefined) throw new Error('no rule synthesised');
    expect(rule.Properties.ScheduleExpression).toBe('cron(0 6 * * ? *)');
    const [target] = rule.Properties.Targets as {
      KinesisParameters: { PartitionKeyPath: string };
      InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
    }[];
    expect(target?.KinesisParameters.PartitionKeyPath).toBe('$.id');
    expect(target?.InputTransformer.InputPathsMap).toEqual({ id: '$.id', time: '$.time' });
    const event = JSON.parse(
      target?.InputTransformer.InputTemplate.replace('<id>', '"e-1"').replace('<time>', '"t"') ?? '',
    );
    expect(event).toEqual({
      specversion: '1.0',
      id: 'e-1',
      source: 'aws.events/sql-collection',
      type: 'sql.collection.requested',
      time: 't',
      data: { queries: SCHEDULED_QUERIES },
    });
  }, 60_000);

  it('creates the encrypted alerts topic, subscribes the email and lets the router publish', () => {
    // Act
    const template = synth('data-team@example.com');

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'prod-sql-collection-alerts',
      KmsMasterKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'data-team@example.com',
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Effect: 'Allow' })]),
      },
    });
  }, 60_000);

  it('is added by `-c sqlCollectionSchedule` and passes cdk-nag with the rest of the app', () => {
    // Prepare
    const app = new App({
      context: {
        stage: 'prod',
        sqlCollectionSchedule: 'rate(1 day)',
        sqlCollectionEmail: 'data-team@example.com',
        'aws:cdk:bundling-stacks': [],
      },
    });

    // Act
    const { stack } = buildApp(app);
    const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);

    // Assess: synth throws on an unacknowledged cdk-nag finding, so reaching here is the check.
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'prod-sql-collection-alerts' });
  }, 120_000);
});
