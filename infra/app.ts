/**
 * The CDK app: one RouterStack per `cdk deploy -c stage=NAME`. Env-agnostic (no account or region
 * baked in, no lookups), so `cdk synth` runs offline; the account and region come from the
 * credentials at deploy time. cdk-nag's AWS Solutions checks run on every synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { splitAllowlist } from './allowlist.ts';
import { type CollectionQuery, SqlCollectionSchedule } from './constructs/SqlCollectionSchedule.ts';
import { RouterStack, type RouterStackProps, type StreamCapacity } from './RouterStack.ts';

/** The scripts of `engines/scripts/` a scheduled collection runs (the deliberately broken one left out). */
export const SCHEDULED_QUERIES: readonly CollectionQuery[] = [
  { name: 'node_details', script: 'node_details.sql' },
  { name: 'slice_distribution', script: 'slice_distribution.sql' },
  { name: 'wlm_queues', script: 'wlm_queues.sql' },
];

/** Reads the stack props from CDK context (`-c key=value` or cdk.json), with errors naming the key. */
export function propsFromContext(app: App): RouterStackProps {
  const text = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`context '${key}' must be a string or a number, got ${JSON.stringify(value)}`);
    }
    return String(value);
  };
  const stage = text('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) {
    throw new Error(
      `context 'stage' must be lowercase letters, digits and '-', got ${JSON.stringify(stage)}`,
    );
  }
  const shards = text('shardCount');
  let streamCapacity: StreamCapacity = { mode: 'on-demand' };
  if (shards !== undefined) {
    const shardCount = Number(shards);
    if (!Number.isInteger(shardCount) || shardCount < 1) {
      throw new Error(`context 'shardCount' must be a positive integer, got ${JSON.stringify(shards)}`);
    }
    streamCapacity = { mode: 'provisioned', shardCount };
  }
  const allowlist = text('resourceAllowlist');
  const alarmEmail = text('alarmEmail');
  const sdkResources = text('redshiftDataResources');
  const routerEntry = text('routerEntry');
  return {
    stage,
    ...(routerEntry === undefined ? {} : { routerEntry }),
    streamCapacity,
    ...(allowlist === undefined ? {} : { resourceAllowlist: splitAllowlist(allowlist) }),
    ...(sdkResources === undefined
      ? {}
      : { sdkResources: { 'redshift-data': splitAllowlist(sdkResources) } }),
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
  };
}

/** Builds the app; exported so tests synthesise exactly what `cdk synth` does. */
export function buildApp(app: App = new App()): { app: App; stack: RouterStack } {
  const props = propsFromContext(app);
  const stack = new RouterStack(app, `KinesisEventRouter-${props.stage}`, {
    ...props,
    description: `Kinesis event router runtime (${props.stage})`,
  });
  // Seed 003's collection: `-c sqlCollectionSchedule='cron(0 6 * * ? *)'` (any EventBridge expression),
  // with `-c sqlCollectionEmail=ADDRESS` for the notice of queries that still fail.
  const schedule: unknown = app.node.tryGetContext('sqlCollectionSchedule');
  if (typeof schedule === 'string' && schedule !== '') {
    const email: unknown = app.node.tryGetContext('sqlCollectionEmail');
    const role = stack.router.role;
    if (role === undefined) throw new Error('sqlCollectionSchedule: the router function has no role');
    new SqlCollectionSchedule(stack, 'SqlCollection', {
      stage: props.stage,
      stream: stack.stream,
      publisher: role,
      schedule: Schedule.expression(schedule),
      queries: SCHEDULED_QUERIES,
      ...(typeof email === 'string' && email !== '' ? { email } : {}),
    });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  buildApp().app.synth();
}
