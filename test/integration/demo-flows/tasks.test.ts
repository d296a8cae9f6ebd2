/**
 * The demo domain's stream and select tasks against the local stack: rows handed out chunk by chunk from
 * byte offsets (whatever the object's size), and query results a page at a time.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as select } from '../../../handlers/demo-flows/tasks/redshift-select.ts';
import { type RowChunk, handler as stream } from '../../../handlers/demo-flows/tasks/stream-s3-object.ts';
import { transaction } from '../../../handlers/shared/sql.ts';
import { ensureBucket } from '../../../localstack/bootstrap.ts';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import { s3Client } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const quiet = { info: () => undefined, error: () => undefined };
/** Three rows a page, so a small table already spans pages. */
const redshift = createRedshiftDataEmulator({ startNow: true, log: quiet, pageSize: 3 });
const stack = useLocalStack({ services: [redshift] });
const BUCKET = 'demo-stream';

beforeAll(async () => {
  Object.assign(process.env, stack().env);
  await ensureBucket(s3Client(stack().aws), BUCKET, stack().aws.region);
  await redshift.ready();
}, 60_000);

async function put(key: string, body: string | Buffer): Promise<void> {
  await s3Client(stack().aws).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** Every chunk of an object, following `next` until `done`. */
async function chunks(key: string, maxRows: number): Promise<RowChunk[]> {
  const all: RowChunk[] = [];
  let chunk = await stream({ bucket: BUCKET, key, maxRows });
  all.push(chunk);
  while (!chunk.done) {
    chunk = await stream({ bucket: BUCKET, key, maxRows, cursor: chunk.next });
    all.push(chunk);
  }
  return all;
}

describe('demo-stream-s3-object', () => {
  it('hands out rows as objects, chunk by chunk, with CRLF, quotes and no final newline', async () => {
    // Prepare
    await put(
      'quoted.csv',
      'id,name,note\r\n1,Ada,"likes ""engines"""\r\n\r\n2,"Turing, Alan",\r\n3,Grace,"a,b"',
    );

    // Act
    const all = await chunks('quoted.csv', 2);

    // Assess
    expect(all.map((chunk) => ({ rows: chunk.rows, firstLine: chunk.firstLine, done: chunk.done }))).toEqual([
      {
        rows: [
          { id: '1', name: 'Ada', note: 'likes "engines"' },
          { id: '2', name: 'Turing, Alan', note: '' },
        ],
        firstLine: 2,
        done: false,
      },
      { rows: [{ id: '3', name: 'Grace', note: 'a,b' }], firstLine: 5, done: true },
    ]);
    expect(all.at(-1)?.next).toMatchObject({ rowsRead: 3, columns: ['id', 'name', 'note'] });
  });

  it('reads a 20 MiB object from byte offsets: each chunk starts where the last one stopped', async () => {
    // Prepare: 400,000 rows of about 50 bytes.
    const count = 400_000;
    const lines = ['n,padding'];
    for (let i = 1; i <= count; i++) lines.push(`${i},${'x'.repeat(40)}`);
    await put('large.csv', `${lines.join('\n')}\n`);

    // Act: the first chunk, then one from the middle of the object by its cursor.
    const first = await stream({ bucket: BUCKET, key: 'large.csv', maxRows: 5_000 });
    const second = await stream({ bucket: BUCKET, key: 'large.csv', maxRows: 5_000, cursor: first.next });

    // Assess: a chunk is held to 128 KiB of rows, well under the 256 KiB of a workflow state.
    expect(first.count).toBeLessThan(5_000);
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThan(256 * 1024);
    expect(first.rows[0]).toEqual({ n: '1', padding: 'x'.repeat(40) });
    expect(second.rows[0]).toEqual({ n: String(first.count + 1), padding: 'x'.repeat(40) });
    expect(second.firstLine).toBe(first.count + 2);
    expect(second.done).toBe(false);
  });

  it('names the line of a row that does not fit the header', async () => {
    // Prepare
    await put('ragged.csv', 'a,b\n1,2\n3\n');

    // Act
    const failure = await stream({ bucket: BUCKET, key: 'ragged.csv' }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({
      name: 'Tasks.MalformedRow',
      message: 's3://demo-stream/ragged.csv line 3: 1 fields, the header has 2',
    });
  });
});

describe('demo-redshift-select', () => {
  it('hands out a result a page at a time, following NextToken', async () => {
    // Prepare
    await transaction([
      'CREATE TABLE IF NOT EXISTS paged_numbers (n integer)',
      'DELETE FROM paged_numbers',
      'INSERT INTO paged_numbers SELECT generate_series(1, 8)',
    ]);

    // Act
    const pages = [
      await select({ sql: 'select n from paged_numbers where n > :min order by n', parameters: { min: 0 } }),
    ];
    for (let page = pages[0]; page?.nextToken !== undefined; page = pages.at(-1)) {
      pages.push(await select({ statementId: page.statementId, nextToken: page.nextToken }));
    }

    // Assess
    expect(pages.map((page) => page.rows.map((row) => row.n))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8],
    ]);
    expect(pages.map((page) => page.nextToken === undefined)).toEqual([false, false, true]);
  });

  it('refuses a statement that is not one query', async () => {
    // Act
    const failure = await select({ sql: 'delete from paged_numbers' }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({
      message: "demo-redshift-select: input field 'sql' must be one SELECT (or WITH ... SELECT) query",
    });
  });
});
