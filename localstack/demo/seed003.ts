/**
 * Seed 003 in the demo, which needs an order the other engines do not: the ETL runs on the first
 * refresh date's files, then (once that run has ended) on the second date's changed files; the data
 * collection (Level 3) runs with a script that fails, is fixed as soon as its first round's manifest is
 * in S3, and succeeds in the second round. What it leaves behind (table rows, manifests, CSV files, the
 * SNS notices) is read back for the summary.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
} from '@aws-sdk/client-redshift-data';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { type AwsEnvironment, clientConfig, redshiftDataClient } from '../../router/aws/index.ts';
import type { ExecutionRecord } from '../../router/executions/index.ts';

/** The broken script of `engines/scripts/` and how the demo fixes it. */
const BROKEN_SCRIPT = 'storage_by_node.sql';
const FIX = (sql: string): string => sql.replace('SELECT node, used_mb,', 'SELECT node, used AS used_mb,');

/** The queries of the demo's collection: three that work and the broken one. */
const QUERIES = ['node_details', 'slice_distribution', 'wlm_queues', 'storage_by_node'].map((name) => ({
  name,
  script: `${name}.sql`,
}));

/** Where the demo's alerts go: the topic of the local stage variables, with an email subscription. */
const ALERTS_TOPIC = 'sql-collection-alerts';
const ALERTS_EMAIL = 'data-team@example.com';

/** What the follower needs from the demo. */
export interface Seed003Context {
  /** `engines/`, where the scripts are read from. */
  readonly enginesDir: string;
  readonly aws: AwsEnvironment;
  readonly s3: S3Client;
  readonly bucket: string;
  /** Puts events on the stream as the demo does (counted in what it sent); returns their dedup keys. */
  readonly put: (events: readonly { readonly type: string; readonly data: object }[]) => Promise<string[]>;
  /** The execution of an engine for a dedup key, as the store holds it now. */
  readonly execution: (engine: string, dedupKey: string) => Promise<ExecutionRecord | undefined>;
  readonly timeoutMs: number;
}

/**
 * Uploads the scripts (`scripts/`) and the ETL's source files (`sales/DATE/`), and makes sure the alerts
 * topic and its email subscription exist. Returns how many objects it uploaded.
 */
export async function prepareSeed003(
  root: string,
  s3: S3Client,
  bucket: string,
  aws: AwsEnvironment,
): Promise<number> {
  const objects: { key: string; file: string }[] = [];
  for (const file of await readdir(join(root, 'scripts')))
    objects.push({ key: `scripts/${file}`, file: join(root, 'scripts', file) });
  for (const date of await readdir(join(root, 'data', 'sales'))) {
    for (const file of await readdir(join(root, 'data', 'sales', date)))
      objects.push({ key: `sales/${date}/${file}`, file: join(root, 'data', 'sales', date, file) });
  }
  for (const object of objects) {
    const body = await readFile(object.file, 'utf8');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: body }));
  }
  const sns = new SNSClient(clientConfig(aws, 'sns'));
  try {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: ALERTS_TOPIC }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: ALERTS_EMAIL }));
  } finally {
    sns.destroy();
  }
  return objects.length;
}

/**
 * Plays seed 003 and resolves with the summary lines: the ETL twice, and the collection with one query
 * failing once. The collection's name is unique per demo, so kept data from an earlier one never counts
 * as a round of this one.
 */
export async function playSeed003(context: Seed003Context): Promise<string[]> {
  const collection = `demo-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const [etl, collect] = await Promise.all([playEtl(context), playCollection(context, collection)]);
  return [...etl, ...collect];
}

async function ended(context: Seed003Context, engine: string, dedupKey: string): Promise<ExecutionRecord> {
  const deadline = Date.now() + context.timeoutMs;
  for (;;) {
    const record = await context.execution(engine, dedupKey);
    if (record?.status === 'SUCCEEDED' || record?.status === 'FAILED') return record;
    if (Date.now() > deadline)
      throw new Error(`${engine} ${dedupKey} did not end within ${context.timeoutMs / 1000} s`);
    await sleep(200);
  }
}

function outcome(record: ExecutionRecord): string {
  return record.status === 'SUCCEEDED' ? 'SUCCEEDED' : `FAILED ${record.error ?? ''}: ${record.cause ?? ''}`;
}

async function playEtl(context: Seed003Context): Promise<string[]> {
  const runs: string[] = [];
  for (const refreshDate of ['2026-01-15', '2026-01-16']) {
    const [key = ''] = await context.put([
      { type: 'sales.pipeline.requested', data: { refresh_date: refreshDate } },
    ]);
    const record = await ended(context, 'redshift-etl', key);
    const rows = (JSON.parse(record.output ?? '{}') as { store_sales_rows?: number }).store_sales_rows;
    runs.push(`${refreshDate} ${outcome(record)}${rows === undefined ? '' : ` (${rows} sales rows loaded)`}`);
  }
  const versions = await select(
    context.aws,
    `SELECT ca_address_id || ' ' || ca_city || ' ' || ca_effective_from::text || '..' ||
            CASE WHEN ca_is_current THEN 'now' ELSE ca_effective_to::text END
     FROM customer_address WHERE ca_address_id = 'A001' ORDER BY ca_address_sk`,
  );
  const [[price] = []] = await select(
    context.aws,
    "SELECT i_current_price::text FROM item WHERE i_item_id = 'I001'",
  );
  const [[facts, addresses] = []] = await select(
    context.aws,
    'SELECT (SELECT count(*) FROM store_sales), (SELECT count(*) FROM customer_address)',
  );
  return [
    `Seed 003 ETL (redshift-etl), run twice on changed files: ${runs.join('; ')}.`,
    `  SCD2 customer_address: ${addresses} versions; A001 moved: ${versions.map(([v]) => v).join(', ')}. ` +
      `SCD1 item I001 price overwritten: ${price}. store_sales: ${facts} rows, each on the address version of its sale date.`,
  ];
}

async function playCollection(context: Seed003Context, collection: string): Promise<string[]> {
  const [key = ''] = await context.put([
    {
      type: 'sql.collection.requested',
      data: { collection, queries: QUERIES, retry_wait_seconds: 3 },
    },
  ]);
  const prefix = `collections/${collection}/`;
  const list = async (under: string): Promise<string[]> => {
    const listed = await context.s3.send(
      new ListObjectsV2Command({ Bucket: context.bucket, Prefix: `${prefix}${under}` }),
    );
    return (listed.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
  };
  // The fix lands while the collection waits before its second round.
  const deadline = Date.now() + context.timeoutMs;
  let fixed = false;
  for (;;) {
    if ((await list('manifests/')).length > 0) {
      fixed = true;
      const script = await readFile(join(context.enginesDir, 'scripts', BROKEN_SCRIPT), 'utf8');
      await context.s3.send(
        new PutObjectCommand({ Bucket: context.bucket, Key: `scripts/${BROKEN_SCRIPT}`, Body: FIX(script) }),
      );
      break;
    }
    const status = (await context.execution('sql-collection', key))?.status;
    if (status === 'SUCCEEDED' || status === 'FAILED' || Date.now() > deadline) break;
    await sleep(100);
  }
  const record = await ended(context, 'sql-collection', key);
  const manifests = await list('manifests/');
  const csv = await list('csv/');
  return [
    `Seed 003 collection (sql-collection -> sql-collection-round -> sql-query, nested): ${collection} ${outcome(record)}; ` +
      `${fixed ? `${BROKEN_SCRIPT} failed in round 1 and was fixed before round 2; ` : ''}${manifests.length} manifests, ` +
      `${csv.length} CSV files in s3://${context.bucket}/${prefix}csv/.`,
  ];
}

function value(field: Field): string {
  if (field.isNull === true) return '';
  return String(field.longValue ?? field.doubleValue ?? field.stringValue ?? field.booleanValue ?? '');
}

/** Rows of one query through the Data API, every value as text. */
async function select(aws: AwsEnvironment, sql: string): Promise<string[][]> {
  const client = redshiftDataClient(aws);
  const { Id } = await client.send(
    new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'local', Sql: sql }),
  );
  for (;;) {
    const { Status, Error: reason } = await client.send(new DescribeStatementCommand({ Id }));
    if (Status === 'FINISHED') break;
    if (Status === 'FAILED' || Status === 'ABORTED') throw new Error(`${sql}: ${reason}`);
    await sleep(50);
  }
  const result = await client.send(new GetStatementResultCommand({ Id }));
  return (result.Records ?? []).map((row) => row.map(value));
}
