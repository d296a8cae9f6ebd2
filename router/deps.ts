/**
 * Builds the router's dependencies once, at cold start, so warm invocations reuse clients, caches and
 * compiled graphs. `routerDepsFromEnv` is what the deployed Lambda and the local stack use; `routerDeps`
 * assembles any set of parts (in-memory stores, local steps) for tests and the in-process benchmark.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, type CompiledGraph, compileGraph, systemClock } from './asl/index.ts';
import {
  type AwsEnvironment,
  awsEnvironmentFromEnv,
  dynamoDbDocumentClient,
  lambdaClient,
  s3Client,
} from './aws/index.ts';
import { type RouterSettings, resourceNamesFromEnv, routerSettingsFromEnv } from './config.ts';
import type { ExecutionStore } from './executions/index.ts';
import { DynamoDBExecutionStore, S3PayloadStore } from './executions/index.ts';
import { createSdkIntegrations, createTaskInvoker, type TaskInvoker } from './invoke/index.ts';
import type { RouterDeps } from './MessageEventRouter.ts';
import {
  powertoolsLogger,
  powertoolsMetrics,
  type RouterLogger,
  type RouterMetrics,
} from './observability/index.ts';
import type { QuarantineStore } from './quarantine/index.ts';
import { S3QuarantineStore } from './quarantine/index.ts';
import type { EngineIndex, GraphStore } from './registry/index.ts';
import { EngineResolver, type GraphLoader, registryFromEnv } from './registry/index.ts';

/** The parts a router is made of. */
export interface RouterParts {
  readonly index: EngineIndex;
  readonly store: GraphStore;
  readonly load: GraphLoader;
  readonly executions: ExecutionStore;
  readonly quarantine: QuarantineStore;
  readonly invoke: TaskInvoker;
  readonly settings: RouterSettings;
  readonly logger: RouterLogger;
  readonly metrics: RouterMetrics;
  readonly clock?: Clock;
  /** For messages about where graphs are stored (`s3://bucket`). */
  readonly storeLabel?: string;
}

/** Assembles router dependencies from parts; graphs compile with the deployment's limits and token secret. */
export function routerDeps(parts: RouterParts): RouterDeps {
  const { settings, logger } = parts;
  const clock = parts.clock ?? systemClock;
  const resolver = new EngineResolver<CompiledGraph>({
    index: parts.index,
    store: parts.store,
    load: parts.load,
    compile: (graph) => compileGraph(graph, { taskTokenSecret: settings.taskTokenSecret }),
    aliasTtlMs: settings.aliasTtlMs,
    ...(parts.storeLabel === undefined ? {} : { storeLabel: parts.storeLabel }),
    onError: (message, error) => logger.error(message, { error: String(error) }),
    clock,
  });
  return {
    resolver,
    executions: parts.executions,
    quarantine: parts.quarantine,
    invoke: parts.invoke,
    settings,
    clock,
    logger,
    metrics: parts.metrics,
    newOwner: () => randomUUID(),
  };
}

/** The deployed router's dependencies: every name and setting from the environment. */
export function routerDepsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Pick<RouterParts, 'logger' | 'metrics' | 'invoke'>> = {},
): RouterDeps {
  const aws: AwsEnvironment = awsEnvironmentFromEnv(env);
  const names = resourceNamesFromEnv(env);
  const settings = routerSettingsFromEnv(env);
  const registry = registryFromEnv(env, aws);
  const dynamodb = dynamoDbDocumentClient(aws);
  const s3 = s3Client(aws);
  return routerDeps({
    index: registry.index,
    store: registry.store,
    load: registry.graphLoader,
    storeLabel: `s3://${names.bucket}`,
    executions: new DynamoDBExecutionStore({
      dynamodb,
      table: names.executionsTable,
      payloads: new S3PayloadStore({ s3, bucket: names.bucket }),
    }),
    quarantine: new S3QuarantineStore({
      s3,
      dynamodb,
      bucket: names.bucket,
      table: names.enginesTable,
    }),
    invoke:
      overrides.invoke ??
      createTaskInvoker({
        lambda: lambdaClient(aws),
        sdk: createSdkIntegrations(aws),
        allowlist: settings.allowlist,
        region: aws.region,
        ...(env.AWS_ACCOUNT_ID === undefined ? {} : { accountId: env.AWS_ACCOUNT_ID }),
      }),
    settings,
    logger: overrides.logger ?? powertoolsLogger(),
    metrics: overrides.metrics ?? powertoolsMetrics(),
  });
}
