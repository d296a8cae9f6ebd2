/**
 * Harness of the crash tests: the embedded stack (with the Lambda host serving the steps) lives in the
 * test process, the router lives in a child process (`routerProcess.ts`) that the test kills with
 * SIGKILL and starts again. Steps write one item per idempotency key to their own effect table with a
 * conditional put, the way an idempotent step does, and the harness counts every invocation, so a test
 * can tell effects (must be exactly one per message and step) from re-invocations (what kills cost).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import { createLambdaHost, type StepHandler } from '../../../localstack/lambda/index.ts';
import type { ServiceEmulator } from '../../../localstack/service.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import {
  dynamoDbClient,
  dynamoDbDocumentClient,
  kinesisClient,
  s3Client,
} from '../../../router/aws/clients.ts';
import type { ResourceNames } from '../../../router/config.ts';
import { DynamoDBExecutionStore } from '../../../router/executions/DynamoDBExecutionStore.ts';
import { S3PayloadStore } from '../../../router/executions/S3PayloadStore.ts';
import { Producer, type ProducerEvent } from '../../../router/producer/Producer.ts';
import { registryFromEnv } from '../../../router/registry/fromEnv.ts';
import { publishEngine } from '../../../router/registry/publish.ts';
import { idempotencyKeyOf } from '../../fixtures/steps/recorder.ts';

/** A step's own logic; the harness wraps it with the effect write and the call count. */
export type StepLogic = (payload: unknown, key: string) => unknown | Promise<unknown>;

/** A running crash stack. */
export interface CrashStack {
  readonly stack: LocalStack;
  readonly names: ResourceNames;
  readonly env: Readonly<Record<string, string>>;
  readonly executions: DynamoDBExecutionStore;
  /** Invocations per `fn idempotencyKey`. */
  readonly calls: Map<string, number>;
  publish(engine: string, source: string): Promise<void>;
  put(events: readonly ProducerEvent[]): Promise<void>;
  /** Items in the steps' effect table. */
  effectCount(): Promise<number>;
  /** Starts the router process and resolves once it polls. */
  startRouter(): Promise<RouterChild>;
  stop(): Promise<void>;
}

/** The router's child process. */
export interface RouterChild {
  readonly process: ChildProcess;
  readonly batches: number;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

const ROUTER_PROCESS = 'test/integration/durable/routerProcess.ts';
/** The router process bundled once (beside node_modules, so its packages resolve): starts in a third of tsx's time. */
const ROUTER_BUNDLE = `node_modules/.cache/crash-test/routerProcess-${process.pid}.mjs`;
let bundled: Promise<unknown> | undefined;

let sequence = 0;

/** Starts the stack, bootstraps resources unique to this call, and serves `steps` from the Lambda host. */
export async function startCrashStack(
  steps: Readonly<Record<string, StepLogic>>,
  settings: Readonly<Record<string, string>> = {},
  services: readonly ServiceEmulator[] = [],
): Promise<CrashStack> {
  sequence += 1;
  const tag = `${Date.now().toString(36)}-${process.pid.toString(36)}-${sequence}`;
  const names: ResourceNames = {
    stream: `crash-${tag}`,
    enginesTable: `crash-engines-${tag}`,
    executionsTable: `crash-executions-${tag}`,
    bucket: `crash-${tag}`,
    esmTable: `crash-esm-${tag}`,
  };
  const effectsTable = `crash-effects-${tag}`;
  const calls = new Map<string, number>();
  let documents: ReturnType<typeof dynamoDbDocumentClient> | undefined;
  const functions: Record<string, { readonly handler: StepHandler; readonly timeoutSeconds: number }> = {};
  for (const [fn, logic] of Object.entries(steps)) {
    const handler: StepHandler = async (event: unknown, context: Context) => {
      const key = idempotencyKeyOf(fn, context);
      calls.set(`${fn} ${key}`, (calls.get(`${fn} ${key}`) ?? 0) + 1);
      const result = await logic(event, key);
      try {
        await documents?.send(
          new PutCommand({
            TableName: effectsTable,
            Item: { key: `${fn} ${key}` },
            ConditionExpression: 'attribute_not_exists(#k)',
            ExpressionAttributeNames: { '#k': 'key' },
          }),
        );
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
      }
      return result;
    };
    // A busy two-core machine runs the stack, the router and the test: give steps room beyond Lambda's 3 s.
    functions[fn] = { handler, timeoutSeconds: 30 };
  }
  const lambda = createLambdaHost({ functions, catalog: [], log: { info() {}, error() {} } });
  const stack = await startLocalStack({ port: 0, services: [lambda, ...services] });
  documents = dynamoDbDocumentClient(stack.aws);
  await bootstrap({ aws: stack.aws, names, shards: Number(settings.CRASH_SHARDS ?? '2'), local: true });
  await dynamoDbClient(stack.aws).send(
    new CreateTableCommand({
      TableName: effectsTable,
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const env: Record<string, string> = {
    ...stack.env,
    ROUTER_STREAM: names.stream,
    ROUTER_ENGINES_TABLE: names.enginesTable,
    ROUTER_EXECUTIONS_TABLE: names.executionsTable,
    ROUTER_BUCKET: names.bucket,
    ROUTER_ESM_TABLE: names.esmTable,
    ROUTER_ALIAS_TTL_MS: '1000',
    ...settings,
  };
  const registry = registryFromEnv(env, stack.aws);
  const kinesis = kinesisClient(stack.aws);
  const producer = new Producer({ kinesis, streamName: names.stream });
  const children = new Set<ChildProcess>();
  bundled ??= build({
    entryPoints: [ROUTER_PROCESS],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: ROUTER_BUNDLE,
    logLevel: 'warning',
  });
  await bundled;

  return {
    stack,
    names,
    env,
    executions: new DynamoDBExecutionStore({
      dynamodb: documents,
      table: names.executionsTable,
      payloads: new S3PayloadStore({ s3: s3Client(stack.aws), bucket: names.bucket }),
    }),
    calls,
    async publish(engine, source) {
      await publishEngine({ source, file: `${engine}.hjson`, engine }, registry.publishLoader, {
        index: registry.index,
        store: registry.store,
      });
    },
    async put(events) {
      const summary = await producer.put(events);
      if (summary.failed > 0) throw new Error(`crash stack: ${summary.failed} events not written`);
    },
    async effectCount() {
      let count = 0;
      let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
      do {
        const page = await dynamoDbClient(stack.aws).send(
          new ScanCommand({
            TableName: effectsTable,
            Select: 'COUNT',
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return count;
    },
    startRouter() {
      const child = spawn(process.execPath, ['--openssl-legacy-provider', ROUTER_BUNDLE], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let batches = 0;
      let errors = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        errors = (errors + chunk.toString()).slice(-4_000);
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return new Promise<RouterChild>((resolve, reject) => {
        let buffered = '';
        const handle: RouterChild = {
          process: child,
          get batches() {
            return batches;
          },
          async kill() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await exited;
            children.delete(child);
          },
        };
        child.stdout?.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) {
            if (line === 'ready') resolve(handle);
            else if (line.startsWith('{"batch"')) batches += 1;
          }
        });
        child.once('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`router process exited (${code ?? signal}): ${errors}`));
        });
      });
    },
    async stop() {
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      kinesis.destroy();
      await stack.stop();
      bundled = undefined;
      await rm(ROUTER_BUNDLE, { force: true });
    },
  };
}

/** Every execution of an engine counted by status (a paged Query on the per-engine index, statuses only). */
export async function statusCounts(crash: CrashStack, engine: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const client = dynamoDbDocumentClient(crash.stack.aws);
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: crash.names.executionsTable,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p',
        ProjectionExpression: '#s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':p': `ENGINE#${engine}` },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      const status = String(item.status);
      counts[status] = (counts[status] ?? 0) + 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  client.destroy();
  return counts;
}
