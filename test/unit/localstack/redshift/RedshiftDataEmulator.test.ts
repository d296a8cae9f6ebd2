import { describe, expect, it } from 'vitest';
import { createRedshiftDataEmulator } from '../../../../localstack/redshift/index.ts';
import type { EdgeResponse } from '../../../../localstack/service.ts';

// Only requests that never reach the database: PGlite is not started here.
async function call(target: string, body: unknown): Promise<EdgeResponse> {
  const emulator = createRedshiftDataEmulator();
  const response = await emulator.handle({
    method: 'POST',
    url: '/',
    headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.1' },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    region: 'us-east-1',
  });
  await emulator.close();
  return response;
}

function bodyOf(response: EdgeResponse): Record<string, unknown> {
  return JSON.parse(String(response.body)) as Record<string, unknown>;
}

describe('createRedshiftDataEmulator request validation', () => {
  it('answers an unknown statement id with ResourceNotFoundException naming the id', async () => {
    const id = '0b4e1e8c-8a0d-4c8e-9a57-3d2f7a1b2c3d';

    const response = await call('RedshiftData.DescribeStatement', { Id: id });

    expect(response.status).toBe(400);
    expect(bodyOf(response)).toEqual({
      __type: 'ResourceNotFoundException',
      message: `Query does not exist: no statement has id ${id}`,
      ResourceId: id,
    });
  });

  it('rejects an id that is not a statement id', async () => {
    const response = await call('RedshiftData.GetStatementResult', { Id: 'nope' });

    expect(bodyOf(response)).toMatchObject({
      __type: 'ValidationException',
      message: expect.stringContaining("'nope'"),
    });
  });

  it('requires Database and exactly one of ClusterIdentifier / WorkgroupName', async () => {
    const noDatabase = await call('RedshiftData.ExecuteStatement', { Sql: 'select 1', WorkgroupName: 'w' });
    const both = await call('RedshiftData.ExecuteStatement', {
      Sql: 'select 1',
      Database: 'dev',
      WorkgroupName: 'w',
      ClusterIdentifier: 'c',
    });

    expect(bodyOf(noDatabase)).toMatchObject({
      __type: 'ValidationException',
      message: expect.stringContaining("'Database'"),
    });
    expect(bodyOf(both)).toMatchObject({
      __type: 'ValidationException',
      message: 'Exactly one of ClusterIdentifier (provisioned) or WorkgroupName (serverless) must be given',
    });
  });

  it('rejects a statement that uses a parameter it was not given, before queueing it', async () => {
    const response = await call('RedshiftData.ExecuteStatement', {
      Sql: 'select * from orders where id = :orderId',
      Database: 'dev',
      WorkgroupName: 'w',
      Parameters: [{ name: 'other', value: '1' }],
    });

    expect(bodyOf(response)).toMatchObject({
      __type: 'ValidationException',
      message: 'The SQL statement uses :orderId but no value for it was given in Parameters',
    });
  });

  it('rejects malformed parameters, naming the index', async () => {
    const response = await call('RedshiftData.ExecuteStatement', {
      Sql: 'select :a',
      Database: 'dev',
      WorkgroupName: 'w',
      Parameters: [{ name: 'a', value: '' }],
    });

    expect(bodyOf(response)).toMatchObject({
      message: expect.stringContaining('Parameters[0] (a) needs a non-empty string value'),
    });
  });

  it('rejects a batch of more than 40 statements and a body that is not JSON', async () => {
    const tooMany = await call('RedshiftData.BatchExecuteStatement', {
      Sqls: Array.from({ length: 41 }, () => 'select 1'),
      Database: 'dev',
      WorkgroupName: 'w',
    });
    const notJson = await call('RedshiftData.ExecuteStatement', '{oops');

    expect(bodyOf(tooMany)).toMatchObject({ message: 'Sqls must be a list of 1 to 40 SQL statements' });
    expect(bodyOf(notJson)).toMatchObject({
      __type: 'ValidationException',
      message: expect.stringContaining('not JSON'),
    });
  });

  it('names an operation it does not serve', async () => {
    const response = await call('RedshiftData.GetStatementResultV2', { Id: 'x' });

    expect(bodyOf(response)).toMatchObject({
      __type: 'UnknownOperationException',
      message: expect.stringContaining('does not implement GetStatementResultV2'),
    });
  });

  it('returns the same statement for a repeated ClientToken, caps active statements, and fails queued ones when the database cannot start', async () => {
    // Prepare: a data directory that cannot exist makes PGlite fail fast, with no database started.
    const errors: string[] = [];
    const emulator = createRedshiftDataEmulator({
      dataDir: '/dev/null/db',
      maxActiveStatements: 1,
      log: { info: () => undefined, error: (message) => errors.push(message) },
    });
    const execute = (sql: string) =>
      emulator.handle({
        method: 'POST',
        url: '/',
        headers: { 'x-amz-target': 'RedshiftData.ExecuteStatement' },
        body: Buffer.from(
          JSON.stringify({
            Sql: sql,
            Database: 'dev',
            ClusterIdentifier: 'local',
            ClientToken: `token-${sql}`,
          }),
        ),
        region: 'us-east-1',
      });

    // Act
    const first = bodyOf(await execute('select 1'));
    const retried = bodyOf(await execute('select 1'));
    const second = bodyOf(await execute('select 2'));
    await expect(emulator.ready()).rejects.toThrow('ENOTDIR');
    const described = bodyOf(
      await emulator.handle({
        method: 'POST',
        url: '/',
        headers: { 'x-amz-target': 'RedshiftData.DescribeStatement' },
        body: Buffer.from(JSON.stringify({ Id: first.Id })),
        region: 'us-east-1',
      }),
    );
    await emulator.close();

    // Assess
    expect(retried).toEqual(first);
    expect(first).toMatchObject({ Database: 'dev', ClusterIdentifier: 'local' });
    expect(second).toEqual({
      __type: 'ActiveStatementsExceededException',
      message: 'Active statements exceeded the allowed quota (1).',
    });
    expect(described).toMatchObject({
      Status: 'FAILED',
      Error: expect.stringMatching(/^The local database \(PGlite\) failed to start: ENOTDIR/),
    });
    expect(errors).toContain('PGlite failed to start');
  });
});
