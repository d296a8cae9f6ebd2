/**
 * The whole runtime on one embedded local stack, for end-to-end tests of the MessageEventRouter: the
 * edge with Kinesis, DynamoDB and S3, the local Lambda host serving a test file's step functions, the
 * resources created by the real bootstrap, graphs published through the real publishing path, the
 * router built by `loadRouterDeps` exactly as the deployed handler builds it (the task-token secret read
 * from the stack's Secrets Manager when a test names one), and the event source
 * mapping emulator feeding it. Events go on the stream through the Producer. Nothing is faked: every
 * call crosses the edge through the AWS SDK v3.
 */
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import {
  type EventSourceMapping,
  type KinesisBatchHandler,
  startEventSourceMapping,
} from '../../../localstack/esm/index.ts';
import { createLambdaHost, type LocalFunction } from '../../../localstack/lambda/index.ts';
import type { ServiceEmulator } from '../../../localstack/service.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import type { Clock } from '../../../router/asl/interpreter/clock.ts';
import { dynamoDbDocumentClient, kinesisClient, s3Client } from '../../../router/aws/clients.ts';
import type { AwsEnvironment } from '../../../router/aws/index.ts';
import type { ResourceNames } from '../../../router/config.ts';
import { loadRouterDeps } from '../../../router/deps.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { fromItem } from '../../../router/executions/items.ts';
import {
  type BatchSummary,
  MessageEventRouter,
  type RouterDeps,
} from '../../../router/MessageEventRouter.ts';
import {
  CountingMetrics,
  type LogFields,
  type RouterLogger,
} from '../../../router/observability/telemetry.ts';
import { Producer, type ProducerEvent, type ProducerSummary } from '../../../router/producer/Producer.ts';
import type { QuarantineDetail } from '../../../router/quarantine/QuarantineStore.ts';
import { S3QuarantineStore } from '../../../router/quarantine/S3QuarantineStore.ts';
import { type Registry, registryFromEnv } from '../../../router/registry/fromEnv.ts';
import type { RegistryDeps } from '../../../router/registry/publish.ts';
import { type PublishRequest, type PublishResult, publishEngine } from '../../../router/registry/publish.ts';

/** One line the router logged. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** How a test file wants its runtime. */
export interface RouterStackOptions {
  /** Step functions served by the local Lambda host, by function name. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  /** `ROUTER_*` settings for the router (strings, as the deployed function's environment holds them). */
  readonly settings?: Readonly<Record<string, string>>;
  /** Shards of the stream (default 1). */
  readonly shards?: number;
  /** Records per invocation (default 50). */
  readonly batchSize?: number;
  /** Poll interval of the mapping, which also paces the sweep (default 25 ms). */
  readonly pollIntervalMs?: number;
  /**
   * Resume due waits from the mapping's idle ticks, at most once per this many ms (default 100); `false`
   * for files with no durable waits, where the sweep's index queries only cost time.
   */
  readonly sweepEveryMs?: number | false;
  /** Account-level concurrency of the Lambda host (default Lambda's 1,000). */
  readonly concurrencyLimit?: number;
  /** Wraps the router's batch handler, e.g. to fail an item after the router ran it (a forced redelivery). */
  readonly wrap?: (handler: KinesisBatchHandler) => KinesisBatchHandler;
  /** The router's clock (due times, leases), so a test moves time instead of waiting for it. Default: real time. */
  readonly clock?: Clock;
  /** Emulations served beside the Lambda host (SQS, SNS, EventBridge, Secrets Manager). */
  readonly services?: readonly ServiceEmulator[];
  /**
   * Runs once the stack is bootstrapped, before the router's cold start; the settings it returns join
   * `settings` (the ARN of a secret the test created in the stack's Secrets Manager).
   */
  readonly prepare?: (aws: AwsEnvironment) => Promise<Readonly<Record<string, string>>>;
}

/** A running runtime and the handles a test asserts through. */
export interface RouterStack {
  readonly stack: LocalStack;
  readonly names: ResourceNames;
  /** The environment the router was built from (stack endpoint plus names and settings). */
  readonly env: Readonly<Record<string, string>>;
  readonly deps: RouterDeps;
  readonly router: MessageEventRouter;
  readonly esm: EventSourceMapping;
  readonly registry: Registry;
  readonly registryDeps: RegistryDeps;
  readonly metrics: CountingMetrics;
  readonly logs: LogLine[];
  /** What each invocation of the router did, in order. */
  readonly batches: BatchSummary[];
  /** What each sweep resumed (empty sweeps left out). */
  readonly sweeps: BatchSummary[];
  /** Errors the mapping survived (failed polls, failing sweeps); a healthy run has none. */
  readonly survived: unknown[];
  /** Resolves with what the first sweep started after this call did (empty sweeps included). */
  nextSweep(): Promise<BatchSummary>;
  /** Publishes a graph and waits until the router serves the alias it moved. */
  publish(request: PublishRequest): Promise<PublishResult>;
  /** Waits until the router's alias snapshot matches the engine's `live` alias in the index. */
  awaitAlias(engine: string): Promise<void>;
  /** Puts events through the Producer; fails if any event could not be written. */
  put(events: readonly ProducerEvent[]): Promise<ProducerSummary>;
  /** Resolves when every shard has been seen caught up with nothing in flight. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  execution(engine: string, dedupKey: string): Promise<ExecutionRecord | undefined>;
  /** Executions of an engine (started at or after `since`), read from the executions table's per-engine index. */
  executions(engine: string, since?: Date): Promise<ExecutionRecord[]>;
  /** Every quarantine entry, each with its S3 object (the raw record). */
  quarantined(): Promise<QuarantineDetail[]>;
  /** Shard ids with the hash key that lands on each, for putting events on a chosen shard. */
  shardKeys(): Promise<{ shardId: string; hashKey: string }[]>;
  stop(): Promise<void>;
}

let fileSequence = 0;

/** Lower-case, digit and hyphen names, valid as stream, table and bucket names, unique per test file. */
function uniqueNames(): ResourceNames {
  fileSequence += 1;
  const tag = `${Date.now().toString(36)}-${process.pid.toString(36)}-${fileSequence}`;
  return {
    stream: `router-e2e-${tag}`,
    enginesTable: `router-e2e-engines-${tag}`,
    executionsTable: `router-e2e-executions-${tag}`,
    bucket: `router-e2e-${tag}`,
    esmTable: `router-e2e-esm-${tag}`,
  };
}

function capturingLogger(lines: LogLine[]): RouterLogger {
  const at =
    (level: LogLine['level']) =>
    (message: string, fields: LogFields = {}): void => {
      lines.push({ level, message, fields });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`router stack: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Starts the runtime: stack on a free port with the Lambda host, bootstrap with names unique to the
 * file, router from the environment, mapping with partial batch responses and the sweep on idle ticks.
 *
 * @example
 * const rt = await startRouterStack({ functions: { step1: log.step('step1') } });
 * await rt.publish({ source, file: 'orders.hjson' });
 * await rt.put([{ partitionKey: 'k', data: cloudEvent }]);
 * await rt.waitForIdle();
 * await rt.stop();
 */
export async function startRouterStack(options: RouterStackOptions): Promise<RouterStack> {
  const lambda = createLambdaHost({
    functions: options.functions,
    catalog: [],
    ...(options.concurrencyLimit === undefined ? {} : { concurrencyLimit: options.concurrencyLimit }),
    log: { info() {}, error() {} },
  });
  const stack = await startLocalStack({ port: 0, services: [lambda, ...(options.services ?? [])] });
  let esm: EventSourceMapping | undefined;
  try {
    const names = uniqueNames();
    await bootstrap({ aws: stack.aws, names, shards: options.shards ?? 1, local: true });
    const env: Record<string, string> = {
      ...stack.env,
      ROUTER_STREAM: names.stream,
      ROUTER_ENGINES_TABLE: names.enginesTable,
      ROUTER_EXECUTIONS_TABLE: names.executionsTable,
      ROUTER_BUCKET: names.bucket,
      ROUTER_ESM_TABLE: names.esmTable,
      ROUTER_ALIAS_TTL_MS: '100',
      ...options.settings,
      ...(options.prepare === undefined ? {} : await options.prepare(stack.aws)),
    };
    const logs: LogLine[] = [];
    const metrics = new CountingMetrics();
    const built = await loadRouterDeps(env, { logger: capturingLogger(logs), metrics });
    const deps: RouterDeps = options.clock === undefined ? built : { ...built, clock: options.clock };
    const router = new MessageEventRouter(deps);
    const registry = registryFromEnv(env, stack.aws);
    const registryDeps: RegistryDeps = { index: registry.index, store: registry.store };
    const batches: BatchSummary[] = [];
    const sweeps: BatchSummary[] = [];
    const survived: unknown[] = [];
    const sweepEveryMs = options.sweepEveryMs ?? 100;
    let lastSweep = 0;
    let sweepWaiters: ((summary: BatchSummary) => void)[] = [];
    // `handleBatch` is `processBatch` reduced to its `batchItemFailures`; keeping the summary lets tests
    // see per-version duplicates and waits without changing what the mapping receives.
    const route: KinesisBatchHandler = async (event, context) => {
      const summary = await router.processBatch(event, {
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
      });
      batches.push(summary);
      return { batchItemFailures: summary.failures };
    };
    esm = await startEventSourceMapping({
      stream: names.stream,
      aws: stack.aws,
      handler: options.wrap === undefined ? route : options.wrap(route),
      checkpointTable: names.esmTable,
      batchSize: options.batchSize ?? 50,
      pollIntervalMs: options.pollIntervalMs ?? 25,
      reportBatchItemFailures: true,
      startingPosition: 'TRIM_HORIZON',
      ...(sweepEveryMs === false
        ? {}
        : {
            onIdleTick: async () => {
              if (Date.now() - lastSweep < sweepEveryMs) return;
              lastSweep = Date.now();
              const waiting = sweepWaiters;
              sweepWaiters = [];
              const summary = await router.sweep();
              if (summary.succeeded + summary.failed + summary.waiting > 0) sweeps.push(summary);
              for (const wake of waiting) wake(summary);
            },
          }),
      onError: (error) => survived.push(error),
    });
    const mapping = esm;
    const kinesis = kinesisClient(stack.aws);
    const dynamodb = dynamoDbDocumentClient(stack.aws);
    const producer = new Producer({ kinesis, streamName: names.stream });
    const quarantine = new S3QuarantineStore({
      s3: s3Client(stack.aws),
      dynamodb,
      bucket: names.bucket,
      table: names.enginesTable,
    });

    const awaitAlias = async (engine: string): Promise<void> => {
      const wanted = await registry.index.getAlias(engine, 'live');
      await until(`the router did not pick up alias ${engine}:live`, 5_000, async () => {
        const seen = (await deps.resolver.snapshot()).aliases.get(engine);
        return wanted === undefined
          ? seen === undefined
          : seen !== undefined &&
              seen.updatedAt === wanted.updatedAt &&
              JSON.stringify(seen.targets) === JSON.stringify(wanted.targets);
      });
    };

    return {
      stack,
      names,
      env,
      deps,
      router,
      esm: mapping,
      registry,
      registryDeps,
      metrics,
      logs,
      batches,
      sweeps,
      survived,
      nextSweep() {
        if (sweepEveryMs === false)
          return Promise.reject(new Error('router stack: started without the sweep'));
        return new Promise((resolve) => sweepWaiters.push(resolve));
      },
      async publish(request) {
        const result = await publishEngine(request, registry.publishLoader, registryDeps);
        if (result.alias !== undefined) await awaitAlias(result.engine);
        return result;
      },
      awaitAlias,
      async put(events) {
        const summary = await producer.put(events);
        if (summary.failed > 0) {
          throw new Error(
            `router stack: ${summary.failed} of ${events.length} events not written: ${JSON.stringify(summary.errorCodes)}`,
          );
        }
        return summary;
      },
      waitForIdle: (timeoutMs = 20_000) => mapping.waitForIdle(timeoutMs),
      execution: (engine, dedupKey) => deps.executions.get({ engine, dedupKey }),
      async executions(engine, since) {
        const records: ExecutionRecord[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await dynamodb.send(
            new QueryCommand({
              TableName: names.executionsTable,
              IndexName: 'gsi2',
              KeyConditionExpression:
                since === undefined ? 'gsi2pk = :engine' : 'gsi2pk = :engine AND gsi2sk >= :since',
              ExpressionAttributeValues: {
                ':engine': `ENGINE#${engine}`,
                ...(since === undefined ? {} : { ':since': since.toISOString() }),
              },
              ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            }),
          );
          for (const item of page.Items ?? []) records.push(fromItem(item));
          startKey = page.LastEvaluatedKey;
        } while (startKey !== undefined);
        return records;
      },
      async quarantined() {
        const details: QuarantineDetail[] = [];
        for await (const entry of quarantine.list()) {
          const detail = await quarantine.get(entry.id);
          if (detail === undefined)
            throw new Error(`router stack: quarantine entry ${entry.id} has no object`);
          details.push(detail);
        }
        return details;
      },
      async shardKeys() {
        const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: names.stream }));
        return (Shards ?? []).map((shard) => ({
          shardId: shard.ShardId ?? '',
          hashKey: shard.HashKeyRange?.StartingHashKey ?? '0',
        }));
      },
      async stop() {
        await mapping.stop();
        await stack.stop();
      },
    };
  } catch (error) {
    await esm?.stop();
    await stack.stop();
    throw error;
  }
}

/**
 * Registers `beforeAll` / `afterAll` for a test file and returns an accessor valid inside tests.
 *
 * @example
 * const runtime = useRouterStack({ functions: { step1: log.step('step1') } });
 * it('runs', async () => { await runtime().put(...) });
 */
export function useRouterStack(options: RouterStackOptions): () => RouterStack {
  let current: RouterStack | undefined;
  beforeAll(async () => {
    current = await startRouterStack(options);
  });
  afterAll(async () => {
    await current?.stop();
  });
  return () => {
    if (current === undefined) throw new Error('useRouterStack: read before beforeAll has run');
    return current;
  };
}
