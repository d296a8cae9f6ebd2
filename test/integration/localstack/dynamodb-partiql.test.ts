/**
 * PartiQL INSERT on the local DynamoDB through the real `@aws-sdk/lib-dynamodb`: a batch of INSERTs
 * writes items GetItem reads back (nested maps and lists included), a taken key fails its statement alone
 * with `DuplicateItem`, a statement the local stack cannot run fails alone with `ValidationError` naming
 * the reason, and an oversized or empty batch is refused whole. On the embedded stack, the edge counts
 * and faults these in-process operations as it does proxied ones.
 */
import {
  CreateTableCommand,
  DuplicateItemException,
  DynamoDBClient,
  DynamoDBServiceException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchExecuteStatementCommand,
  type BatchExecuteStatementCommandOutput,
  DynamoDBDocumentClient,
  ExecuteStatementCommand,
  GetCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EdgeRequestInfo } from '../../../localstack/edge.ts';
import { clientConfig, dynamoDbDocumentClient } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const seen: EdgeRequestInfo[] = [];
const stack = useLocalStack({ onRequest: (info) => seen.push(info) });

const TABLE = 'partiql-executions';
const COMPOSITE = 'partiql-composite';
const INSERT = `INSERT INTO "${TABLE}" VALUE {'pk': ?, 'status': ?, 'attempt': ?}`;

function documents(): DynamoDBDocumentClient {
  return dynamoDbDocumentClient(stack().aws);
}

async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function batch(
  statements: ReadonlyArray<{ Statement: string; Parameters?: unknown[] }>,
  client: DynamoDBDocumentClient = documents(),
): Promise<BatchExecuteStatementCommandOutput> {
  return client.send(new BatchExecuteStatementCommand({ Statements: [...statements] }));
}

function insert(pk: string, status = 'SUCCEEDED', attempt = 1): { Statement: string; Parameters: unknown[] } {
  return { Statement: INSERT, Parameters: [pk, status, attempt] };
}

async function item(
  key: Record<string, unknown>,
  table = TABLE,
): Promise<Record<string, unknown> | undefined> {
  return (await documents().send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
}

beforeAll(async () => {
  const dynamodb = new DynamoDBClient(clientConfig(stack().aws, 'dynamodb'));
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await dynamodb.send(
    new CreateTableCommand({
      TableName: COMPOSITE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  dynamodb.destroy();
});

describe('PartiQL INSERT on the local DynamoDB', () => {
  it('writes a batch of 25 INSERTs, each readable by GetItem', async () => {
    // Prepare
    const statements = Array.from({ length: 25 }, (_, i) => insert(`batch-${i}`, 'SUCCEEDED', i));

    // Act
    const { Responses } = await batch(statements);

    // Assess
    expect(Responses).toEqual(statements.map(() => ({ TableName: TABLE })));
    const items = await Promise.all(statements.map((_, i) => item({ pk: `batch-${i}` })));
    expect(items).toEqual(statements.map((_, i) => ({ pk: `batch-${i}`, status: 'SUCCEEDED', attempt: i })));
  });

  it('round-trips nested maps, lists, sets, binaries and literals of the statement', async () => {
    // Prepare
    const doc = {
      steps: [{ name: 'fetch', ms: 12.5, ok: true }, ['x', 2, null], []],
      outcome: { result: { rows: [1, 2, 3] }, note: "it's done", empty: {} },
      tags: new Set(['a', 'b']),
      raw: new Uint8Array([0, 1, 254, 255]),
    };

    // Act
    const { Responses } = await batch([
      {
        Statement: `insert into "${TABLE}" value {'pk': ?, 'doc': ?, 'kind': 'execution', 'version': 3, 'quote': 'it''s'}`,
        Parameters: ['nested-1', doc],
      },
    ]);

    // Assess
    expect(Responses).toEqual([{ TableName: TABLE }]);
    expect(await item({ pk: 'nested-1' })).toEqual({
      pk: 'nested-1',
      doc,
      kind: 'execution',
      version: 3,
      quote: "it's",
    });
  });

  it('fails only the statement whose key is taken, with DuplicateItem, and keeps the first item', async () => {
    // Prepare
    await batch([insert('dup-1', 'RUNNING', 1)]);

    // Act
    const { Responses } = await batch([insert('dup-2'), insert('dup-1', 'SUCCEEDED', 2), insert('dup-3')]);

    // Assess
    expect(Responses?.map((response) => response.Error?.Code)).toEqual([
      undefined,
      'DuplicateItem',
      undefined,
    ]);
    expect(Responses?.[1]?.Error?.Message).toContain('Duplicate primary key');
    expect(await item({ pk: 'dup-1' })).toEqual({ pk: 'dup-1', status: 'RUNNING', attempt: 1 });
    expect(await item({ pk: 'dup-2' })).toBeDefined();
    expect(await item({ pk: 'dup-3' })).toBeDefined();
  });

  it('treats the whole primary key as the identity on a table with a sort key', async () => {
    // Prepare
    const statement = `INSERT INTO "${COMPOSITE}" VALUE {'pk': ?, 'sk': ?, 'v': ?}`;

    // Act
    const { Responses } = await batch([
      { Statement: statement, Parameters: ['p', 1, 'first'] },
      { Statement: statement, Parameters: ['p', 2, 'other sort key'] },
    ]);
    const again = await batch([{ Statement: statement, Parameters: ['p', 1, 'again'] }]);

    // Assess
    expect(Responses).toEqual([{ TableName: COMPOSITE }, { TableName: COMPOSITE }]);
    expect(again.Responses?.[0]?.Error?.Code).toBe('DuplicateItem');
    expect(await item({ pk: 'p', sk: 1 }, COMPOSITE)).toEqual({ pk: 'p', sk: 1, v: 'first' });
    expect(await item({ pk: 'p', sk: 2 }, COMPOSITE)).toEqual({ pk: 'p', sk: 2, v: 'other sort key' });
  });

  it('fails a statement it cannot run with ValidationError naming the statement and the reason', async () => {
    // Act
    const { Responses } = await batch([
      insert('valid-1'),
      { Statement: `UPDATE "${TABLE}" SET status = 'X' WHERE pk = 'valid-1'` },
      { Statement: INSERT, Parameters: ['too-few'] },
      { Statement: `INSERT INTO "${TABLE}" VALUE {'pk': ?} WHERE pk = 'x'`, Parameters: ['where'] },
      insert('valid-2'),
    ]);

    // Assess
    expect(Responses?.map((response) => response.Error?.Code)).toEqual([
      undefined,
      'ValidationError',
      'ValidationError',
      'ValidationError',
      undefined,
    ]);
    if (stack().embedded !== undefined) {
      expect(Responses?.[1]?.Error?.Message).toBe(
        'Statements[1]: the local DynamoDB runs only INSERT statements, not UPDATE',
      );
      expect(Responses?.[2]?.Error?.Message).toBe(
        'Statements[2]: the statement has 3 ? placeholder(s) but 1 Parameters were given',
      );
      expect(Responses?.[3]?.Error?.Message).toBe('Statements[3]: an INSERT takes no WHERE clause');
    }
    expect(await item({ pk: 'valid-1' })).toMatchObject({ status: 'SUCCEEDED' });
    expect(await item({ pk: 'valid-2' })).toBeDefined();
    expect(await item({ pk: 'too-few' })).toBeUndefined();
  });

  it('fails a statement on a table that does not exist with ResourceNotFound', async () => {
    // Act
    const { Responses } = await batch([
      { Statement: `INSERT INTO "no-such-table" VALUE {'pk': ?}`, Parameters: ['x'] },
      insert('beside-missing'),
    ]);

    // Assess
    expect(Responses?.[0]).toMatchObject({ Error: { Code: 'ResourceNotFound' } });
    expect(Responses?.[1]).toEqual({ TableName: TABLE });
  });

  it.each([
    [26, 'less than or equal to 25'],
    [0, 'greater than or equal to 1'],
  ])('refuses a batch of %i statements whole, with ValidationException', async (count, constraint) => {
    // Prepare
    const statements = Array.from({ length: count }, (_, i) => insert(`refused-${count}-${i}`));

    // Act
    const error = await rejection(batch(statements));

    // Assess
    expect(error).toBeInstanceOf(DynamoDBServiceException);
    expect((error as DynamoDBServiceException).name).toBe('ValidationException');
    if (stack().embedded !== undefined) expect((error as Error).message).toContain(constraint);
    if (count > 0) expect(await item({ pk: `refused-${count}-0` })).toBeUndefined();
  });

  it('runs one INSERT by ExecuteStatement, a taken key raising DuplicateItemException', async () => {
    // Prepare
    const command = new ExecuteStatementCommand({
      Statement: INSERT,
      Parameters: ['single-1', 'RUNNING', 1],
    });

    // Act
    await documents().send(command);
    const error = await rejection(documents().send(command));

    // Assess
    expect(await item({ pk: 'single-1' })).toEqual({ pk: 'single-1', status: 'RUNNING', attempt: 1 });
    expect(error).toBeInstanceOf(DuplicateItemException);
  });
});

describe('the edge in front of the in-process PartiQL operations', () => {
  it('counts a batch as one request, and injects faults into it as into a proxied operation', async () => {
    const embedded = stack().embedded;
    if (embedded === undefined) return; // Counting and faults are the embedded edge's.
    // Prepare
    const once = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...clientConfig(stack().aws, 'dynamodb'), maxAttempts: 1 }),
    );
    const before = seen.length;
    const plan = embedded.faults.plan;

    // Act
    await batch([insert('counted-1'), insert('counted-2')], once);
    const counted = seen.slice(before).map((info) => info.target);
    embedded.faults.replace('dynamodb.BatchExecuteStatement:5xx=100%');
    embedded.faults.enable();
    let failed: unknown;
    let lost: unknown;
    try {
      failed = await rejection(batch([insert('faulted-1')], once));
      embedded.faults.replace('dynamodb.BatchExecuteStatement:drop-response=100%');
      lost = await rejection(batch([insert('lost-answer-1')], once));
    } finally {
      embedded.faults.disable();
      embedded.faults.replace(plan);
    }
    const retried = await batch([insert('lost-answer-1')], once);

    // Assess
    expect(counted).toEqual(['DynamoDB_20120810.BatchExecuteStatement']);
    expect(failed).toBeInstanceOf(DynamoDBServiceException);
    expect((failed as DynamoDBServiceException).name).toBe('InternalServerError');
    expect(await item({ pk: 'faulted-1' })).toBeUndefined();
    // A lost answer: the statement ran, so the client's retry finds the key taken.
    expect(lost).toBeInstanceOf(Error);
    expect(await item({ pk: 'lost-answer-1' })).toBeDefined();
    expect(retried.Responses?.[0]?.Error?.Code).toBe('DuplicateItem');
    expect(embedded.faults.counts()['dynamodb.BatchExecuteStatement']).toMatchObject({
      requests: 2,
      '5xx': 1,
      'drop-response': 1,
    });
    once.destroy();
  });
});
