import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StepFunctionSpec } from '../../../handlers/catalog.ts';
import { RouterStack, type RouterStackProps } from '../../../infra/RouterStack.ts';
import { overBroadStatements } from './iamStatements.ts';

const FIXTURE = 'test/unit/infra/fixtures/step.ts';

const CATALOG: readonly StepFunctionSpec[] = [
  {
    name: 'seed004-validate',
    entry: FIXTURE,
    description: 'Validates an order',
    needs: ['executions-table:read-write', 'bucket:read', 'redshift-data'],
  },
  {
    name: 'seed004-notify',
    entry: FIXTURE,
    description: 'Sends a notification',
    timeoutSeconds: 10,
    schedule: { everyMinutes: 10 },
  },
];

const REDSHIFT_CLUSTER = 'arn:aws:redshift:eu-west-1:123456789012:cluster:etl';

/** Actions the stack may grant on Resource '*': IAM has no resource type for them. */
const UNSCOPED = new Set([
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:GetStatementResultV2',
  'redshift-data:CancelStatement',
  'redshift-data:ListStatements',
  'redshift-data:ListSessions',
  // Granted to the rotation function by the secret's rotation schedule: it draws a value, reads no secret.
  'secretsmanager:GetRandomPassword',
]);

/** Synthesises one stack; `bundle: false` skips esbuild (the asset is staged unbundled) to keep tests fast. */
function synth(
  props: RouterStackProps,
  { bundle }: { bundle: boolean } = { bundle: true },
): { stack: RouterStack; template: Template; assemblyDir: string } {
  const app = new App(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new RouterStack(app, `Router-${props.stage}`, props);
  const assembly = app.synth();
  const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
  return { stack, template, assemblyDir: assembly.directory };
}

describe('RouterStack (dev, provisioned stream, two catalog steps)', () => {
  let stack: RouterStack;
  let template: Template;
  let assemblyDir: string;

  beforeAll(() => {
    // Prepare: one synthesis (with real esbuild bundling of every function) for the whole file.
    ({ stack, template, assemblyDir } = synth({
      stage: 'dev',
      routerEntry: FIXTURE,
      catalog: CATALOG,
      streamCapacity: { mode: 'provisioned', shardCount: 2 },
      reservedConcurrency: 10,
      eventSource: {
        batchSize: 200,
        parallelizationFactor: 3,
        retryAttempts: 5,
        maxRecordAge: Duration.hours(6),
      },
      resourceAllowlist: ['arn:aws:lambda:*:*:function:seed004-*', 'arn:aws:states:::aws-sdk:redshiftdata:*'],
      alarmEmail: 'ops@example.com',
    }));
  }, 120_000);

  it('maps every event source setting onto the Kinesis ESM, failures to the S3 failure bucket', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Stream'), 'Arn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 200,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 3,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 6 * 3600,
      Enabled: true,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailureBucket'), 'Arn'] } },
      },
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 2,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
  });

  it('builds both tables from router/config.ts: keys, GSIs, on-demand, PITR, TTL only on executions', () => {
    // Assess
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.keys(tables)).toHaveLength(2);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'gsi1', Projection: { ProjectionType: 'ALL' } }),
        Match.objectLike({ IndexName: 'gsi2' }),
        Match.objectLike({ IndexName: 'gsi3' }),
      ],
      DeletionProtectionEnabled: false,
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: Match.absent(),
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'gsi1' })],
    });
  });

  it('makes every bucket SSL-only, fully private, encrypted; quarantine/ and payloads/ expire', () => {
    // Assess
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption).toBeDefined();
    }
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(3);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Prefix: 'quarantine/', ExpirationInDays: 30, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'payloads/done/', ExpirationInDays: 8, Status: 'Enabled' }),
          Match.objectLike({ Prefix: 'payloads/live/', ExpirationInDays: 400, Status: 'Enabled' }),
        ],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'engines-bucket/' }),
    });
  });

  it('runs every function on Node.js 22 arm64 with the router configuration in its environment', () => {
    // Assess
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    // The router, the two catalog steps and the task-token secret's rotation function.
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 10,
      Environment: {
        Variables: Match.objectLike({
          ROUTER_STREAM: Match.anyValue(),
          ROUTER_ENGINES_TABLE: Match.anyValue(),
          ROUTER_EXECUTIONS_TABLE: Match.anyValue(),
          ROUTER_BUCKET: Match.anyValue(),
          ROUTER_STAGE: 'dev',
          POWERTOOLS_SERVICE_NAME: 'router',
          POWERTOOLS_METRICS_NAMESPACE: 'KinesisEventRouter',
          LOG_LEVEL: 'INFO',
          ROUTER_TASK_TOKEN_SECRET_ARN: { Ref: Match.stringLikeRegexp('^TaskTokenSecret') },
          ROUTER_RESOURCE_ALLOWLIST: {
            'Fn::Join': [
              '',
              Match.arrayWith([
                'arn:aws:states:::lambda:invoke,arn:aws:states:::lambda:invoke.waitForTaskToken,arn:aws:lambda:',
                ':function:seed004-validate,arn:aws:lambda:',
                ':function:seed004-notify,arn:aws:lambda:*:*:function:seed004-*,arn:aws:states:::aws-sdk:redshiftdata:*',
              ]),
            ],
          },
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'seed004-notify', Timeout: 10 });
  });

  it('bundles for real with the local esbuild: minified ESM with the createRequire banner and a source map', () => {
    // Prepare
    const router = stack.node.findChild('Router').node.findChild('Function');
    const code =
      template.toJSON().Resources[stack.getLogicalId(router.node.defaultChild as never)].Properties.Code;
    const assetDir = path.join(assemblyDir, `asset.${String(code.S3Key).replace(/\.zip$/, '')}`);

    // Assess
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle.startsWith("import { createRequire as __bundleCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(bundle).toContain('sourceMappingURL=index.mjs.map');
    expect(existsSync(path.join(assetDir, 'index.mjs.map'))).toBe(true);
  });

  it('raises the four alarms on the right metrics, all notifying the alarm topic', () => {
    // Assess
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties,
    );
    expect(alarms).toHaveLength(4);
    const byMetric = new Map(alarms.map((alarm) => [alarm.MetricName, alarm]));
    expect(byMetric.get('IteratorAge')).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Maximum',
      Threshold: 60_000,
    });
    expect(byMetric.get('Errors')).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum' });
    expect(byMetric.get('Throttles')).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum' });
    expect(byMetric.get('Quarantined')).toMatchObject({
      Namespace: 'KinesisEventRouter',
      Dimensions: [{ Name: 'service', Value: 'router' }],
    });
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
    }
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('invokes the router every minute with the sweep command', () => {
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Input: JSON.stringify({ routerCommand: 'sweep' }) })],
    });
  });

  it('runs a scheduled step on EventBridge Scheduler with its scheduled time as the idempotency key', () => {
    // Assess
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(10 minutes)',
      Target: Match.objectLike({
        Input: JSON.stringify({
          idempotencyKey: 'seed004-notify:<aws.scheduler.scheduled-time>',
          scheduled_time: '<aws.scheduler.scheduled-time>',
        }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
      }),
    });
  });

  it('grants no wildcard action, no service wildcard and no Resource * where a resource can be named', () => {
    // Act
    const findings = overBroadStatements(template.toJSON(), UNSCOPED);

    // Assess
    expect(findings).toEqual([]);
  });

  it('lets the router read engines/ only, write quarantine/ only, read and write payloads/, and invoke only allowlisted functions', () => {
    // Prepare
    const policy = JSON.stringify(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RouterRole') }] },
      }),
    );

    // Assess
    expect(policy).toContain('/engines/*');
    expect(policy).toContain('/quarantine/*');
    expect(policy).toContain('/payloads/*');
    expect(policy).not.toMatch(/EnginesBucket[0-9A-F]+\.Arn"\]\},"\/\*"/);
    expect(policy).toContain('"arn:aws:lambda:*:*:function:seed004-*"');
    expect(policy).toContain('"redshift-data:ExecuteStatement"');
    // Without sdkResources, Redshift Data calls are scoped to this account's clusters and workgroups.
    expect(policy).toContain(':cluster:*');
    expect(policy).toContain(':workgroup/*');
    expect(policy).not.toContain('s3:DeleteObject');
    // Finished executions are inserted with PartiQL INSERT: allowed on the executions table alone.
    const partiql = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RouterRole') }] },
      }),
    )
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      )
      .filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('dynamodb:PartiQL')),
      );
    expect(partiql).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:PartiQLInsert',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ExecutionsTable/), 'Arn'] },
      }),
    ]);
  });

  it('gives each catalog step exactly the access its needs list asks for', () => {
    // Prepare
    const actionsOf = (roleIdPrefix: string): string[] =>
      Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${roleIdPrefix}`) }] },
        }),
      ).flatMap((policy) =>
        policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) =>
          Array.isArray(statement.Action) ? statement.Action : [statement.Action],
        ),
      );

    // Act
    const notify = actionsOf('Stepseed004notifyRole');
    const validate = actionsOf('Stepseed004validateRole');

    // Assess
    expect(notify.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(validate).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        's3:GetObject*',
        'redshift-data:ExecuteStatement',
        'logs:PutLogEvents',
      ]),
    );
    expect(validate).not.toContain('s3:PutObject');
    expect(validate).not.toContain('lambda:InvokeFunction');
  });

  it('keeps the task-token secret out of every environment, lets the router only read that secret, and rotates it', () => {
    // Prepare
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: unknown }>;
    const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const [secretId] = secretIds;
    const statementsOf = (rolePrefix: string): { Action: string | string[]; Resource: unknown }[] =>
      Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
        }),
      ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const secretsManagerStatements = (rolePrefix: string) =>
      statementsOf(rolePrefix).filter((statement) =>
        [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')),
      );

    // Assess: no secret value reaches any function's configuration, only the router gets the ARN
    expect(secretIds).toHaveLength(1);
    expect(JSON.stringify(template.toJSON())).not.toContain('resolve:secretsmanager');
    for (const resource of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(JSON.stringify(resource.Properties)).not.toContain('"ROUTER_TASK_TOKEN_SECRET"');
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ROUTER_TASK_TOKEN_SECRET_ARN: { Ref: secretId } }) },
    });
    // The router may call GetSecretValue on that secret and nothing else of Secrets Manager
    expect(secretsManagerStatements('RouterRole')).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: secretId } },
    ]);
    expect(secretsManagerStatements('Stepseed004')).toEqual([]);
    // Rotated every 90 days by the rotation function, only on the schedule
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: secretId },
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskTokenRotation'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(90 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskTokenRotation'), 'Arn'] },
    });
    const rotationActions = secretsManagerStatements('TaskTokenRotationRole').flatMap((statement) =>
      [statement.Action].flat().map((action) => `${action} ${JSON.stringify(statement.Resource)}`),
    );
    expect(rotationActions.sort()).toEqual(
      [
        `secretsmanager:DescribeSecret {"Ref":"${secretId}"}`,
        `secretsmanager:GetRandomPassword "*"`,
        `secretsmanager:GetSecretValue {"Ref":"${secretId}"}`,
        `secretsmanager:PutSecretValue {"Ref":"${secretId}"}`,
        `secretsmanager:UpdateSecretVersionStage {"Ref":"${secretId}"}`,
      ].sort(),
    );
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.TaskTokenSecretArn?.Value).toEqual({ Ref: secretId });
  });

  it('rotates the task-token secret without an acknowledgement: cdk-nag finds the rotation (SMG4)', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.keys(entry.data as Record<string, string>));

    // Assess
    expect(acknowledged.filter((id) => id.startsWith('AwsSolutions-SMG4'))).toEqual([]);
    expect(report.violations.filter((violation) => violation.ruleName.includes('SMG4'))).toEqual([]);
  }, 60_000);

  it('passes the cdk-nag AWS Solutions checks with every finding acknowledged with a reason', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    const errors = report.violations.filter((violation) => violation.severity === 'error');

    // Assess
    expect(errors.map((error) => error.ruleName)).toEqual([]);
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const [id, reason] of acknowledged) {
      expect(reason.length, id).toBeGreaterThan(40);
    }
  }, 60_000);

  it('outputs the names engine authors and operators need, with a ready export line', () => {
    // Assess
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const name of [
      'StreamName',
      'StreamArn',
      'EnginesTableName',
      'ExecutionsTableName',
      'BucketName',
      'RouterFunctionName',
    ]) {
      expect(outputs[name], name).toBeDefined();
    }
    const exportLine = JSON.stringify(outputs.EngineAuthorEnv?.Value);
    expect(exportLine).toContain('export AWS_REGION=');
    expect(exportLine).toContain(' ROUTER_STREAM=');
    expect(exportLine).toContain(' ROUTER_BUCKET=');
    expect(exportLine).toContain(" ROUTER_RESOURCE_ALLOWLIST='");
  });
});

describe('RouterStack (prod)', () => {
  it('retains data and protects tables from deletion; on-demand stream by default; Redshift scoped to the given cluster', () => {
    // Act
    const { template } = synth(
      {
        stage: 'prod',
        routerEntry: FIXTURE,
        catalog: [],
        resourceAllowlist: ['arn:aws:states:::aws-sdk:redshiftdata:executeStatement'],
        sdkResources: { 'redshift-data': [REDSHIFT_CLUSTER] },
      },
      { bundle: false },
    );

    // Assess
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    for (const table of tables) {
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
    }
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(REDSHIFT_CLUSTER);
    expect(policies).not.toContain(':cluster:*');
  });

  it('refuses a reserved concurrency that would throttle the event source mapping', () => {
    // Act / Assess
    expect(() =>
      synth(
        {
          stage: 'prod',
          routerEntry: FIXTURE,
          catalog: [],
          streamCapacity: { mode: 'provisioned', shardCount: 4 },
          eventSource: { parallelizationFactor: 2 },
          reservedConcurrency: 8,
        },
        { bundle: false },
      ),
    ).toThrow(/reservedConcurrency 8 is below 9 \(4 shards x parallelization factor 2 \+ 1 for the sweep\)/);
  });
});
