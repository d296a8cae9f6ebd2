/**
 * Harness of the crash tests: the embedded stack (with the Lambda host serving the steps) lives in the
 * test process, the router lives in a child process (`routerProcess.ts`) that the test kills with
 * SIGKILL and starts again. Steps write one item per idempotency key to their own effect table with a
 * conditional put, the way an idempotent step does, and the harness counts every invocation, so a test
 * can tell effects (must be exactly one per message and step) from re-invocations (what kills cost).
 *
 * Each effect item also carries the unit of work it belongs to (`unitOf`: message and step, whatever the
 * idempotency key) and a harness-wide counter taken when the step wrote it, so a test sees a second
 * effect of one unit under a second key, and the order in which the effects happened.
 *
 * The stack's fault injector (`faults`) is armed by the test once its resources are published. The
 * harness's own clients (the steps' effect writes, the checks) retry patiently, so the faults land on
 * the router, not on the measurement.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import {
  type AttributeValue,
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { build } from 'esbuild';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import type { FaultInjector } from '../../../localstack/faults.ts';
import { createLambdaHost, type StepHandler } from '../../../localstack/lambda/index.ts';
import type { ServiceEmulator } from '../../../localstack/service.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';
import { clientConfig } from '../../../router/aws/clients.ts';
import type { ResourceNames } from '../../../router/config.ts';
import { DynamoDBExecutionStore } from '../../../router/executions/DynamoDBExecutionStore.ts';
import { S3PayloadStore } from '../../../router/executions/S3PayloadStore.ts';
import { Producer, type ProducerEvent } from '../../../router/producer/Producer.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';
import { S3QuarantineStore } from '../../../router/quarantine/S3QuarantineStore.ts';
import { registryFromEnv } from '../../../router/registry/fromEnv.ts';
import { publishEngine } from '../../../router/registry/publish.ts';
import { idempotencyKeyOf } from '../../fixtures/steps/recorder.ts';

/** A step's own logic; the harness wraps it with the effect write and the call count. */
export type StepLogic = (payload: unknown, key: string) => unknown | Promise<unknown>;

/** One item of the steps' effect table. */
export interface EffectItem {
  /** `fn idempotencyKey`: what the conditional put is keyed on. */
  readonly key: string;
  /** The unit of work (`unitOf`), or the key when the stack has no `unitOf`. */
  readonly unit: string;
  /** The harness counter when the step wrote it: effects in the order they happened. */
  readonly at: number;
}

/** Sums of the router processes' batch and sweep lines, over every process started. */
export interface RouterTally {
  batches: number;
  records: number;
  succeeded: number;
  waiting: number;
  duplicates: number;
  quarantined: number;
  /** Records handed back for redelivery (`batchItemFailures`), and sweep resumes put off. */
  retried: number;
  sweeps: number;
  /** Errors the event source mapping survived (a batch that threw, a checkpoint write that failed). */
  survived: number;
}

/** A record as written to the stream. */
export interface WrittenRecord {
  readonly partitionKey: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** A running crash stack. */
export interface CrashStack {
  readonly stack: LocalStack;
  readonly names: ResourceNames;
  readonly env: Readonly<Record<string, string>>;
  readonly executions: DynamoDBExecutionStore;
  /** Invocations per `fn idempotencyKey`. */
  readonly calls: Map<string, number>;
  /** The edge's fault injector; disabled until the test enables it. */
  readonly faults: FaultInjector;
  readonly tally: RouterTally;
  publish(engine: string, source: string): Promise<void>;
  put(events: readonly ProducerEvent[]): Promise<void>;
  /** PutRecords in order, up to 500 records or 4 MiB per request, answering where each record went. */
  putRecords(records: readonly { partitionKey: string; data: Buffer }[]): Promise<WrittenRecord[]>;
  /** Items in the steps' effect table. */
  effectCount(): Promise<number>;
  /** Every item of the steps' effect table. */
  effects(): Promise<EffectItem[]>;
  /** Every quarantine entry, oldest arrival first. */
  quarantined(): Promise<QuarantineEntry[]>;
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

/** How the harness is built, beyond the steps and the router's settings. */
export interface CrashStackOptions {
  /** The fault plan (`localstack/faults.ts` syntax), injected once `faults.enable()` is called. */
  readonly faults?: string;
  /** The unit of work a step invocation belongs to, from the function name and its payload. */
  readonly unitOf?: (fn: string, payload: unknown) => string;
}

const ROUTER_PROCESS = 'test/integration/durable/routerProcess.ts';
/** The router process bundled once (beside node_modules, so its packages resolve): starts in a third of tsx's time. */
const ROUTER_BUNDLE = `node_modules/.cache/crash-test/routerProcess-${process.pid}.mjs`;
/** The harness's own calls outlast any fault plan a test sets (each attempt fails with at most its rate). */
const PATIENT_ATTEMPTS = 25;
/** PutRecords limits: 500 records and 5 MiB per request; kept under the byte limit with room for keys. */
const PUT_RECORDS_MAX = 500;
const PUT_BYTES_MAX = 4 * 1024 * 1024;
let bundled: Promise<unknown> | undefined;

let sequence = 0;

/** Starts the stack, bootstraps resources unique to this call, and serves `steps` from the Lambda host. */
export async function startCrashStack(
  steps: Readonly<Record<string, StepLogic>>,
  settings: Readonly<Record<string, string>> = {},
  services: readonly ServiceEmulator[] = [],
  options: CrashStackOptions = {},
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
  let effectCounter = 0;
  let documents: DynamoDBDocumentClient | undefined;
  const functions: Record<string, { readonly handler: StepHandler; readonly timeoutSeconds: number }> = {};
  for (const [fn, logic] of Object.entries(steps)) {
    const handler: StepHandler = async (event: unknown, context: Context) => {
      const key = idempotencyKeyOf(fn, context);
      calls.set(`${fn} ${key}`, (calls.get(`${fn} ${key}`) ?? 0) + 1);
      const result = await logic(event, key);
      effectCounter += 1;
      try {
        await documents?.send(
          new PutCommand({
            TableName: effectsTable,
            Item: {
              key: `${fn} ${key}`,
              unit: options.unitOf?.(fn, event) ?? `${fn} ${key}`,
              at: effectCounter,
            },
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
  const stack = await startLocalStack({
    port: 0,
    services: [lambda, ...services],
    faults: options.faults ?? '',
  });
  const dynamodb = new DynamoDBClient({
    ...clientConfig(stack.aws, 'dynamodb'),
    maxAttempts: PATIENT_ATTEMPTS,
  });
  const s3 = new S3Client({ ...clientConfig(stack.aws, 's3'), maxAttempts: PATIENT_ATTEMPTS });
  documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  await bootstrap({ aws: stack.aws, names, shards: Number(settings.CRASH_SHARDS ?? '2'), local: true });
  await dynamodb.send(
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
  const kinesis = new KinesisClient({ ...clientConfig(stack.aws, 'kinesis'), maxAttempts: PATIENT_ATTEMPTS });
  const producer = new Producer({ kinesis, streamName: names.stream });
  const quarantine = new S3QuarantineStore({
    dynamodb: documents,
    s3,
    table: names.enginesTable,
    bucket: names.bucket,
  });
  const children = new Set<ChildProcess>();
  const tally: RouterTally = {
    batches: 0,
    records: 0,
    succeeded: 0,
    waiting: 0,
    duplicates: 0,
    quarantined: 0,
    retried: 0,
    sweeps: 0,
    survived: 0,
  };
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

  const scan = async (onPage: (items: readonly Record<string, AttributeValue>[]) => void): Promise<void> => {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(
        new ScanCommand({
          TableName: effectsTable,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      onPage(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  };

  /** Adds one line of a router process's output to the tally. */
  const count = (line: string): void => {
    if (!line.startsWith('{')) return;
    const parsed = JSON.parse(line) as {
      batch?: Partial<Record<keyof RouterTally, number>>;
      sweep?: Partial<Record<keyof RouterTally, number>>;
    };
    if (parsed.batch !== undefined) {
      tally.batches += 1;
      for (const field of [
        'records',
        'succeeded',
        'waiting',
        'duplicates',
        'quarantined',
        'retried',
      ] as const)
        tally[field] += parsed.batch[field] ?? 0;
    }
    if (parsed.sweep !== undefined) {
      tally.sweeps += 1;
      tally.retried += parsed.sweep.retried ?? 0;
      tally.succeeded += parsed.sweep.succeeded ?? 0;
    }
  };

  return {
    stack,
    names,
    env,
    executions: new DynamoDBExecutionStore({
      dynamodb: documents,
      table: names.executionsTable,
      payloads: new S3PayloadStore({ s3, bucket: names.bucket }),
    }),
    calls,
    faults: stack.faults,
    tally,
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
    async putRecords(records) {
      const written: WrittenRecord[] = [];
      let from = 0;
      while (from < records.length) {
        let to = from;
        let bytes = 0;
        while (to < records.length && to - from < PUT_RECORDS_MAX) {
          const next = records[to];
          if (next === undefined) break;
          const size = next.data.length + Buffer.byteLength(next.partitionKey);
          if (to > from && bytes + size > PUT_BYTES_MAX) break;
          bytes += size;
          to += 1;
        }
        const chunk = records.slice(from, to);
        const output = await kinesis.send(
          new PutRecordsCommand({
            StreamName: names.stream,
            Records: chunk.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
          }),
        );
        if ((output.FailedRecordCount ?? 0) > 0) {
          throw new Error(`crash stack: ${output.FailedRecordCount} records of a PutRecords request failed`);
        }
        chunk.forEach((record, i) => {
          const entry = output.Records?.[i];
          if (entry?.ShardId === undefined || entry.SequenceNumber === undefined) {
            throw new Error(`crash stack: PutRecords answered no position for record ${from + i}`);
          }
          written.push({
            partitionKey: record.partitionKey,
            shardId: entry.ShardId,
            sequenceNumber: entry.SequenceNumber,
          });
        });
        from = to;
      }
      return written;
    },
    async effectCount() {
      let total = 0;
      await scan((items) => {
        total += items.length;
      });
      return total;
    },
    async effects() {
      const items: EffectItem[] = [];
      await scan((page) => {
        for (const item of page) {
          items.push({
            key: item.key?.S ?? '',
            unit: item.unit?.S ?? '',
            at: Number(item.at?.N ?? 'NaN'),
          });
        }
      });
      return items;
    },
    async quarantined() {
      const entries: QuarantineEntry[] = [];
      for await (const entry of quarantine.list()) entries.push(entry);
      return entries;
    },
    startRouter() {
      const child = spawn(process.execPath, ['--openssl-legacy-provider', ROUTER_BUNDLE], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      let batches = 0;
      let errors = '';
      let errorLines = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        errors = (errors + chunk.toString()).slice(-4_000);
        errorLines += chunk.toString();
        const lines = errorLines.split('\n');
        errorLines = lines.pop() ?? '';
        tally.survived += lines.filter((line) => line.startsWith('mapping survived')).length;
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
            count(line);
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
      dynamodb.destroy();
      s3.destroy();
      await stack.stop();
      bundled = undefined;
      await rm(ROUTER_BUNDLE, { force: true });
    },
  };
}

/** Every execution of an engine counted by status (a paged Query on the per-engine index, statuses only). */
export async function statusCounts(crash: CrashStack, engine: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...clientConfig(crash.stack.aws, 'dynamodb'), maxAttempts: PATIENT_ATTEMPTS }),
  );
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
