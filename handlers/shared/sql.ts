/**
 * The step handlers' database: SQL through the Redshift Data API, so the same handler code runs against
 * Redshift in AWS and against the local emulator (Postgres on PGlite). The Data API is asynchronous, so
 * each call submits, polls DescribeStatement until the statement ends, then reads the rows.
 *
 * Configured from the environment: `STEP_DATABASE` (default `dev`), and either `STEP_WORKGROUP`
 * (serverless, default `local`) or `STEP_CLUSTER_IDENTIFIER` with `STEP_DB_USER` (provisioned).
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { redshiftDataClient } from '../../router/aws/index.ts';

/** One result value, unwrapped from the Data API's tagged `Field`. */
export type SqlValue = string | number | boolean | null;
/** One result row by column name. */
export type SqlRow = Readonly<Record<string, SqlValue>>;

/** A failed statement, with the database's own message. */
export class SqlError extends Error {
  override readonly name = 'SqlError';
}

interface Target {
  readonly Database: string;
  readonly WorkgroupName?: string;
  readonly ClusterIdentifier?: string;
  readonly DbUser?: string;
}

function targetFromEnv(env: NodeJS.ProcessEnv): Target {
  const database = env.STEP_DATABASE || 'dev';
  const cluster = env.STEP_CLUSTER_IDENTIFIER;
  if (cluster !== undefined && cluster !== '') {
    return {
      Database: database,
      ClusterIdentifier: cluster,
      ...(env.STEP_DB_USER ? { DbUser: env.STEP_DB_USER } : {}),
    };
  }
  return { Database: database, WorkgroupName: env.STEP_WORKGROUP || 'local' };
}

let shared: { client: RedshiftDataClient; target: Target } | undefined;

/** The client and target, built once per cold start from the environment. */
function connection(): { client: RedshiftDataClient; target: Target } {
  shared ??= { client: redshiftDataClient(), target: targetFromEnv(process.env) };
  return shared;
}

const POLL_MS = 20;
const MAX_POLL_MS = 500;

async function waitFor(client: RedshiftDataClient, id: string, what: string): Promise<boolean> {
  for (let delay = POLL_MS; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
    const statement = await client.send(new DescribeStatementCommand({ Id: id }));
    if (statement.Status === 'FINISHED') return statement.HasResultSet === true;
    if (statement.Status === 'FAILED' || statement.Status === 'ABORTED') {
      throw new SqlError(`${what} ${statement.Status}: ${statement.Error ?? 'no error message'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function unwrap(field: Field): SqlValue {
  if (field.isNull === true) return null;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.stringValue !== undefined) return field.stringValue;
  return null;
}

/**
 * Runs one statement with named parameters (`:name`) and returns its rows.
 *
 * @example
 * const rows = await query('select avg(value) as average from batch_values where run_id = :run', { run: runId });
 */
export async function query(
  sql: string,
  parameters: Readonly<Record<string, string | number>> = {},
): Promise<SqlRow[]> {
  const id = await execute(sql, parameters);
  if (id === undefined) return [];
  const rows: SqlRow[] = [];
  let token: string | undefined;
  do {
    const page = await resultPage(id, token);
    rows.push(...page.rows);
    token = page.nextToken;
  } while (token !== undefined);
  return rows;
}

/**
 * Runs one statement and waits for it; the statement id when it has a result set to page through with
 * {@link resultPage}, undefined otherwise.
 */
export async function execute(
  sql: string,
  parameters: Readonly<Record<string, string | number>> = {},
): Promise<string | undefined> {
  const { client, target } = connection();
  const entries = Object.entries(parameters);
  const { Id } = await client.send(
    new ExecuteStatementCommand({
      ...target,
      Sql: sql,
      ...(entries.length === 0
        ? {}
        : { Parameters: entries.map(([name, value]) => ({ name, value: String(value) })) }),
    }),
  );
  if (Id === undefined) throw new SqlError('ExecuteStatement returned no statement id');
  return (await waitFor(client, Id, `statement '${sql.slice(0, 60)}'`)) ? Id : undefined;
}

/** One page of a finished statement's rows, and the token of the next page when there is one. */
export async function resultPage(
  statementId: string,
  nextToken?: string,
): Promise<{ rows: SqlRow[]; nextToken?: string }> {
  const { client } = connection();
  const page = await client.send(
    new GetStatementResultCommand({
      Id: statementId,
      ...(nextToken === undefined ? {} : { NextToken: nextToken }),
    }),
  );
  const names = (page.ColumnMetadata ?? []).map((column) => column.name ?? '');
  const rows = (page.Records ?? []).map(
    (record): SqlRow =>
      Object.fromEntries(record.map((field, index) => [names[index] ?? String(index), unwrap(field)])),
  );
  return page.NextToken === undefined || page.NextToken === ''
    ? { rows }
    : { rows, nextToken: page.NextToken };
}

/** Runs statements as one batch: one transaction, all or nothing (BatchExecuteStatement takes no parameters). */
export async function transaction(sqls: readonly string[]): Promise<void> {
  const { client, target } = connection();
  const { Id } = await client.send(new BatchExecuteStatementCommand({ ...target, Sqls: [...sqls] }));
  if (Id === undefined) throw new SqlError('BatchExecuteStatement returned no statement id');
  await waitFor(client, Id, `batch of ${sqls.length} statements`);
}

/**
 * A SQL literal for a batch statement, where parameters are not available: strings quoted with quotes
 * doubled, numbers only when finite, so no value can end the literal early.
 */
export function literal(value: string | number | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SqlError(`cannot write ${value} as a SQL number`);
    return String(value);
  }
  if (value.includes('\u0000')) throw new SqlError('a SQL string cannot contain a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}
