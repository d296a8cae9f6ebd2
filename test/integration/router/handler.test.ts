import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import { loadGraph } from '../../../router/asl/load.ts';
import { dynamoDbDocumentClient, s3Client } from '../../../router/aws/clients.ts';
import { type ResourceNames, resourceNamesFromEnv } from '../../../router/config.ts';
import { DynamoDBExecutionStore } from '../../../router/executions/DynamoDBExecutionStore.ts';
import { S3PayloadStore } from '../../../router/executions/S3PayloadStore.ts';
import type { BatchSummary } from '../../../router/MessageEventRouter.ts';
import { registryFromEnv } from '../../../router/registry/fromEnv.ts';
import { publishEngine } from '../../../router/registry/publish.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack();
const names: ResourceNames = { ...resourceNamesFromEnv({}), stream: 'handler-test' };
let handler: typeof import('../../../router/handler.ts').handler;

beforeAll(async () => {
  await bootstrap({ aws: stack().aws, names, shards: 1 });
  const registry = registryFromEnv({ ...stack().env }, stack().aws);
  await publishEngine(
    {
      source: JSON.stringify({
        StartAt: 'Greet',
        States: { Greet: { Type: 'Pass', Parameters: { 'hello.$': '$.name' }, End: true } },
      }),
      file: 'greeter.hjson',
    },
    (source, options) => loadGraph(source, { file: options.file }),
    registry,
  );
  // The handler builds its router from the environment while its module loads, as on Lambda.
  Object.assign(process.env, stack().env, {
    ROUTER_ALIAS_TTL_MS: '0',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  ({ handler } = await import('../../../router/handler.ts'));
});

describe('the Lambda entry point', () => {
  it('answers a Kinesis batch with batchItemFailures and runs the executions', async () => {
    const event = kinesisEventFactory([
      kinesisRecordFactory(cloudEventFactory({ engine: 'greeter', data: { name: 'Ada' } }, 1)),
      kinesisRecordFactory(cloudEventFactory({ engine: 'greeter', data: { name: 'Alan' } }, 2)),
    ]);
    const response = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
    expect(response).toEqual({ batchItemFailures: [] });
    const again = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
    expect(again).toEqual({ batchItemFailures: [] });
    const executions = new DynamoDBExecutionStore({
      dynamodb: dynamoDbDocumentClient(stack().aws),
      table: names.executionsTable,
      payloads: new S3PayloadStore({ s3: s3Client(stack().aws), bucket: names.bucket }),
    });
    const ada = await executions.get({ engine: 'greeter', dedupKey: 'test/source#evt-1' });
    expect(ada).toMatchObject({ status: 'SUCCEEDED', version: 1 });
    expect(JSON.parse(ada?.output ?? 'null')).toEqual({ hello: 'Ada' });
  });

  it('runs the sweep for the scheduled event', async () => {
    const summary = (await handler({ routerCommand: 'sweep' })) as BatchSummary;
    expect(summary).toMatchObject({ succeeded: 0, failed: 0, waiting: 0 });
  });
});
