/**
 * Seed 003's sales data pipeline (engines/redshift-etl.hjson) on the local Redshift Data emulation, run
 * with `router engine run`: a first load, a second load from changed files (SCD1 overwrites, SCD2 opens new
 * versions, a late sale points at the version valid on its date), the second load repeated (same data),
 * and loads the validation rejects, each with the check it failed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENGINES_ALLOWLIST } from '../../../engines/allowlist.ts';
import { ensureBucket } from '../../../localstack/bootstrap.ts';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import { s3Client } from '../../../router/aws/clients.ts';
import { runCli } from '../../../router/cli/main.ts';
import { useLocalStack } from '../support/stack.ts';
import { selectRows } from './sql.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const BUCKET = 'router-engines';
const redshift = createRedshiftDataEmulator({ startNow: true, log: { info() {}, error() {} } });
const stack = useLocalStack({ services: [redshift] });

async function put(key: string, body: string): Promise<void> {
  await s3Client(stack().aws).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

beforeAll(async () => {
  await ensureBucket(s3Client(stack().aws), BUCKET, stack().aws.region);
  for (const file of ['sp_statements.sql', 'validate_sql_statement.sql'])
    await put(`sql/${file}`, await readFile(join(ROOT, 'engines/sql', file), 'utf8'));
  for (const date of await readdir(join(ROOT, 'engines/data/sales'))) {
    for (const file of await readdir(join(ROOT, 'engines/data/sales', date)))
      await put(
        `sales/${date}/${file}`,
        await readFile(join(ROOT, 'engines/data/sales', date, file), 'utf8'),
      );
  }
  await redshift.ready();
}, 60_000);

async function etl(refreshDate: string): Promise<{ code: number; json: Record<string, unknown> }> {
  const stdout = new PassThrough();
  const out: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  const code = await runCli(
    [
      'engine',
      'run',
      'engines/redshift-etl.hjson',
      '--vars',
      'engines/vars/local.hjson',
      '--input',
      JSON.stringify({ refresh_date: refreshDate }),
    ],
    {
      stdout,
      stderr: new PassThrough(),
      stdin: new PassThrough(),
      env: { ...stack().env, ROUTER_RESOURCE_ALLOWLIST: ENGINES_ALLOWLIST.join(',') },
      cwd: ROOT,
    },
  );
  return { code, json: JSON.parse(out.join('') || '{}') as Record<string, unknown> };
}

/** Every table the pipeline writes, in a fixed order. */
async function tables(): Promise<Record<string, unknown[][]>> {
  const select = (sql: string): Promise<unknown[][]> => selectRows(stack().aws, sql);
  return {
    customer: await select(
      'SELECT c_customer_sk, c_customer_id, c_last_name, c_address_id FROM customer ORDER BY 1',
    ),
    customer_address: await select(
      `SELECT ca_address_sk, ca_address_id, ca_city, ca_effective_from::text, ca_effective_to::text, ca_is_current
       FROM customer_address ORDER BY 1`,
    ),
    item: await select('SELECT i_item_sk, i_item_id, i_current_price::text FROM item ORDER BY 1'),
    store_sales: await select(
      `SELECT ss_ticket_number, ss_sold_date_sk, ss_item_sk, ss_customer_sk, ss_addr_sk
       FROM store_sales ORDER BY 1`,
    ),
  };
}

const FIRST = {
  customer: [
    [1, 'C001', 'Lovelace', 'A001'],
    [2, 'C002', 'Turing', 'A002'],
    [3, 'C003', 'Hopper', 'A003'],
  ],
  customer_address: [
    [1, 'A001', 'Seattle', '2026-01-15', '9999-12-31', true],
    [2, 'A002', 'Portland', '2026-01-15', '9999-12-31', true],
    [3, 'A003', 'Arlington', '2026-01-15', '9999-12-31', true],
  ],
  item: [
    [1, 'I001', '18.50'],
    [2, 'I002', '6.25'],
    [3, 'I003', '2.10'],
  ],
  store_sales: [
    [1001, 20260115, 1, 1, 1],
    [1002, 20260115, 2, 2, 2],
    [1003, 20260115, 3, 3, 3],
  ],
};

const SECOND = {
  // SCD1: C002's new name overwrites the old one under the same key; C004 is new.
  customer: [
    [1, 'C001', 'Lovelace', 'A001'],
    [2, 'C002', 'Turing-Smith', 'A002'],
    [3, 'C003', 'Hopper', 'A003'],
    [4, 'C004', 'Dijkstra', 'A004'],
  ],
  // SCD2: A001 moved on the refresh date: version 1 closes there, version 2 opens with a new key.
  customer_address: [
    [1, 'A001', 'Seattle', '2026-01-15', '2026-01-16', false],
    [2, 'A002', 'Portland', '2026-01-15', '9999-12-31', true],
    [3, 'A003', 'Arlington', '2026-01-15', '9999-12-31', true],
    [4, 'A001', 'Tacoma', '2026-01-16', '9999-12-31', true],
    [5, 'A004', 'Austin', '2026-01-16', '9999-12-31', true],
  ],
  item: [
    [1, 'I001', '19.90'],
    [2, 'I002', '6.25'],
    [3, 'I003', '2.10'],
    [4, 'I004', '12.00'],
  ],
  // 1004 (Jan 16) points at A001's new version; 1005, a late sale of Jan 15, at the old one.
  store_sales: [
    [1001, 20260115, 1, 1, 1],
    [1002, 20260115, 2, 2, 2],
    [1003, 20260115, 3, 3, 3],
    [1004, 20260116, 1, 1, 4],
    [1005, 20260115, 3, 1, 1],
    [1006, 20260116, 4, 4, 5],
  ],
};

describe('redshift-etl (seed 003) on files in S3', () => {
  it('loads, versions on the refresh date, points facts at the version of their date, and repeats idempotently', async () => {
    // Act
    const first = await etl('2026-01-15');
    const afterFirst = await tables();
    const second = await etl('2026-01-16');
    const afterSecond = await tables();
    const repeated = await etl('2026-01-16');
    const afterRepeat = await tables();

    // Assess
    expect(first).toEqual({
      code: 0,
      json: {
        status: 'SUCCEEDED',
        output: {
          refresh_date: '2026-01-15',
          dimensions: [
            { table: 'item', status: 'FINISHED' },
            { table: 'customer_address', status: 'FINISHED' },
          ],
          store_sales_rows: 3,
        },
      },
    });
    expect(afterFirst).toEqual(FIRST);
    expect(second).toMatchObject({ code: 0, json: { status: 'SUCCEEDED', output: { store_sales_rows: 3 } } });
    expect(afterSecond).toEqual(SECOND);
    expect(repeated).toEqual(second);
    expect(afterRepeat).toEqual(SECOND);
  }, 180_000);

  it('corrects a same-day address change in place instead of opening a zero-length version', async () => {
    // Prepare
    const dir = join(ROOT, 'engines/data/sales/2026-01-16');
    for (const file of await readdir(dir))
      await put(`sales/2026-01-16/${file}`, await readFile(join(dir, file), 'utf8'));
    const addresses = await readFile(join(dir, 'customer_address.csv'), 'utf8');
    await put(
      'sales/2026-01-16/customer_address.csv',
      addresses.replace('A004,Austin,TX,78701', 'A004,Dallas,TX,75201'),
    );

    // Act
    const corrected = await etl('2026-01-16');

    // Assess
    expect(corrected.json.status).toBe('SUCCEEDED');
    expect((await tables()).customer_address).toEqual([
      ...SECOND.customer_address.slice(0, 4),
      [5, 'A004', 'Dallas', '2026-01-16', '9999-12-31', true],
    ]);
    await put('sales/2026-01-16/customer_address.csv', addresses);
  }, 120_000);

  it('fails the run naming the check: sales rows not loaded, then a customer without a current address', async () => {
    // Prepare: an unknown item on Jan 17; on Jan 18 a customer whose address was never delivered.
    const dir = join(ROOT, 'engines/data/sales/2026-01-16');
    for (const date of ['2026-01-17', '2026-01-18']) {
      for (const file of ['customer_address.csv', 'item.csv'])
        await put(`sales/${date}/${file}`, await readFile(join(dir, file), 'utf8'));
    }
    const header = 'sold_date,item_id,customer_id,ticket_number,quantity,sales_price\n';
    await put('sales/2026-01-17/customer.csv', await readFile(join(dir, 'customer.csv'), 'utf8'));
    await put('sales/2026-01-17/store_sales.csv', `${header}2026-01-17,I999,C001,1007,1,1.00\n`);
    await put(
      'sales/2026-01-18/customer.csv',
      `${await readFile(join(dir, 'customer.csv'), 'utf8')}C005,Barbara,Liskov,A009\n`,
    );
    await put('sales/2026-01-18/store_sales.csv', `${header}2026-01-18,I002,C002,1008,1,6.25\n`);

    // Act
    const unknownItem = await etl('2026-01-17');
    const noAddress = await etl('2026-01-18');

    // Assess
    expect(unknownItem).toMatchObject({
      code: 1,
      json: {
        status: 'FAILED',
        error: 'SalesDataPipeline.ValidationFailed',
        cause: expect.stringMatching(/^store_sales: 0 of 1 staged sales rows loaded for 2026-01-17/),
      },
    });
    expect(noAddress).toMatchObject({
      code: 1,
      json: {
        status: 'FAILED',
        error: 'SalesDataPipeline.ValidationFailed',
        cause:
          'customer_address: 1 customers without exactly one current address version after the load for 2026-01-18',
      },
    });
  }, 120_000);
});
