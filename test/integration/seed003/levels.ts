/**
 * The runtime for seed 003's data-collection levels: the router stack of the end-to-end tests plus the
 * Redshift Data emulation and the messaging services (SNS for Level 3's notice), the scripts of
 * `engines/scripts/` in the bucket, and the level engines published with the local stage's variables
 * pointed at this stack's bucket.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { MessagingServices } from '../../../localstack/messaging.ts';
import { createMessagingServices } from '../../../localstack/messaging.ts';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import { parseVariables } from '../../../router/asl/index.ts';
import type { Clock } from '../../../router/asl/interpreter/clock.ts';
import { clientConfig, s3Client } from '../../../router/aws/clients.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { type RouterStack, startRouterStack } from '../support/routerStack.ts';

export const ROOT = new URL('../../../', import.meta.url).pathname;
const quiet = { info() {}, error() {} };

/** A started runtime with what the level tests read. */
export interface LevelsRuntime {
  readonly rt: RouterStack;
  readonly messaging: MessagingServices;
  /** Puts a script (or any object) in the bucket. */
  put(key: string, body: string): Promise<void>;
  /** The object's text, or undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  /** Keys under a prefix, sorted. */
  keys(prefix: string): Promise<string[]>;
  /** Waits until the engine's execution of this dedup key has ended, and returns it. */
  finished(engine: string, dedupKey: string, timeoutMs?: number): Promise<ExecutionRecord>;
  stop(): Promise<void>;
}

/** Starts the runtime and publishes `engines` (file names under engines/). */
export async function startLevels(
  engines: readonly string[],
  options: {
    readonly settings?: Readonly<Record<string, string>>;
    readonly pageSize?: number;
    readonly clock?: Clock;
  } = {},
): Promise<LevelsRuntime> {
  const rt = await startRouterStack({
    functions: {},
    settings: { ROUTER_MAX_INPROCESS_WAIT_MS: '5000', ...options.settings },
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const messaging = createMessagingServices({ log: quiet });
  const redshift = createRedshiftDataEmulator({
    startNow: true,
    log: quiet,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  });
  for (const service of [redshift, messaging.sqs, messaging.sns, messaging.events])
    rt.stack.register(service);
  const sns = new SNSClient(clientConfig(rt.stack.aws, 'sns'));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'sql-collection-alerts' }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'data-team@example.com' }));
  sns.destroy();
  const s3 = s3Client(rt.stack.aws);
  const bucket = rt.names.bucket;
  const put = async (key: string, body: string): Promise<void> => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  for (const file of await readdir(join(ROOT, 'engines/scripts')))
    await put(`scripts/${file}`, await readFile(join(ROOT, 'engines/scripts', file), 'utf8'));
  const file = join(ROOT, 'engines/vars/local.hjson');
  const { variables } = parseVariables(await readFile(file, 'utf8'), file);
  for (const engine of engines) {
    await rt.publish({
      source: await readFile(join(ROOT, 'engines', engine), 'utf8'),
      file: engine,
      variables: { ...variables, SqlBucket: bucket },
    });
  }
  await redshift.ready();
  return {
    rt,
    messaging,
    put,
    async read(key) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await object.Body?.transformToString('utf8');
      } catch (error) {
        if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async keys(prefix) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])).sort();
    },
    async finished(engine, dedupKey, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await rt.execution(engine, dedupKey);
        if (record !== undefined && (record.status === 'SUCCEEDED' || record.status === 'FAILED'))
          return record;
        if (Date.now() > deadline)
          throw new Error(
            `${engine} ${dedupKey}: not ended after ${timeoutMs} ms (status ${record?.status})`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: () => rt.stop(),
  };
}

/** A CloudEvent routed to `engine`; its dedup key is `seed003/test#<id>`. */
export function levelEvent(
  engine: string,
  id: string,
  data: Record<string, unknown>,
): Record<string, unknown> {
  return { specversion: '1.0', id, source: 'seed003/test', type: 'sql.requested', engine, data };
}
