/**
 * One deployment (one stage) of the runtime: the stream, the MessageEventRouter and its event source
 * mapping, the engine index and executions tables, the engines bucket, the step functions of the
 * catalog, the sweep schedule, alarms and a dashboard, under least-privilege IAM. Every knob an
 * operator tunes at scale (shards, batch size, parallelization, retries) is a prop.
 */
import {
  Aws,
  CfnElement,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import {
  ContextAttribute,
  Schedule as ScheduledRun,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct, IConstruct } from 'constructs';
import { STEP_FUNCTIONS, type StepFunctionSpec } from '../handlers/catalog.ts';
import { DOMAINS, domainStepFunctions } from '../handlers/domains.ts';
import { BUCKET_PREFIXES, TASK_TOKEN_SECRET_LENGTH } from '../router/config.ts';
import { EXECUTIONS_TABLE_SCHEMA } from '../router/executions/index.ts';
import { ENGINES_TABLE_SCHEMA } from '../router/registry/index.ts';
import { allowlistStatements, parseAllowlist, sdkActions } from './allowlist.ts';
import { ROUTER_ENTRY, SOURCE_MAP_NODE_OPTIONS } from './bundling.ts';
import { BundledFunction } from './constructs/BundledFunction.ts';
import { type RouterAlarmThresholds, RouterMonitoring } from './constructs/RouterMonitoring.ts';
import { S3PutOnFailureDestination } from './constructs/S3PutOnFailureDestination.ts';
import { tableFromSchema } from './constructs/tableFromSchema.ts';

/** Provisioned shards (fixed cost, manual resharding) or on-demand (scales itself, pays per GB). */
export type StreamCapacity =
  | { readonly mode: 'provisioned'; readonly shardCount: number }
  | { readonly mode: 'on-demand' };

/** The Kinesis event source mapping of the router; every field maps to one ESM setting. */
export interface RouterEventSourceSettings {
  /** Records per batch (1 to 10,000). Default 500. */
  readonly batchSize?: number;
  /** How long Lambda gathers records before invoking (0 to 300 s). Default 1 s. */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent batches per shard (1 to 10). Lambda still keeps each partition key in order. Default 2.
   * Router concurrency = shards x this (+1 for the sweep).
   */
  readonly parallelizationFactor?: number;
  /** Split a failing batch in two to isolate a poison record. Default true. */
  readonly bisectBatchOnError?: boolean;
  /**
   * Honour `batchItemFailures` so only the failed records (and later ones of the same key) are retried.
   * The router is written for it: turn it off only to debug. Default true.
   */
  readonly reportBatchItemFailures?: boolean;
  /** Retries of a failing batch before it goes to the on-failure bucket (-1 = until expiry). Default 10. */
  readonly retryAttempts?: number;
  /** Records older than this are sent to the on-failure bucket (60 s to 7 days). Default 1 day. */
  readonly maxRecordAge?: Duration;
  /** Set false to deploy with the mapping paused (e.g. before publishing the first engines). Default true. */
  readonly enabled?: boolean;
}

/** Everything that varies between deployments of the stack. */
export interface RouterStackProps extends StackProps {
  /** Stage name (`dev`, `prod`, ...): names, removal policies and deletion protection follow it. */
  readonly stage: string;
  /** Default: on-demand. */
  readonly streamCapacity?: StreamCapacity;
  /**
   * `aws-managed` (default): the `aws/kinesis` key. No key to pay for or rotate, no KMS charge that grows
   * with producers, consumers and shards, and producers need no KMS permission. `customer-managed`: a key
   * with yearly rotation and a key policy the account controls, for when compliance asks for one.
   */
  readonly streamEncryption?: 'aws-managed' | 'customer-managed';
  /** Stream retention (24 h to 365 days). Default 24 h. */
  readonly streamRetention?: Duration;
  readonly eventSource?: RouterEventSourceSettings;
  /** Reserved concurrency of the router; must cover shards x parallelization factor + 1 (the sweep). */
  readonly reservedConcurrency?: number;
  /** Router memory in MB. Default 1024. */
  readonly routerMemoryMb?: number;
  /** Router timeout. Default 2 minutes. */
  readonly routerTimeout?: Duration;
  /** Step functions to deploy. Default: `STEP_FUNCTIONS` from handlers/catalog.ts. */
  readonly catalog?: readonly StepFunctionSpec[];
  /**
   * ARN patterns graphs may name beyond the catalog's functions (ROUTER_RESOURCE_ALLOWLIST), e.g.
   * `arn:aws:lambda:*:*:function:seed004-*` or `arn:aws:states:::aws-sdk:redshiftdata:*`.
   */
  readonly resourceAllowlist?: readonly string[];
  /**
   * Resource ARNs per IAM prefix for allowlisted SDK actions that support resource-level permissions.
   * `redshift-data` defaults to this account's clusters and serverless workgroups in the stack's region.
   */
  readonly sdkResources?: Readonly<Record<string, readonly string[]>>;
  /** Extra statements for the router role (e.g. `redshift:GetClusterCredentials` for Redshift Data). */
  readonly additionalRouterStatements?: readonly PolicyStatement[];
  /** Days before `quarantine/` objects expire. Default 30. */
  readonly quarantineExpiryDays?: number;
  /** Days before ESM on-failure records expire. Default 30. */
  readonly failureExpiryDays?: number;
  /** Email subscribed to the alarm topic (confirm the subscription mail after deploy). */
  readonly alarmEmail?: string;
  readonly alarmThresholds?: RouterAlarmThresholds;
  /** POWERTOOLS_METRICS_NAMESPACE. Default `KinesisEventRouter`. */
  readonly metricsNamespace?: string;
  /** LOG_LEVEL of every function. Default `INFO`. */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Map stack traces to TypeScript (costs cold start; see bench/bundle.ts). Default false. */
  readonly sourceMapStackTraces?: boolean;
  /** Router entry relative to the repository root. Default `router/handler.ts`. */
  readonly routerEntry?: string;
  /**
   * Keep stateful resources (tables, buckets, key, stream, logs) when the stack is deleted, and turn on
   * table deletion protection. Default: true for `prod`, false otherwise.
   */
  readonly retainData?: boolean;
  /**
   * Time between rotations of the task-token secret (4 hours to 1000 days). A token stays valid for at
   * least this long after it was handed out (the router still accepts the AWSPREVIOUS version), so it must
   * exceed the longest a callback task waits. Default 90 days.
   */
  readonly taskTokenSecretRotation?: Duration;
}

/** Entry of the task-token secret's rotation function, relative to the repository root. */
export const TASK_TOKEN_ROTATION_ENTRY = 'handlers/ops/rotate-task-token-secret.ts';

/** Powertools service name of the router: also the `service` dimension of its metrics. */
export const ROUTER_SERVICE_NAME = 'router';

const EVENT_SOURCE_DEFAULTS = {
  batchSize: 500,
  maxBatchingWindow: Duration.seconds(1),
  parallelizationFactor: 2,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  retryAttempts: 10,
  maxRecordAge: Duration.days(1),
  enabled: true,
} as const;

/** The stack; its public fields let tests and other stacks reach the resources. */
export class RouterStack extends Stack {
  readonly stream: Stream;
  readonly router: NodejsFunction;
  readonly enginesTable;
  readonly executionsTable;
  readonly bucket: Bucket;
  readonly failureBucket: Bucket;
  readonly alarmTopic: Topic;
  readonly stepFunctions: ReadonlyMap<string, NodejsFunction>;
  readonly monitoring: RouterMonitoring;
  /** Signs callback task tokens; the router reads it at cold start, a rotation function renews it. */
  readonly taskTokenSecret: Secret;
  /** ROUTER_RESOURCE_ALLOWLIST of the deployed router (also printed in the EngineAuthorEnv output). */
  readonly routerAllowlist: string;

  constructor(scope: Construct, id: string, props: RouterStackProps) {
    super(scope, id, props);
    // Deliver S3 access logs by bucket policy, not ACLs (ACLs stay disabled on every bucket), whatever
    // the app's cdk.json says: the stack relies on it.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const stage = props.stage;
    const retain = props.retainData ?? stage === 'prod';
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const settings = { ...EVENT_SOURCE_DEFAULTS, ...props.eventSource };
    const capacity = props.streamCapacity ?? { mode: 'on-demand' };
    const metricsNamespace = props.metricsNamespace ?? 'KinesisEventRouter';
    const logLevel = props.logLevel ?? 'INFO';
    const logRetention = retain ? RetentionDays.THREE_MONTHS : RetentionDays.TWO_WEEKS;
    const catalog = props.catalog ?? STEP_FUNCTIONS;
    const sdkResources = withDefaultSdkResources(props.sdkResources);
    checkReservedConcurrency(props.reservedConcurrency, capacity, settings.parallelizationFactor);

    const streamKey =
      props.streamEncryption === 'customer-managed'
        ? new Key(this, 'StreamKey', {
            description: `Kinesis event router (${stage}): stream encryption`,
            enableKeyRotation: true,
            removalPolicy,
            ...(retain ? {} : { pendingWindow: Duration.days(7) }),
          })
        : undefined;

    this.stream = new Stream(this, 'Stream', {
      ...(streamKey === undefined
        ? { encryption: StreamEncryption.MANAGED }
        : { encryption: StreamEncryption.KMS, encryptionKey: streamKey }),
      retentionPeriod: props.streamRetention ?? Duration.hours(24),
      removalPolicy,
      ...(capacity.mode === 'provisioned'
        ? { streamMode: StreamMode.PROVISIONED, shardCount: capacity.shardCount }
        : { streamMode: StreamMode.ON_DEMAND }),
    });

    this.enginesTable = tableFromSchema(this, 'EnginesTable', ENGINES_TABLE_SCHEMA, {
      deletionProtection: retain,
      retain,
    });
    this.executionsTable = tableFromSchema(this, 'ExecutionsTable', EXECUTIONS_TABLE_SCHEMA, {
      deletionProtection: retain,
      retain,
    });

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the access-log target of the other buckets; logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'EnginesBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: asIBucket(accessLogs),
      serverAccessLogsPrefix: 'engines-bucket/',
      lifecycleRules: [
        {
          id: 'expire-quarantine',
          prefix: BUCKET_PREFIXES.quarantine,
          expiration: Duration.days(props.quarantineExpiryDays ?? 30),
        },
        // Large values of finished executions live as long as their records (7 days by default) and a day
        // more; those of unfinished ones as long as an execution may wait, just over Step Functions' year.
        {
          id: 'expire-finished-payloads',
          prefix: BUCKET_PREFIXES.payloadsDone,
          expiration: Duration.days(8),
        },
        { id: 'expire-live-payloads', prefix: BUCKET_PREFIXES.payloadsLive, expiration: Duration.days(400) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Lambda picks the object keys of ESM failure records itself (no prefix setting), so they get their
    // own bucket instead of a grant on the whole engines bucket.
    this.failureBucket = new Bucket(this, 'FailureBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: asIBucket(accessLogs),
      serverAccessLogsPrefix: 'failure-bucket/',
      lifecycleRules: [{ id: 'expire-failures', expiration: Duration.days(props.failureExpiryDays ?? 30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Step functions first: their ARNs join the router's allowlist and its invoke grant.
    const stepFunctions = new Map<string, NodejsFunction>();
    const stepBuilds: { build: BundledFunction; spec: StepFunctionSpec }[] = [];
    for (const spec of catalog) {
      const step = new BundledFunction(this, `Step-${spec.name}`, {
        entry: spec.entry,
        functionName: spec.name,
        description: spec.description,
        timeout: Duration.seconds(spec.timeoutSeconds ?? 30),
        memorySize: spec.memoryMb ?? 512,
        environment: {
          ROUTER_STAGE: stage,
          ROUTER_ENGINES_TABLE: this.enginesTable.tableName,
          ROUTER_EXECUTIONS_TABLE: this.executionsTable.tableName,
          ROUTER_BUCKET: this.bucket.bucketName,
          POWERTOOLS_SERVICE_NAME: spec.name,
          POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
          LOG_LEVEL: logLevel,
        },
        logRetention,
        retainLogs: retain,
      });
      for (const need of spec.needs ?? []) {
        switch (need) {
          case 'executions-table:read-write':
            this.executionsTable.grantReadWriteData(step.function);
            break;
          case 'bucket:read':
            this.bucket.grantRead(step.function);
            break;
          case 'bucket:read-write':
            this.bucket.grantReadWrite(step.function);
            break;
          case 'sftp-secrets':
            step.function.addToRolePolicy(
              new PolicyStatement({
                actions: ['secretsmanager:GetSecretValue'],
                resources: [
                  `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:sftp/*`,
                ],
              }),
            );
            break;
          case 'redshift-data':
            for (const statement of allowlistStatements(
              parseAllowlist(['arn:aws:states:::aws-sdk:redshiftdata:*']),
              {
                sdkResources,
              },
            )) {
              step.function.addToRolePolicy(statement);
            }
            break;
          default: {
            const unknown: never = need;
            throw new Error(`step function ${spec.name}: unknown need ${JSON.stringify(unknown)}`);
          }
        }
      }
      stepFunctions.set(spec.name, step.function);
      stepBuilds.push({ build: step, spec });
      if (spec.schedule !== undefined) {
        const role = new Role(this, `ScheduleRole-${spec.name}`, {
          assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
          description: `EventBridge Scheduler: invokes ${spec.name}`,
        });
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(defaultChild(step.function))}.Arn>:*]`,
          reason: "The scheduler target's invoke grant, on this one function's versions and aliases.",
        });
        // The input carries the scheduled time: the step's idempotency key, the same on a retry.
        new ScheduledRun(this, `Schedule-${spec.name}`, {
          description: `Runs ${spec.name} every ${spec.schedule.everyMinutes} minutes.`,
          schedule: ScheduleExpression.rate(Duration.minutes(spec.schedule.everyMinutes)),
          target: new LambdaInvoke(step.function, {
            input: ScheduleTargetInput.fromObject({
              idempotencyKey: `${spec.name}:${ContextAttribute.scheduledTime}`,
              scheduled_time: ContextAttribute.scheduledTime,
            }),
            retryAttempts: 2,
            role,
          }),
        });
      }
    }
    this.stepFunctions = stepFunctions;
    // The flow domains' steps come from each domain's index (through the catalog); the tag says whose
    // they are, for costs and for finding a domain's functions in the console.
    for (const domain of DOMAINS) {
      for (const spec of domainStepFunctions([domain])) {
        const step = stepFunctions.get(spec.name);
        if (step !== undefined) Tags.of(step).add('router:domain', domain.name);
      }
    }

    // The integration forms grant nothing by themselves (the function they name must match a pattern),
    // so they are always allowed; then the catalog's functions, then the operator's patterns.
    const allowlist = [
      'arn:aws:states:::lambda:invoke',
      'arn:aws:states:::lambda:invoke.waitForTaskToken',
      ...catalog.map((spec) => `arn:aws:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${spec.name}`),
      ...(props.resourceAllowlist ?? []),
    ].filter((pattern, index, all) => all.indexOf(pattern) === index);
    this.routerAllowlist = allowlist.join(',');
    // Task tokens are signed with this secret. Only its ARN is in the router's environment (whoever may
    // read the function's configuration does not get the secret): the router reads AWSCURRENT and
    // AWSPREVIOUS at cold start, signs with the first and still accepts the second, so a rotation leaves
    // the tokens of WAITING executions valid until the rotation after it.
    const taskTokenSecret = new Secret(this, 'TaskTokenSecret', {
      description: `Kinesis event router (${stage}): signs callback task tokens`,
      generateSecretString: { passwordLength: TASK_TOKEN_SECRET_LENGTH, excludePunctuation: true },
      removalPolicy,
    });
    this.taskTokenSecret = taskTokenSecret;
    // No hosted rotation fits (they rotate database users); the secret is a random key nobody else holds,
    // so a small function draws a new value and moves AWSCURRENT onto it.
    const rotation = new BundledFunction(this, 'TaskTokenRotation', {
      entry: TASK_TOKEN_ROTATION_ENTRY,
      description: `Kinesis event router (${stage}): rotates the task-token secret`,
      timeout: Duration.seconds(30),
      memorySize: 256,
      logRetention,
      retainLogs: retain,
    });
    taskTokenSecret.addRotationSchedule('Rotation', {
      rotationLambda: rotation.function,
      automaticallyAfter: props.taskTokenSecretRotation ?? Duration.days(90),
      // Only on the schedule: two rotations in a row would drop the version waiting tokens were signed with.
      rotateImmediatelyOnUpdate: false,
    });
    const routerBuilt = new BundledFunction(this, 'Router', {
      entry: props.routerEntry ?? ROUTER_ENTRY,
      description: `MessageEventRouter (${stage}): routes the stream through versioned workflow graphs`,
      timeout: props.routerTimeout ?? Duration.minutes(2),
      memorySize: props.routerMemoryMb ?? 1024,
      environment: {
        ROUTER_STREAM: this.stream.streamName,
        ROUTER_ENGINES_TABLE: this.enginesTable.tableName,
        ROUTER_EXECUTIONS_TABLE: this.executionsTable.tableName,
        ROUTER_BUCKET: this.bucket.bucketName,
        ROUTER_RESOURCE_ALLOWLIST: this.routerAllowlist,
        ROUTER_TASK_TOKEN_SECRET_ARN: taskTokenSecret.secretArn,
        ROUTER_STAGE: stage,
        POWERTOOLS_SERVICE_NAME: ROUTER_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
        LOG_LEVEL: logLevel,
        ...(props.sourceMapStackTraces === true ? { NODE_OPTIONS: SOURCE_MAP_NODE_OPTIONS } : {}),
      },
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      logRetention,
      retainLogs: retain,
    });
    this.router = routerBuilt.function;
    // `$$.Execution.RoleArn`: the role the router calls every step with, as a state machine's role.
    if (this.router.role !== undefined)
      this.router.addEnvironment('ROUTER_ROLE_ARN', this.router.role.roleArn);

    // Least privilege: engines are read-only, quarantine is write-only, the tables (and their indexes)
    // read-write, the stream read (ESM) and write (redrive and callback records).
    this.bucket.grantRead(this.router, `${BUCKET_PREFIXES.engines}*`);
    this.bucket.grantPut(this.router, `${BUCKET_PREFIXES.quarantine}*`);
    // Execution values above the inline limit, by reference (content-addressed, under payloads/).
    this.bucket.grantRead(this.router, 'payloads/*');
    this.bucket.grantPut(this.router, 'payloads/*');
    this.enginesTable.grantReadWriteData(this.router);
    this.executionsTable.grantReadWriteData(this.router);
    // Finished executions are inserted in bulk with PartiQL INSERT, which IAM authorizes apart.
    this.router.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:PartiQLInsert'],
        resources: [this.executionsTable.tableArn],
      }),
    );
    this.stream.grantWrite(this.router);
    this.router.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [taskTokenSecret.secretArn],
      }),
    );
    for (const step of stepFunctions.values()) step.grantInvoke(this.router);
    for (const statement of allowlistStatements(parseAllowlist(props.resourceAllowlist ?? []), {
      sdkResources,
    })) {
      this.router.addToRolePolicy(statement);
    }
    for (const statement of props.additionalRouterStatements ?? []) this.router.addToRolePolicy(statement);

    this.router.addEventSource(
      new KinesisEventSource(this.stream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: settings.batchSize,
        maxBatchingWindow: settings.maxBatchingWindow,
        parallelizationFactor: settings.parallelizationFactor,
        bisectBatchOnError: settings.bisectBatchOnError,
        reportBatchItemFailures: settings.reportBatchItemFailures,
        retryAttempts: settings.retryAttempts,
        maxRecordAge: settings.maxRecordAge,
        enabled: settings.enabled,
        onFailure: new S3PutOnFailureDestination(asIBucket(this.failureBucket)),
      }),
    );

    new Rule(this, 'SweepSchedule', {
      description: 'Resumes due WAITING executions (long Waits, heartbeats, callback timeouts).',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [
        new LambdaFunction(this.router, {
          event: RuleTargetInput.fromObject({ routerCommand: 'sweep' }),
          retryAttempts: 0,
        }),
      ],
    });

    // Alarm notifications get their own key: CloudWatch must be able to use it, and it should not be
    // able to use the data key.
    const alarmKey = new Key(this, 'AlarmTopicKey', {
      description: `Kinesis event router (${stage}): alarm topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    alarmKey.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `Kinesis event router alarms (${stage})`,
      masterKey: alarmKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined)
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.monitoring = new RouterMonitoring(this, 'Monitoring', {
      router: this.router,
      stream: this.stream,
      topic: this.alarmTopic,
      metricsNamespace,
      serviceName: ROUTER_SERVICE_NAME,
      dashboardName: `kinesis-event-router-${stage}`,
      ...(props.alarmThresholds === undefined ? {} : { thresholds: props.alarmThresholds }),
    });

    this.acknowledgeExpectedFindings(routerBuilt, stepBuilds, props, streamKey, rotation);
    this.outputs(stage);
  }

  private outputs(stage: string): void {
    new CfnOutput(this, 'StreamName', { value: this.stream.streamName });
    new CfnOutput(this, 'StreamArn', { value: this.stream.streamArn });
    new CfnOutput(this, 'EnginesTableName', { value: this.enginesTable.tableName });
    new CfnOutput(this, 'ExecutionsTableName', { value: this.executionsTable.tableName });
    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName });
    new CfnOutput(this, 'FailureBucketName', { value: this.failureBucket.bucketName });
    new CfnOutput(this, 'RouterFunctionName', { value: this.router.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'TaskTokenSecretArn', {
      description:
        'Signs callback task tokens; rotated on a schedule (aws secretsmanager rotate-secret to rotate now)',
      value: this.taskTokenSecret.secretArn,
    });
    new CfnOutput(this, 'EngineAuthorEnv', {
      description: `Paste into a shell to point the router CLI at the ${stage} stage`,
      value: Fn.join('', [
        'export AWS_REGION=',
        Aws.REGION,
        ' ROUTER_STAGE=',
        stage,
        ' ROUTER_STREAM=',
        this.stream.streamName,
        ' ROUTER_ENGINES_TABLE=',
        this.enginesTable.tableName,
        ' ROUTER_EXECUTIONS_TABLE=',
        this.executionsTable.tableName,
        ' ROUTER_BUCKET=',
        this.bucket.bucketName,
        " ROUTER_RESOURCE_ALLOWLIST='",
        this.routerAllowlist,
        "'",
      ]),
    });
  }

  /**
   * cdk-nag findings that are deliberate, each acknowledged one by one (cdk-nag 3 has no blanket
   * suppression) with the reason it is acceptable here.
   */
  private acknowledgeExpectedFindings(
    router: BundledFunction,
    steps: readonly { readonly build: BundledFunction; readonly spec: StepFunctionSpec }[],
    props: RouterStackProps,
    streamKey: Key | undefined,
    rotation: BundledFunction,
  ): void {
    const arn = (scope: IConstruct): string => `<${this.getLogicalId(defaultChild(scope))}.Arn>`;
    const ack = (scope: IConstruct, findings: readonly string[], reason: string): void => {
      for (const finding of findings)
        Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    };
    const runtimeReason =
      'Node.js 22 is the runtime the project targets and tests (DESIGN.md); moving to a newer runtime is a ' +
      'deliberate upgrade, not a default.';
    for (const fn of [router, rotation, ...steps.map((step) => step.build)]) {
      Validations.of(fn.function).acknowledge({ id: 'AwsSolutions-L1', reason: runtimeReason });
    }
    const grantFamilies =
      'Action families generated by CDK grants (GetObject*, GetBucket*, List*, Abort*) on resources ' +
      'already narrowed to one bucket prefix.';
    const indexReason =
      "A table grant includes that table's own indexes (index/*) so the GSIs can be queried.";

    ack(
      router.role,
      [`Resource::${arn(this.bucket)}/engines/*`],
      'The router reads engine graphs only, under the engines/ prefix (any engine, any version).',
    );
    ack(
      router.role,
      [`Resource::${arn(this.bucket)}/quarantine/*`],
      'The router writes quarantined records only, under the quarantine/ prefix, one object per record.',
    );
    ack(
      router.role,
      [`Resource::${arn(this.bucket)}/payloads/*`],
      'The router reads and writes large execution values only, under the payloads/ prefix, one object per content hash.',
    );
    ack(
      router.role,
      [`Resource::${arn(this.failureBucket)}/*`],
      'Lambda writes ESM failure records under keys it chooses (no prefix setting) into this dedicated bucket.',
    );
    ack(
      router.role,
      ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:Abort*'],
      grantFamilies,
    );
    ack(
      router.role,
      [`Resource::${arn(this.enginesTable)}/index/*`, `Resource::${arn(this.executionsTable)}/index/*`],
      indexReason,
    );
    ack(
      router.role,
      steps.map((step) => `Resource::${arn(step.build.function)}:*`),
      'Graphs may call a catalog step by version or alias (NAME:QUALIFIER); the name itself is fixed.',
    );
    const entries = parseAllowlist(props.resourceAllowlist ?? []);
    ack(
      router.role,
      entries
        .filter((entry) => entry.kind === 'lambda' && entry.pattern.includes('*'))
        .flatMap((entry) => [
          `Resource::${entry.pattern}`,
          ...(entry.pattern.endsWith('*') ? [] : [`Resource::${entry.pattern}:*`]),
        ]),
      'Function name patterns are the operator-chosen resource allowlist: the router enforces the same ' +
        'patterns on every graph at publish and at load.',
    );
    const unscoped = allowlistStatements(entries, {
      sdkResources: withDefaultSdkResources(props.sdkResources),
    }).some((statement) => statement.resources.includes('*'));
    // Wildcards inside operator-given SDK resource ARNs, and the account-wide Redshift defaults (rendered
    // the way cdk-nag prints pseudo parameters).
    const sdkWildcards = (prefix: string): string[] => {
      const given = props.sdkResources?.[prefix];
      if (given === undefined && prefix === 'redshift-data') {
        return [
          'arn:<AWS::Partition>:redshift:<AWS::Region>:<AWS::AccountId>:cluster:*',
          'arn:<AWS::Partition>:redshift-serverless:<AWS::Region>:<AWS::AccountId>:workgroup/*',
        ];
      }
      return (given ?? []).filter((resource) => resource.includes('*'));
    };
    const sdkReason =
      'SDK actions allowlisted for graphs, on the resources configured for them (sdkResources; Redshift ' +
      "Data defaults to this account's clusters and workgroups in this region).";
    const allowedPrefixes = new Set(
      entries.flatMap((entry) =>
        entry.kind === 'sdk' ? sdkActions(entry).map((action) => action.split(':')[0] ?? '') : [],
      ),
    );
    ack(
      router.role,
      [...allowedPrefixes].flatMap((prefix) =>
        sdkWildcards(prefix).map((resource) => `Resource::${resource}`),
      ),
      sdkReason,
    );
    for (const { build, spec } of steps) {
      if ((spec.needs ?? []).includes('redshift-data')) {
        ack(
          build.role,
          sdkWildcards('redshift-data').map((resource) => `Resource::${resource}`),
          sdkReason,
        );
      }
    }
    if (unscoped) {
      ack(
        router.role,
        ['Resource::*'],
        'Only for allowlisted SDK actions IAM cannot scope to a resource (ACTIONS_WITHOUT_RESOURCE_LEVEL in ' +
          'infra/allowlist.ts, e.g. redshift-data:DescribeStatement).',
      );
    }
    ack(
      rotation.role,
      ['Resource::*'],
      'secretsmanager:GetRandomPassword (granted by the rotation schedule) reads no secret and IAM has no ' +
        'resource type for it; every other rotation action is granted on the task-token secret alone.',
    );
    if (streamKey !== undefined) {
      ack(
        router.role,
        ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
        'KMS action families CDK grants for writing to the encrypted stream, on the stream key only.',
      );
      Validations.of(this.stream).acknowledge({
        id: 'AwsSolutions-KDS3',
        reason: 'streamEncryption: customer-managed was chosen explicitly (compliance asks for a CMK).',
      });
    }
    for (const { build, spec } of steps) {
      const needs = spec.needs ?? [];
      if (needs.includes('bucket:read')) {
        ack(
          build.role,
          [`Resource::${arn(this.bucket)}/*`],
          `Step ${spec.name} declares 'bucket:read': it reads any object.`,
        );
        ack(
          build.role,
          ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*'],
          grantFamilies,
        );
      }
      if (needs.includes('bucket:read-write')) {
        ack(
          build.role,
          [`Resource::${arn(this.bucket)}/*`],
          `Step ${spec.name} declares 'bucket:read-write': it stores fetched files under any key.`,
        );
        ack(
          build.role,
          [
            'Action::s3:GetObject*',
            'Action::s3:GetBucket*',
            'Action::s3:List*',
            'Action::s3:DeleteObject*',
            'Action::s3:Abort*',
          ],
          grantFamilies,
        );
      }
      if (needs.includes('sftp-secrets')) {
        ack(
          build.role,
          [`Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:sftp/*`],
          `Step ${spec.name} declares 'sftp-secrets': it reads the SFTP connection secrets under sftp/.`,
        );
      }
      if (needs.includes('executions-table:read-write')) {
        ack(build.role, [`Resource::${arn(this.executionsTable)}/index/*`], indexReason);
      }
      if (needs.includes('redshift-data')) {
        ack(
          build.role,
          ['Resource::*'],
          `Step ${spec.name} declares 'redshift-data': DescribeStatement, GetStatementResult and the other ` +
            'statement calls have no resource-level permissions.',
        );
      }
    }
  }
}

/** The CloudFormation resource behind an L2 construct. */
function defaultChild(scope: IConstruct): CfnElement {
  const child = scope.node.defaultChild;
  if (!(child instanceof CfnElement)) throw new Error(`${scope.node.path} has no CloudFormation resource`);
  return child;
}

/** Adds the default Redshift Data API resources: the account's clusters and serverless workgroups. */
function withDefaultSdkResources(
  given: Readonly<Record<string, readonly string[]>> | undefined,
): Readonly<Record<string, readonly string[]>> {
  return {
    ...given,
    'redshift-data': given?.['redshift-data'] ?? [
      `arn:${Aws.PARTITION}:redshift:${Aws.REGION}:${Aws.ACCOUNT_ID}:cluster:*`,
      `arn:${Aws.PARTITION}:redshift-serverless:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/*`,
    ],
  };
}

/** Fails synth when reserved concurrency could throttle the ESM: shards x factor batches run at once. */
function checkReservedConcurrency(
  reserved: number | undefined,
  capacity: StreamCapacity,
  parallelizationFactor: number,
): void {
  if (reserved === undefined || capacity.mode !== 'provisioned') return;
  const needed = capacity.shardCount * parallelizationFactor + 1;
  if (reserved < needed) {
    throw new Error(
      `reservedConcurrency ${reserved} is below ${needed} (${capacity.shardCount} shards x parallelization ` +
        `factor ${parallelizationFactor} + 1 for the sweep): the event source mapping would be throttled`,
    );
  }
}

/**
 * aws-cdk-lib declares `Bucket.isWebsite` as `boolean | undefined` but `IBucket.isWebsite` as optional
 * `boolean`, which `exactOptionalPropertyTypes` rejects; a Bucket is an IBucket at run time.
 */
function asIBucket(bucket: Bucket): IBucket {
  return bucket as IBucket;
}
