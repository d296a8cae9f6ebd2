/** Reads rows through the local Redshift Data API, for asserting on what seed 003's engines wrote. */
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { type AwsEnvironment, redshiftDataClient } from '../../../router/aws/clients.ts';

function value(field: Field): unknown {
  if (field.isNull === true) return null;
  return field.longValue ?? field.doubleValue ?? field.stringValue ?? field.booleanValue ?? null;
}

/** Runs one query and returns its rows as arrays of plain values (dates and decimals as text). */
export async function selectRows(aws: AwsEnvironment, sql: string): Promise<unknown[][]> {
  const client = redshiftDataClient(aws);
  const { Id } = await client.send(
    new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'local', Sql: sql }),
  );
  for (;;) {
    const described = await client.send(new DescribeStatementCommand({ Id }));
    if (described.Status === 'FINISHED') break;
    if (described.Status === 'FAILED' || described.Status === 'ABORTED')
      throw new Error(`${sql}: ${described.Error}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const result = await client.send(new GetStatementResultCommand({ Id }));
  return (result.Records ?? []).map((row) => row.map(value));
}
