/**
 * Builds the router's dependencies once, at cold start, so warm invocations reuse clients, caches and
 * compiled graphs. `loadRouterDeps` is what the deployed Lambda uses: it refuses to start without a
 * task-token secret outside the local stage and reads the secret from Secrets Manager. `routerDepsFromEnv`
 * is its synchronous form for the local stack and the CLI (secret from the environment); `routerDeps`
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
import {
  type RouterSettings,
  resourceNamesFromEnv,
  routerSettingsFromEnv,
  type TaskTokenSecretSource,
  taskTokenSecretSourceFromEnv,
} from './config.ts';
import type { ExecutionStore } from './executions/index.ts';
import {
  createNestedExecutions,
  DynamoDBExecutionStore,
  S3PayloadStore,
  settlementRecord,
  streamPut,
  withMapChildren,
  withNestedExecutions,
} from './executions/index.ts';
import {
  createJobStopper,
  createSdkIntegrations,
  createTaskInvoker,
  DynamoDBActivityQueue,
  type TaskInvoker,
} from './invoke/index.ts';
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
import {
  lazySecretsManagerReader,
  readTaskTokenSecrets,
  type SecretVersionReader,
  TaskTokenKeyring,
} from './security/index.ts';

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
  /**
   * The task-token secrets, when they can change while the process runs (read from Secrets Manager).
   * Default: the fixed `taskTokenSecret` and `previousTaskTokenSecrets` of `settings`.
   */
  readonly taskTokens?: TaskTokenKeyring;
  /** `$$.Execution.RoleArn`: the role the router calls steps with (`ROUTER_ROLE_ARN`). */
  readonly roleArn?: string;
  /**
   * How distributed Maps run their children: `executions` through the stream (the invoker must start
   * them, see `withMapChildren`), or `threads` in the parent's run (the default).
   */
  readonly mapChildren?: 'threads' | 'executions';
}

/**
 * Assembles router dependencies from parts. Graphs compile with the deployment's limits and sign task
 * tokens with the keyring's current secret at the time of each token (a rotation reaches graphs already
 * compiled); callbacks are verified against the current, then the previous secrets.
 */
export function routerDeps(parts: RouterParts): RouterDeps {
  const { settings, logger } = parts;
  const clock = parts.clock ?? systemClock;
  const taskTokens =
    parts.taskTokens ??
    new TaskTokenKeyring({ current: settings.taskTokenSecret, previous: settings.previousTaskTokenSecrets });
  const resolver = new EngineResolver<CompiledGraph>({
    index: parts.index,
    store: parts.store,
    load: parts.load,
    compile: (graph, engineRef) =>
      compileGraph(graph, {
        // Asked at each token: after a rotation, graphs compiled before it sign with the new secret.
        taskTokenSecret: () => taskTokens.signingSecret(),
        engineRef,
        ...(parts.mapChildren === undefined ? {} : { mapChildren: parts.mapChildren }),
        ...(parts.roleArn === undefined ? {} : { roleArn: parts.roleArn }),
      }),
    aliasTtlMs: settings.aliasTtlMs,
    maxVersions: settings.engineCacheVersions,
    maxBytes: settings.engineCacheBytes,
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
    verifyTaskToken: taskTokens.verify,
  };
}

/** Parts a caller may supply instead of the ones built from the environment. */
export type RouterDepsOverrides = Partial<Pick<RouterParts, 'logger' | 'metrics' | 'invoke'>>;

/**
 * A router's dependencies from the environment, synchronously: the local stack's, the benchmarks' and
 * the CLI's. The task-token secret is the environment's (`ROUTER_TASK_TOKEN_SECRET`, or the local stage's
 * built-in one); see `taskTokenSecretsFromEnv` in config.ts for an environment without one. The deployed
 * router uses {@link loadRouterDeps}.
 */
export function routerDepsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: RouterDepsOverrides = {},
): RouterDeps {
  return depsFromEnv(env, overrides, routerSettingsFromEnv(env), undefined);
}

/** What {@link loadRouterDeps} reads the secret with; tests inject it, the Lambda uses Secrets Manager. */
export interface LoadRouterDepsOptions extends RouterDepsOverrides {
  /** Default: Secrets Manager, its client loaded only when `ROUTER_TASK_TOKEN_SECRET_ARN` is set. */
  readonly readSecret?: SecretVersionReader;
  /** Epoch milliseconds, for the keyring's re-read interval. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The deployed router's dependencies, built at cold start. Refuses to start outside the local stage
 * without a task-token secret (throws `SettingError` naming the variable), reads the secret's AWSCURRENT
 * and AWSPREVIOUS versions from Secrets Manager when `ROUTER_TASK_TOKEN_SECRET_ARN` names one, and reads
 * them again when a callback's token matches neither (a rotation since this cold start).
 *
 * @example
 * // router/handler.ts
 * const router = new MessageEventRouter(await loadRouterDeps());
 */
export async function loadRouterDeps(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadRouterDepsOptions = {},
): Promise<RouterDeps> {
  const source: TaskTokenSecretSource = taskTokenSecretSourceFromEnv(env);
  if (source.kind === 'environment') {
    return depsFromEnv(env, options, routerSettingsFromEnv(env, source.secrets), undefined);
  }
  const read = options.readSecret ?? lazySecretsManagerReader(awsEnvironmentFromEnv(env));
  const secrets = await readTaskTokenSecrets(source.arn, read);
  const logger = options.logger ?? powertoolsLogger();
  const taskTokens = new TaskTokenKeyring(secrets, {
    reload: () => readTaskTokenSecrets(source.arn, read),
    logger,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return depsFromEnv(env, { ...options, logger }, routerSettingsFromEnv(env, secrets), taskTokens);
}

function depsFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: RouterDepsOverrides,
  settings: RouterSettings,
  taskTokens: TaskTokenKeyring | undefined,
): RouterDeps {
  const aws: AwsEnvironment = awsEnvironmentFromEnv(env);
  const names = resourceNamesFromEnv(env);
  const registry = registryFromEnv(env, aws);
  const dynamodb = dynamoDbDocumentClient(aws);
  const s3 = s3Client(aws);
  const sdk = createSdkIntegrations(aws);
  const put = streamPut(sdk, names.stream);
  const nested = createNestedExecutions({
    region: aws.region,
    accountId: env.AWS_ACCOUNT_ID ?? '000000000000',
    isEngine: async (engine) => (await built.resolver.snapshot()).aliases.has(engine),
    put,
    now: () => built.clock.now(),
  });
  const built: RouterDeps = routerDeps({
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
    invoke: withMapChildren(
      withNestedExecutions(
        overrides.invoke ??
          createTaskInvoker({
            lambda: lambdaClient(aws),
            sdk,
            allowlist: settings.allowlist,
            region: aws.region,
            ...(env.AWS_ACCOUNT_ID === undefined ? {} : { accountId: env.AWS_ACCOUNT_ID }),
            activities: new DynamoDBActivityQueue({ dynamodb, table: names.executionsTable }),
          }),
        nested,
      ),
      {
        region: aws.region,
        accountId: env.AWS_ACCOUNT_ID ?? '000000000000',
        put,
        now: () => built.clock.now(),
      },
    ),
    mapChildren: 'executions',
    ...(env.ROUTER_ROLE_ARN === undefined ? {} : { roleArn: env.ROUTER_ROLE_ARN }),
    settings,
    logger: overrides.logger ?? powertoolsLogger(),
    metrics: overrides.metrics ?? powertoolsMetrics(),
    ...(taskTokens === undefined ? {} : { taskTokens }),
  });
  return {
    ...built,
    stopJob: createJobStopper(sdk),
    childExecutions: {
      settleParent: (settlement, child) => put(settlementRecord(settlement, child)),
      waitedChildren: (state) => nested.waitedChildren(state),
      waitedChild: (effect) => nested.waitedChild(effect),
    },
  };
}
