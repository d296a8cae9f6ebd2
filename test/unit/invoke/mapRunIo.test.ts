import { gzipSync } from 'node:zlib';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import type { InvokeEffect, JsonObject, JsonValue } from '../../../router/asl/index.ts';
import type { ItemSource, ListedObject } from '../../../router/invoke/ItemReader.ts';
import { csvRows, readItems } from '../../../router/invoke/ItemReader.ts';
import { performMapRunIo } from '../../../router/invoke/MapRunIo.ts';
import type { ResultSink } from '../../../router/invoke/ResultWriter.ts';
import type { SdkIntegrations } from '../../../router/invoke/SdkIntegrations.ts';
import { createTaskInvoker } from '../../../router/invoke/TaskInvoker.ts';

const signal = new AbortController().signal;
const GET = 'arn:aws:states:::s3:getObject';
const LIST = 'arn:aws:states:::s3:listObjectsV2';

/**
 * An in-memory bucket store whose object bodies arrive in chunks of `chunk` bytes (so a line, a quoted
 * field or a UTF-8 character is split between chunks), counting the chunks each read took.
 */
function memoryStore(objects: Record<string, string | Buffer>, chunk = 7) {
  const puts = new Map<string, string>();
  const stats = { chunks: 0, pages: 0 };
  const store: ItemSource & ResultSink = {
    async getObject(bucket, key) {
      const body = objects[`${bucket}/${key}`];
      if (body === undefined) throw new Error(`S3.NoSuchKey: ${bucket}/${key}`);
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
      return (async function* () {
        for (let i = 0; i < bytes.length; i += chunk) {
          stats.chunks += 1;
          yield bytes.subarray(i, i + chunk);
        }
      })();
    },
    async listObjectsV2(input) {
      stats.pages += 1;
      const prefix = `${String(input.Bucket)}/${typeof input.Prefix === 'string' ? input.Prefix : ''}`;
      const keys = Object.keys(objects)
        .filter((k) => k.startsWith(prefix))
        .sort();
      const start = typeof input.ContinuationToken === 'string' ? Number(input.ContinuationToken) : 0;
      const page = keys.slice(start, start + 2);
      const listed: ListedObject[] = page.map((k) => ({
        Key: k.slice(String(input.Bucket).length + 1),
        Size: String(objects[k]).length,
        ETag: '"e"',
        LastModified: new Date('2026-01-01T00:00:00Z'),
        StorageClass: 'STANDARD',
      }));
      return { objects: listed, next: start + 2 < keys.length ? String(start + 2) : undefined };
    },
    async putObject(bucket, key, body) {
      puts.set(`${bucket}/${key}`, body);
    },
  };
  return { store, puts, stats };
}

function read(store: ItemSource, resource: string, parameters: JsonObject, config: JsonObject) {
  return readItems(store, { resource, parameters, config }, signal);
}

describe('ItemReader', () => {
  it('reads a JSON array element by element, strings with brackets and commas included', async () => {
    // Prepare
    const items = [{ a: 'x,]}' }, [1, [2]], 'é"\\', 3, null];
    const { store } = memoryStore({ 'in/a.json': ` ${JSON.stringify(items, null, 1)}\n` }, 3);

    // Act
    const got = await read(store, GET, { Bucket: 'in', Key: 'a.json' }, { InputType: 'JSON' });

    // Assess
    expect(got).toEqual(items);
  });

  it('stops reading at MaxItems instead of taking the whole object', async () => {
    // Prepare
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ i })).join('\n');
    const { store, stats } = memoryStore({ 'in/a.jsonl': lines }, 64);

    // Act
    const got = await read(store, GET, { Bucket: 'in', Key: 'a.jsonl' }, { InputType: 'JSONL', MaxItems: 3 });

    // Assess
    expect(got).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(stats.chunks).toBeLessThan(3);
  });

  it('reads JSON Lines with CRLF endings and blank lines, and names a bad line', async () => {
    // Prepare
    const { store } = memoryStore({
      'in/ok.jsonl': '{"n":1}\r\n\r\n{"n":"ü"}\r\n',
      'in/bad.jsonl': '{"n":1}\n{oops\n',
    });

    // Act
    const ok = await read(store, GET, { Bucket: 'in', Key: 'ok.jsonl' }, { InputType: 'JSONL' });
    const bad = read(store, GET, { Bucket: 'in', Key: 'bad.jsonl' }, { InputType: 'JSONL' });

    // Assess
    expect(ok).toEqual([{ n: 1 }, { n: 'ü' }]);
    await expect(bad).rejects.toThrow(/s3:\/\/in\/bad\.jsonl line 2 is not JSON/);
  });

  it('reads CSV with its first row as headers, quoted fields and missing values as empty strings', async () => {
    // Prepare
    const csv = 'id,name,note\r\n1,"Smith, J","said ""hi""\nthen left"\r\n2,Doe\r\n';
    const { store } = memoryStore({ 'in/a.csv': csv }, 5);

    // Act
    const got = await read(
      store,
      GET,
      { Bucket: 'in', Key: 'a.csv' },
      { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
    );

    // Assess
    expect(got).toEqual([
      { id: '1', name: 'Smith, J', note: 'said "hi"\nthen left' },
      { id: '2', name: 'Doe', note: '' },
    ]);
  });

  it('reads CSV with given headers and another delimiter, and refuses duplicate headers', async () => {
    // Prepare
    const { store } = memoryStore({ 'in/a.psv': '1|a\n2|b\n' });

    // Act
    const got = await read(
      store,
      GET,
      { Bucket: 'in', Key: 'a.psv' },
      { InputType: 'CSV', CSVHeaderLocation: 'GIVEN', CSVHeaders: ['n', 'v'], CSVDelimiter: 'PIPE' },
    );
    const duplicate = read(
      memoryStore({ 'in/d.csv': 'a,a\n1,2\n' }).store,
      GET,
      { Bucket: 'in', Key: 'd.csv' },
      { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' },
    );

    // Assess
    expect(got).toEqual([
      { n: '1', v: 'a' },
      { n: '2', v: 'b' },
    ]);
    await expect(duplicate).rejects.toThrow(/CSV headers cannot contain duplicates/);
  });

  it('reads the gzipped CSV files an S3 inventory manifest lists, keyed by its schema', async () => {
    // Prepare
    const manifest = {
      sourceBucket: 'data',
      destinationBucket: 'arn:aws:s3:::inventory',
      fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, Size',
      files: [{ key: 'data/1.csv.gz' }, { key: 'data/2.csv.gz' }],
    };
    const { store } = memoryStore({
      'inventory/manifest.json': JSON.stringify(manifest),
      'inventory/data/1.csv.gz': gzipSync('"data","a.txt","3"\n"data","b.txt","4"\n'),
      'inventory/data/2.csv.gz': gzipSync('"data","c.txt","5"\n'),
    });

    // Act
    const got = await read(
      store,
      GET,
      { Bucket: 'inventory', Key: 'manifest.json' },
      { InputType: 'MANIFEST', MaxItems: 3 },
    );

    // Assess
    expect(got).toEqual([
      { Bucket: 'data', Key: 'a.txt', Size: '3' },
      { Bucket: 'data', Key: 'b.txt', Size: '4' },
      { Bucket: 'data', Key: 'c.txt', Size: '5' },
    ]);
  });

  it('lists objects page after page, each item shaped as Step Functions shapes it', async () => {
    // Prepare
    const { store, stats } = memoryStore({ 'in/p/1': 'a', 'in/p/2': 'bb', 'in/p/3': 'ccc', 'in/q/4': 'd' });

    // Act
    const got = await read(store, LIST, { Bucket: 'in', Prefix: 'p/' }, {});

    // Assess
    expect(stats.pages).toBe(2);
    expect(got).toEqual(
      ['p/1', 'p/2', 'p/3'].map((Key, i) => ({
        Etag: '"e"',
        Key,
        LastModified: 1767225600,
        Size: i + 1,
        StorageClass: 'STANDARD',
      })),
    );
  });

  it('splits rows on CR, LF and CRLF alike', async () => {
    // Prepare
    const rows: string[][] = [];

    // Act
    const chunks = (async function* () {
      yield* ['a,b\r', '\nc,d\re,f\n'];
    })();
    for await (const row of csvRows(chunks)) rows.push(row);

    // Assess
    expect(rows).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
    ]);
  });
});

function effect(mapRun: 'read' | 'write', resource: string, input: JsonValue): InvokeEffect {
  return {
    type: 'invoke',
    id: 'Map#1.0/x',
    resource,
    input,
    idempotencyKey: 'e:Map#1/x',
    stateName: 'Map',
    attempt: 0,
    mapRun,
  };
}

describe('map run S3 requests', () => {
  it('writes SUCCEEDED and FAILED files and the manifest under PREFIX/MAP_RUN_ID, and answers the details', async () => {
    // Prepare
    const { store, puts } = memoryStore({});
    const executions = [
      { Name: 'a', Status: 'SUCCEEDED', Output: '1' },
      { Name: 'b', Status: 'FAILED', Error: 'E', Cause: 'C' },
      { Name: 'c', Status: 'SUCCEEDED', Output: '2' },
    ];
    const arn = 'arn:aws:states:local:000000000000:mapRun:m/Map:run-1';

    // Act
    const outcome = await performMapRunIo(
      store,
      effect('write', 'arn:aws:states:::s3:putObject', {
        Parameters: { Bucket: 'out', Prefix: 'jobs/' },
        MapRunArn: arn,
        MapRunId: 'run-1',
        Executions: executions,
      }),
      signal,
    );

    // Assess
    expect(outcome).toEqual({
      ok: true,
      output: { MapRunArn: arn, ResultWriterDetails: { Bucket: 'out', Key: 'jobs/run-1/manifest.json' } },
    });
    expect(JSON.parse(puts.get('out/jobs/run-1/SUCCEEDED_0.json') ?? '')).toEqual([
      executions[0],
      executions[2],
    ]);
    expect(JSON.parse(puts.get('out/jobs/run-1/FAILED_0.json') ?? '')).toEqual([executions[1]]);
    expect(puts.has('out/jobs/run-1/PENDING_0.json')).toBe(false);
    const manifest = JSON.parse(puts.get('out/jobs/run-1/manifest.json') ?? '') as JsonObject;
    expect(manifest).toEqual({
      DestinationBucket: 'out',
      MapRunArn: arn,
      ResultFiles: {
        SUCCEEDED: [
          {
            Key: 'jobs/run-1/SUCCEEDED_0.json',
            Size: Buffer.byteLength(puts.get('out/jobs/run-1/SUCCEEDED_0.json') ?? ''),
          },
        ],
        FAILED: [
          {
            Key: 'jobs/run-1/FAILED_0.json',
            Size: Buffer.byteLength(puts.get('out/jobs/run-1/FAILED_0.json') ?? ''),
          },
        ],
        PENDING: [],
      },
    });
  });

  it('honours WriterConfig: FLATTEN as JSON Lines in .jsonl files, a failed or pending child kept whole', async () => {
    // Prepare
    const { store, puts } = memoryStore({});
    const executions = [
      { Name: 'a', Status: 'SUCCEEDED', Output: '[1,2]' },
      { Name: 'b', Status: 'FAILED', Error: 'E', Cause: 'C' },
      { Name: 'c', Status: 'SUCCEEDED', Output: '{"n":3}' },
      { Input: '{"n":4}', InputDetails: { Included: true }, Status: 'PENDING' },
    ];
    const write = (WriterConfig: JsonObject, prefix: string) =>
      performMapRunIo(
        store,
        effect('write', 'arn:aws:states:::s3:putObject', {
          Parameters: { Bucket: 'out', Prefix: prefix },
          MapRunArn: 'arn',
          MapRunId: 'run-1',
          Executions: executions,
          WriterConfig,
        }),
        signal,
      );

    // Act
    await write({ OutputType: 'JSONL', Transformation: 'FLATTEN' }, 'flat');
    await write({ OutputType: 'JSON', Transformation: 'COMPACT' }, 'compact');

    // Assess
    expect(puts.get('out/flat/run-1/SUCCEEDED_0.jsonl')).toBe('1\n2\n{"n":3}\n');
    expect(puts.get('out/flat/run-1/FAILED_0.jsonl')).toBe(`${JSON.stringify(executions[1])}\n`);
    expect(puts.get('out/flat/run-1/PENDING_0.jsonl')).toBe(`${JSON.stringify(executions[3])}\n`);
    const manifest = JSON.parse(puts.get('out/flat/run-1/manifest.json') ?? '') as {
      ResultFiles: Record<string, { Key: string }[]>;
    };
    expect(manifest.ResultFiles.SUCCEEDED?.map((f) => f.Key)).toEqual(['flat/run-1/SUCCEEDED_0.jsonl']);
    expect(JSON.parse(puts.get('out/compact/run-1/SUCCEEDED_0.json') ?? '')).toEqual([[1, 2], { n: 3 }]);
    expect(JSON.parse(puts.get('out/compact/run-1/FAILED_0.json') ?? '')).toEqual([executions[1]]);
  });

  it('refuses the S3 read and write of a resource outside the allowlist, calling nothing', async () => {
    // Prepare
    const sent: string[] = [];
    const sdk: SdkIntegrations = {
      call: async (service, action) => {
        sent.push(`${service}:${action}`);
        return { ok: true, output: null };
      },
      send: async (service, action) => {
        sent.push(`${service}:${action}`);
        return { ok: true, output: {} };
      },
    };
    const invoke = createTaskInvoker({
      lambda: new LambdaClient({ region: 'us-east-1' }),
      sdk,
      allowlist: ['arn:aws:states:::s3:listObjectsV2'],
      region: 'us-east-1',
    });

    // Act
    const read = await invoke(
      effect('read', GET, { Parameters: { Bucket: 'b', Key: 'k' }, ReaderConfig: {} }),
      signal,
    );
    const write = await invoke(
      effect('write', 'arn:aws:states:::s3:putObject', { Parameters: { Bucket: 'b' }, Executions: [] }),
      signal,
    );

    // Assess
    expect(read).toEqual({
      ok: false,
      error: 'States.ItemReaderFailed',
      cause: `Map state 'Map': resource ${GET} is not in this deployment's allowlist`,
    });
    expect(write).toMatchObject({ ok: false, error: 'States.ResultWriterFailed' });
    expect(sent).toEqual([]);
  });

  it('answers a failed read with States.ItemReaderFailed naming the state and the object', async () => {
    // Act
    const outcome = await performMapRunIo(
      memoryStore({}).store,
      effect('read', GET, {
        Parameters: { Bucket: 'in', Key: 'missing.json' },
        ReaderConfig: { InputType: 'JSON' },
      }),
      signal,
    );

    // Assess
    expect(outcome).toEqual({
      ok: false,
      error: 'States.ItemReaderFailed',
      cause: "Map state 'Map': S3.NoSuchKey: in/missing.json",
    });
  });
});
