import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES_ALLOWLIST } from '../../../engines/allowlist.ts';
import { ensureBucket } from '../../../localstack/bootstrap.ts';
import { createLambdaHost } from '../../../localstack/lambda/index.ts';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import { lambdaClient, redshiftDataClient, s3Client } from '../../../router/aws/clients.ts';
import { runCli } from '../../../router/cli/main.ts';
import { useLocalStack } from '../support/stack.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const quiet = { info: () => undefined, error: () => undefined };
const redshift = createRedshiftDataEmulator({ startNow: true, log: quiet });
const stack = useLocalStack({ services: [createLambdaHost({ log: quiet }), redshift] });
const BUCKET = 'router-engines';

/** The handlers run in this process and build their clients from process.env, as a Lambda would. */
const saved = { ...process.env };
beforeAll(async () => {
  Object.assign(process.env, stack().env);
  const s3 = s3Client(stack().aws);
  await ensureBucket(s3, BUCKET, stack().aws.region);
  await redshift.ready();
}, 60_000);
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

async function engineRun(
  engine: string,
  input: unknown,
): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await runCli(
    [
      'engine',
      'run',
      `engines/${engine}.hjson`,
      '--vars',
      'engines/vars/local.hjson',
      '--input',
      JSON.stringify(input),
    ],
    {
      stdout,
      stderr,
      stdin: new PassThrough(),
      env: { ...stack().env, ROUTER_RESOURCE_ALLOWLIST: ENGINES_ALLOWLIST.join(',') },
      cwd: ROOT,
    },
  );
  return { code, json: JSON.parse(out.join('') || '{}') as Record<string, unknown>, stderr: err.join('') };
}

function value(field: Field | undefined): string | number | boolean | null {
  if (field === undefined || field.isNull === true) return null;
  return field.longValue ?? field.doubleValue ?? field.stringValue ?? field.booleanValue ?? null;
}

/** Runs one query through the Data API and returns its rows as arrays of plain values. */
async function select(
  sql: string,
  parameters: Record<string, string> = {},
): Promise<(string | number | boolean | null)[][]> {
  const client = redshiftDataClient(stack().aws);
  const entries = Object.entries(parameters).map(([name, v]) => ({ name, value: v }));
  const { Id } = await client.send(
    new ExecuteStatementCommand({
      Database: 'dev',
      WorkgroupName: 'local',
      Sql: sql,
      ...(entries.length > 0 ? { Parameters: entries } : {}),
    }),
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

describe('batch-average (seed 002) against the local stack, without mocks', () => {
  it('writes one value per repetition and stores their average in batch_averages', async () => {
    // Act
    const result = await engineRun('batch-average', { repetitions: 4 });

    // Assess
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0, json: { status: 'SUCCEEDED' } });
    const output = result.json.output as { run_id: string; average: number; samples: number };
    expect(output.samples).toBe(4);
    const values = await select('SELECT value FROM batch_values WHERE run_id = :run ORDER BY iteration_id', {
      run: output.run_id,
    });
    expect(values).toHaveLength(4);
    const mean = values.reduce((sum, [v]) => sum + Number(v), 0) / 4;
    expect(output.average).toBeCloseTo(mean, 6);
    expect(
      await select('SELECT average, samples FROM batch_averages WHERE run_id = :run', { run: output.run_id }),
    ).toEqual([[output.average, 4]]);
  }, 60_000);

  it('writes a value once per idempotency key, however often the step is invoked', async () => {
    // Prepare
    const lambda = lambdaClient(stack().aws);
    const clientContext = Buffer.from(
      JSON.stringify({ custom: { idempotencyKey: 'itest:write#1' } }),
    ).toString('base64');
    const invoke = async (): Promise<unknown> => {
      const response = await lambda.send(
        new InvokeCommand({
          FunctionName: 'batch-average-write-to-db',
          ClientContext: clientContext,
          Payload: Buffer.from(JSON.stringify({ run_id: 'itest-run', iteration_id: 1 })),
        }),
      );
      expect(response.FunctionError).toBeUndefined();
      return JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8'));
    };

    // Act
    const first = await invoke();
    const replays = await Promise.all([invoke(), invoke()]);

    // Assess
    expect(replays).toEqual([first, first]);
    expect(await select("SELECT count(*) FROM batch_values WHERE run_id = 'itest-run'")).toEqual([[1]]);
    expect(await select("SELECT count(*) FROM step_effects WHERE idempotency_key = 'itest:write#1'")).toEqual(
      [[1]],
    );
  }, 60_000);
});

describe('event-engine (seed 004, legacy form) against the local stack, without mocks', () => {
  it('runs v1.0, then v1.1 with its extra score step, and the queued audit lands once per run', async () => {
    // Prepare
    const order = { orderId: `o-${randomUUID()}`, customerId: 'c-9', amount: 120 };
    const audits = async (): Promise<number> =>
      Number(
        (
          await select(
            "SELECT count(*) FROM step_effects WHERE step = 'event-engine-audit-order' AND result = :result",
            {
              result: JSON.stringify({ audited: order.orderId }),
            },
          )
        )[0]?.[0],
      );

    // Act
    const v10 = await engineRun('event-engine.v1.0', order);
    const v11 = await engineRun('event-engine.v1.1', order);
    const rejected = await engineRun('event-engine.v1.1', { ...order, amount: 0 });

    // Assess
    expect(v10.json).toMatchObject({
      status: 'SUCCEEDED',
      output: { validate: { valid: true }, notify: { notified: 'c-9', orderId: order.orderId } },
    });
    expect(v10.json.output).not.toHaveProperty('score');
    expect(v11.json).toMatchObject({ status: 'SUCCEEDED', output: { score: { score: 52, review: false } } });
    expect(rejected).toMatchObject({
      code: 1,
      json: { status: 'FAILED', error: 'EventEngine.InvalidOrder' },
    });
    // The audit is an Event invoke: it runs after the execution has moved on.
    for (let i = 0; i < 100 && (await audits()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await audits()).toBe(2);
  }, 60_000);
});

// flow-types (seed 000) runs through the router in flow-types.test.ts, on its own tables and sources.

describe('demo-flow (seed 001) against the local stack, without mocks', () => {
  it('fetches over SFTP, loads the rows, records and counts the import; each execution records one import', async () => {
    // Prepare: the partner's drop on the stack's SFTP server.
    const root = stack().embedded?.sftp?.root;
    if (root === undefined) throw new Error('the stack runs no SFTP server');
    await mkdir(join(root, 'inbound'), { recursive: true });
    await writeFile(join(root, 'inbound', 'members-itest.csv'), 'id,name\n1,Ada\n2,Alan\n3,Grace\n');

    // Act
    const first = await engineRun('demo-flow', { file: 'members-itest.csv' });
    const second = await engineRun('demo-flow', { file: 'members-itest.csv' });

    // Assess
    expect(first.json).toEqual({
      status: 'SUCCEEDED',
      output: { file: 'members-itest.csv', bytes: 29, rows: 3, imports: 1 },
    });
    expect(second.json).toMatchObject({ status: 'SUCCEEDED', output: { rows: 3, imports: 2 } });
  }, 60_000);
});
