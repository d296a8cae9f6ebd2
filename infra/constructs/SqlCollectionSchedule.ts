/**
 * Seed 003's data collection on a schedule, deployed: an EventBridge rule that puts the Level 3 starting
 * event (a CloudEvent of type `sql.collection.requested`) on the router's stream, and the SNS topic Level
 * 3 notifies when queries still fail after three rounds, with its email subscription. Each firing carries
 * EventBridge's own event id as the CloudEvent id, so every scheduled run is a new execution while a
 * redelivered record of the same run is absorbed by the router's dedup.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { EventField, Rule, RuleTargetInput, type Schedule } from 'aws-cdk-lib/aws-events';
import { KinesisStream } from 'aws-cdk-lib/aws-events-targets';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** One query of the collection: its name and its script under `scripts/` in the engines bucket. */
export interface CollectionQuery {
  readonly name: string;
  readonly script: string;
}

/** What the schedule needs from the stack. */
export interface SqlCollectionScheduleProps {
  readonly stage: string;
  /** The router's stream, where the starting event goes. */
  readonly stream: IStream;
  /** Who publishes the notice: the router's role, since the router runs Level 3's `sns:publish`. */
  readonly publisher: IRole;
  readonly schedule: Schedule;
  readonly queries: readonly CollectionQuery[];
  /** Receives the notice of queries that still fail; none subscribed when absent. */
  readonly email?: string;
}

/** The rule and the alerts topic (its ARN is the `AlertsTopicArn` stage variable of the engines). */
export class SqlCollectionSchedule extends Construct {
  readonly rule: Rule;
  readonly alertsTopic: Topic;

  constructor(scope: Construct, id: string, props: SqlCollectionScheduleProps) {
    super(scope, id);
    const key = new Key(this, 'AlertsKey', {
      description: `Kinesis event router (${props.stage}): SQL collection alerts`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.alertsTopic = new Topic(this, 'Alerts', {
      topicName: `${props.stage}-sql-collection-alerts`,
      displayName: `SQL collection alerts (${props.stage})`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email !== undefined) this.alertsTopic.addSubscription(new EmailSubscription(props.email));
    this.alertsTopic.grantPublish(props.publisher);
    Validations.of(props.publisher).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'KMS action family CDK grants for publishing to the encrypted alerts topic, on its key only.',
    });

    this.rule = new Rule(this, 'Rule', {
      description: 'Starts the SQL data collection (seed 003, Level 3) through the router stream.',
      schedule: props.schedule,
      targets: [
        new KinesisStream(props.stream, {
          partitionKeyPath: '$.id',
          message: RuleTargetInput.fromObject({
            specversion: '1.0',
            id: EventField.eventId,
            source: 'aws.events/sql-collection',
            type: 'sql.collection.requested',
            time: EventField.time,
            data: { queries: props.queries.map((q) => ({ name: q.name, script: q.script })) },
          }),
        }),
      ],
    });
  }
}
