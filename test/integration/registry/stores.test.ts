import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../../localstack/bootstrap.ts';
import type { EngineGraph, GraphProblem } from '../../../router/asl/types.ts';
import { dynamoDbDocumentClient, s3Client } from '../../../router/aws/clients.ts';
import { type ResourceNames, resourceNamesFromEnv } from '../../../router/config.ts';
import { DynamoDBExecutionStore } from '../../../router/executions/DynamoDBExecutionStore.ts';
import { executionIdFor } from '../../../router/executions/ExecutionStore.ts';
import { S3PayloadStore } from '../../../router/executions/S3PayloadStore.ts';
import { DynamoDBEngineIndex } from '../../../router/registry/DynamoDBEngineIndex.ts';
import { EngineResolver } from '../../../router/registry/EngineResolver.ts';
import { S3GraphStore } from '../../../router/registry/GraphStore.ts';
import { graphKey, publishEngine, rollbackAlias } from '../../../router/registry/publish.ts';
import { executionStoreContract } from '../../support/executionStoreContract.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack();
const names: ResourceNames = { ...resourceNamesFromEnv({}), stream: 'stores-test' };

beforeAll(async () => {
  await bootstrap({ aws: stack().aws, names, shards: 1 });
});

function jsonLoader(source: string): { graph?: EngineGraph; problems: GraphProblem[] } {
  return { graph: JSON.parse(source) as EngineGraph, problems: [] };
}

const graph = (comment: string): string =>
  JSON.stringify({ Comment: comment, StartAt: 'A', States: { A: { Type: 'Succeed' } } });

describe('DynamoDBExecutionStore', () => {
  executionStoreContract(
    () =>
      new DynamoDBExecutionStore({
        dynamodb: dynamoDbDocumentClient(stack().aws),
        table: names.executionsTable,
        payloads: new S3PayloadStore({ s3: s3Client(stack().aws), bucket: names.bucket }),
      }),
  );
});

describe('DynamoDBExecutionStore requests', () => {
  it('inserts executions finishing together in bulk: 100 new records in a few BatchExecuteStatement requests', async () => {
    // Prepare: the real client, with the commands it sends recorded
    const dynamodb = dynamoDbDocumentClient(stack().aws);
    const sent: string[] = [];
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    const store = new DynamoDBExecutionStore({
      dynamodb,
      table: names.executionsTable,
      payloads: new S3PayloadStore({ s3: s3Client(stack().aws), bucket: names.bucket }),
    });
    const engine = `bulk-${Date.now().toString(36)}`;
    const now = Date.now();
    const request = (n: number) => {
      const key = { engine, dedupKey: `order#${n}` };
      return {
        ...key,
        executionId: executionIdFor(key),
        version: 1,
        mode: 'standard' as const,
        owner: 'bench',
        leaseMs: 30_000,
        now,
      };
    };
    const completion = {
      status: 'SUCCEEDED' as const,
      output: '{}',
      input: '{}',
      now,
      retentionSeconds: 600,
    };

    // Act
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, n) => store.claimFinished(request(n), completion)),
    );

    // Assess: four full requests of 25, no single PutItem
    expect(answers.every((a) => a.kind === 'claimed')).toBe(true);
    expect(sent.filter((name) => name === 'BatchExecuteStatementCommand')).toHaveLength(4);
    expect(sent).not.toContain('PutCommand');
    expect((await store.get(request(99)))?.status).toBe('SUCCEEDED');
  });
});

describe('DynamoDBEngineIndex and S3GraphStore', () => {
  it('publishes versions, resolves them through S3 and refuses a damaged object', async () => {
    // Prepare
    const aws = stack().aws;
    const index = new DynamoDBEngineIndex(dynamoDbDocumentClient(aws), names.enginesTable);
    const store = new S3GraphStore(s3Client(aws), names.bucket);
    const deps = { index, store };
    const engine = `orders-${Date.now().toString(36)}`;
    // Act
    const v1 = await publishEngine({ source: graph('one'), file: 'orders.hjson', engine }, jsonLoader, deps);
    const v2 = await publishEngine(
      { source: graph('two'), file: 'orders.hjson', engine, canaryPercent: 25 },
      jsonLoader,
      deps,
    );
    const resolver = new EngineResolver<string>({
      index,
      store,
      load: jsonLoader,
      compile: (g) => String(g.Comment),
    });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i += 1) seen.add((await resolver.resolve(engine, `m${i}`)).version);
    // Assess
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(seen).toEqual(new Set([1, 2]));
    expect((await index.listEngines()).find((e) => e.engine === engine)?.latestVersion).toBe(2);
    expect((await index.listVersions(engine)).map((v) => v.version)).toEqual([1, 2]);
    expect((await rollbackAlias(engine, deps)).targets).toEqual([{ version: 1, weight: 100 }]);
    await publishEngine(
      { source: graph('two'), file: 'orders.hjson', engine, alias: 'beta' },
      jsonLoader,
      deps,
    );
    expect((await index.listEngineAliases(engine)).map((a) => [a.alias, a.targets])).toEqual([
      ['beta', [{ version: 2, weight: 100 }]],
      ['live', [{ version: 1, weight: 100 }]],
    ]);
    await store.put(graphKey(engine, 2), graph('tampered'));
    const fresh = new EngineResolver<string>({ index, store, load: jsonLoader, compile: String });
    await expect(fresh.version(engine, 2)).rejects.toThrow(/does not match its recorded sha256/);
  });
});
