import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  ListStatementsCommand,
  paginateGetStatementResult,
  type RedshiftDataClient,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { describe, expect, it } from 'vitest';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import { redshiftDataClient } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

/** Holds a running batch after its `select 'hold'` statement until the test releases it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
const hold = { reached: signal(), release: signal() };
const redshift = createRedshiftDataEmulator({
  pageSize: 2,
  log: { info: () => undefined, error: () => undefined },
  afterSubStatement: async (sql) => {
    if (sql !== "select 'hold'") return;
    hold.reached.resolve();
    await hold.release.promise;
  },
});
const stack = useLocalStack({ services: [redshift] });
const TARGET = { Database: 'dev', WorkgroupName: 'local' } as const;
const TERMINAL = new Set(['FINISHED', 'FAILED', 'ABORTED']);

async function waitFor(
  client: RedshiftDataClient,
  id: string,
): Promise<{ final: DescribeStatementCommandOutput; seen: string[] }> {
  const seen: string[] = [];
  for (;;) {
    const described = await client.send(new DescribeStatementCommand({ Id: id }));
    const status = described.Status ?? 'UNKNOWN';
    if (seen.at(-1) !== status) seen.push(status);
    if (TERMINAL.has(status)) return { final: described, seen };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function run(
  client: RedshiftDataClient,
  sql: string,
  parameters: Record<string, string> = {},
): Promise<string> {
  const entries = Object.entries(parameters).map(([name, value]) => ({ name, value }));
  const { Id } = await client.send(
    new ExecuteStatementCommand({
      ...TARGET,
      Sql: sql,
      ...(entries.length > 0 ? { Parameters: entries } : {}),
    }),
  );
  if (Id === undefined) throw new Error('ExecuteStatement returned no Id');
  const { final } = await waitFor(client, Id);
  if (final.Status !== 'FINISHED') throw new Error(`${sql} ended ${final.Status}: ${final.Error}`);
  return Id;
}

describe('Redshift Data API through the edge with the AWS SDK', () => {
  it('accepts statements while PGlite is still starting; they wait SUBMITTED, then run', async () => {
    // The first statement of the file starts PGlite (seconds); the API must not wait for it.
    const client = redshiftDataClient(stack().aws);

    const { Id } = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'select 1 as one' }));
    const { final, seen } = await waitFor(client, Id ?? '');

    expect(seen[0]).toBe('SUBMITTED');
    expect(seen.at(-1)).toBe('FINISHED');
    expect(final.HasResultSet).toBe(true);
  });

  it('creates, inserts and selects with named parameters, polling each statement to FINISHED', async () => {
    // Prepare
    const client = redshiftDataClient(stack().aws);
    await run(
      client,
      'create table orders (id int primary key, customer varchar(40), total numeric(10,2), paid bool)',
    );

    // Act
    const insert = await client.send(
      new ExecuteStatementCommand({
        ...TARGET,
        Sql: 'insert into orders values (:id, :customer, :total, :paid), (:id + 1, :customer, 5, false)',
        Parameters: [
          { name: 'id', value: '1' },
          { name: 'customer', value: "o'neil" },
          { name: 'total', value: '12.50' },
          { name: 'paid', value: 'true' },
        ],
        StatementName: 'load-orders',
      }),
    );
    const inserted = await waitFor(client, insert.Id ?? '');
    const selectId = await run(
      client,
      'select id, customer, total, paid, null::int as gone from orders where customer = :c order by id',
      {
        c: "o'neil",
      },
    );
    const result = await client.send(new GetStatementResultCommand({ Id: selectId }));
    const described = await client.send(new DescribeStatementCommand({ Id: selectId }));

    // Assess
    expect(insert.Database).toBe('dev');
    expect(insert.WorkgroupName).toBe('local');
    expect(inserted.final).toMatchObject({ Status: 'FINISHED', ResultRows: 2, HasResultSet: false });
    expect(inserted.final.QueryParameters).toHaveLength(4);
    expect(result.TotalNumRows).toBe(2);
    expect(result.Records?.[0]).toEqual([
      { longValue: 1 },
      { stringValue: "o'neil" },
      { stringValue: '12.50' },
      { booleanValue: true },
      { isNull: true },
    ]);
    expect(result.ColumnMetadata?.map((column) => [column.name, column.typeName])).toEqual([
      ['id', 'int4'],
      ['customer', 'varchar'],
      ['total', 'numeric'],
      ['paid', 'bool'],
      ['gone', 'int4'],
    ]);
    expect(described).toMatchObject({ Status: 'FINISHED', HasResultSet: true, ResultRows: 2 });
    expect(described.ResultSize).toBeGreaterThan(0);
    expect(described.Duration).toBeGreaterThan(0);
    expect(described.CreatedAt).toBeInstanceOf(Date);
    expect(described.RedshiftPid).toBeGreaterThan(0);
  });

  it('ends bad SQL FAILED with the database error, after the client polled it', async () => {
    const client = redshiftDataClient(stack().aws);

    const { Id } = await client.send(new ExecuteStatementCommand({ ...TARGET, Sql: 'selec 1' }));
    const { final, seen } = await waitFor(client, Id ?? '');

    expect(seen.at(-1)).toBe('FAILED');
    expect(final.Error).toBe('ERROR: syntax error at or near "selec"\n  Position: 1');
    const error = await client.send(new GetStatementResultCommand({ Id })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationException);
  });

  it('runs a batch in one transaction and rolls it back when a statement fails', async () => {
    const client = redshiftDataClient(stack().aws);
    await run(client, 'create table ledger (entry int)');

    const { Id } = await client.send(
      new BatchExecuteStatementCommand({
        ...TARGET,
        Sqls: [
          'insert into ledger values (1)',
          'insert into missing_table values (2)',
          'insert into ledger values (3)',
        ],
      }),
    );
    const { final } = await waitFor(client, Id ?? '');
    const count = await run(client, 'select count(*) from ledger');
    const counted = await client.send(new GetStatementResultCommand({ Id: count }));

    expect(final.Status).toBe('FAILED');
    expect(final.Error).toContain('relation "missing_table" does not exist');
    expect(final.SubStatements?.map((sub) => [sub.Id, sub.Status])).toEqual([
      [`${Id}:1`, 'FINISHED'],
      [`${Id}:2`, 'FAILED'],
      [`${Id}:3`, 'ABORTED'],
    ]);
    expect(counted.Records).toEqual([[{ longValue: 0 }]]);
  });

  it('commits a successful batch and serves each sub-statement result by its :N id', async () => {
    const client = redshiftDataClient(stack().aws);

    const { Id } = await client.send(
      new BatchExecuteStatementCommand({
        ...TARGET,
        Sqls: [
          'create table batch_items (n int)',
          'insert into batch_items select generate_series(1, 3)',
          'select sum(n) from batch_items',
        ],
      }),
    );
    const { final } = await waitFor(client, Id ?? '');
    const sum = await client.send(new GetStatementResultCommand({ Id: `${Id}:3` }));
    const third = await client.send(new DescribeStatementCommand({ Id: `${Id}:3` }));

    expect(final.Status).toBe('FINISHED');
    expect(final.SubStatements?.map((sub) => sub.ResultRows)).toEqual([-1, 3, 1]);
    expect(sum.Records).toEqual([[{ longValue: 6 }]]);
    expect(third).toMatchObject({ Id: `${Id}:3`, Status: 'FINISHED', HasResultSet: true, Database: 'dev' });
  });

  it('runs a script of several statements with dollar-quoted procedure bodies as one batch entry', async () => {
    const client = redshiftDataClient(stack().aws);
    const script = [
      'create table if not exists audit (note varchar(100));',
      'create or replace procedure add_note(n varchar) as $$ begin insert into audit values (n); end; $$ language plpgsql;',
      "create or replace procedure add_two() as $body$ begin call add_note('one;'); call add_note('two'); end; $body$ language plpgsql;",
    ].join('\n');

    const deploy = await client.send(new BatchExecuteStatementCommand({ ...TARGET, Sqls: [script] }));
    const deployed = await waitFor(client, deploy.Id ?? '');
    await run(client, 'call add_two()');
    const notes = await run(client, 'select note from audit order by note');

    expect(deployed.final.Status).toBe('FINISHED');
    expect((await client.send(new GetStatementResultCommand({ Id: notes }))).Records).toEqual([
      [{ stringValue: 'one;' }],
      [{ stringValue: 'two' }],
    ]);
  });

  it('pages a result with NextToken, also through the SDK paginator', async () => {
    const client = redshiftDataClient(stack().aws);
    const id = await run(client, 'select n from generate_series(1, 5) as n');

    const first = await client.send(new GetStatementResultCommand({ Id: id }));
    const rows: Field[][] = [];
    for await (const page of paginateGetStatementResult({ client }, { Id: id }))
      rows.push(...(page.Records ?? []));

    expect(first.Records).toHaveLength(2);
    expect(first.TotalNumRows).toBe(5);
    expect(first.NextToken).toBeDefined();
    expect(rows.map((row) => row[0]?.longValue)).toEqual([1, 2, 3, 4, 5]);
  });

  it('cancels a queued statement and a running batch, which is rolled back', async () => {
    const client = redshiftDataClient(stack().aws);
    await run(client, 'create table cancelled (n int)');
    // The batch is held after its second statement until both cancels are in: no race with its duration.
    const batch = await client.send(
      new BatchExecuteStatementCommand({
        ...TARGET,
        Sqls: ['insert into cancelled values (1)', "select 'hold'", 'insert into cancelled values (3)'],
      }),
    );
    const queued = await client.send(
      new ExecuteStatementCommand({ ...TARGET, Sql: 'insert into cancelled values (2)' }),
    );
    await hold.reached.promise;
    const cancelQueued = await client.send(new CancelStatementCommand({ Id: queued.Id }));
    const cancelBatch = await client.send(new CancelStatementCommand({ Id: batch.Id }));
    hold.release.resolve();
    const batchEnd = await waitFor(client, batch.Id ?? '');
    const queuedEnd = await waitFor(client, queued.Id ?? '');
    const rows = await run(client, 'select count(*) from cancelled');

    expect(cancelQueued.Status).toBe(true);
    expect(cancelBatch.Status).toBe(true);
    expect(queuedEnd.final.Status).toBe('ABORTED');
    expect(batchEnd.final.Status).toBe('ABORTED');
    expect((await client.send(new GetStatementResultCommand({ Id: rows }))).Records).toEqual([
      [{ longValue: 0 }],
    ]);
    const again = await client
      .send(new CancelStatementCommand({ Id: queued.Id }))
      .catch((caught: unknown) => caught);
    expect(again).toBeInstanceOf(ValidationException);
  });

  it('lists statements by name and answers an unknown id with ResourceNotFoundException', async () => {
    const client = redshiftDataClient(stack().aws);

    const listed = await client.send(new ListStatementsCommand({ StatementName: 'load-' }));
    const error = await client
      .send(new DescribeStatementCommand({ Id: '00000000-0000-0000-0000-000000000000' }))
      .catch((caught: unknown) => caught);

    expect(listed.Statements?.map((statement) => [statement.StatementName, statement.Status])).toEqual([
      ['load-orders', 'FINISHED'],
    ]);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });
});
