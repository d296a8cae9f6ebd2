/**
 * End to end: a distributed Map over 100,000 items in S3 (one JSON Lines object, one CSV object) read by
 * its ItemReader, batched, each batch a child execution started through the stream (so the batches
 * spread over every shard) that calls a step Lambda, the parent waiting on its children and the results
 * written to S3 by its ResultWriter, through the router on the local stack. Some batches fail: the JSON Lines run stays within
 * its tolerated failure percentage and succeeds; the CSV run, with a lower threshold, writes the results
 * it has and fails with States.ExceedToleratedFailureThreshold.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../../router/aws/clients.ts';
import { useRouterStack } from '../support/routerStack.ts';
import { cloudEvent, stepArn } from './graphs.ts';

const ITEMS = 100_000;
const PER_BATCH = 1_000;
/** Every item whose id is a multiple of this is bad, and fails its batch: 3 of the 100 batches. */
const BAD_EVERY = 33_000;

/** Batches the step saw, and their items. */
const seen = { batches: 0, items: 0 };
/** Child start records (one per batch) the router was handed, by shard. */
const childrenByShard = new Map<string, number>();
const SHARDS = 4;

const runtime = useRouterStack({
  functions: {
    /** Sums a batch's amounts; a batch holding a bad item fails. */
    'sum-batch': async (payload) => {
      const batch = payload as { Items: { id: string | number; amount: string | number }[] };
      seen.batches += 1;
      seen.items += batch.Items.length;
      if (batch.Items.some((item) => Number(item.id) % BAD_EVERY === 0 && Number(item.id) > 0)) {
        const error = new Error(`batch holds a bad item`);
        error.name = 'BadItem';
        throw error;
      }
      return {
        count: batch.Items.length,
        total: batch.Items.reduce((sum, item) => sum + Number(item.amount), 0),
      };
    },
  },
  sweepEveryMs: false,
  shards: SHARDS,
  wrap: (handler) => async (event, context) => {
    for (const record of event.Records) {
      const data = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as {
        mapprocessor?: string;
      };
      const shard = record.eventID.split(':')[0] ?? '';
      if (data.mapprocessor !== undefined) childrenByShard.set(shard, (childrenByShard.get(shard) ?? 0) + 1);
    }
    return handler(event, context);
  },
});

function graph(inputType: 'JSONL' | 'CSV', tolerated: number): string {
  return JSON.stringify({
    StartAt: 'Totals',
    States: {
      Totals: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.key' },
          ReaderConfig:
            inputType === 'CSV'
              ? { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' }
              : { InputType: 'JSONL' },
        },
        ItemBatcher: { MaxItemsPerBatch: PER_BATCH },
        MaxConcurrency: 16,
        ToleratedFailurePercentage: tolerated,
        Label: `totals-${inputType.toLowerCase()}`,
        ResultWriter: {
          Resource: 'arn:aws:states:::s3:putObject',
          Parameters: { 'Bucket.$': '$.bucket', Prefix: `results/${inputType.toLowerCase()}` },
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
          StartAt: 'Sum',
          States: { Sum: { Type: 'Task', Resource: stepArn('sum-batch'), End: true } },
        },
        End: true,
      },
    },
  });
}

describe('a distributed Map over 100,000 items in S3', () => {
  it('processes JSON Lines within its tolerance and writes the results; CSV above it fails', async () => {
    // Prepare
    const rt = runtime();
    const s3 = s3Client(rt.stack.aws);
    const bucket = rt.names.bucket;
    const ids = Array.from({ length: ITEMS }, (_, i) => i);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'items/orders.jsonl',
        Body: ids.map((id) => JSON.stringify({ id, amount: id % 10 })).join('\n'),
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'items/orders.csv',
        Body: `id,amount\n${ids.map((id) => `${id},${id % 10}`).join('\n')}\n`,
      }),
    );
    await rt.publish({ source: graph('JSONL', 5), file: 'totals-jsonl.hjson' });
    await rt.publish({ source: graph('CSV', 2), file: 'totals-csv.hjson' });

    // Act
    await rt.put([
      { partitionKey: 'a', data: cloudEvent('totals-jsonl', 'run-1', { bucket, key: 'items/orders.jsonl' }) },
      { partitionKey: 'b', data: cloudEvent('totals-csv', 'run-1', { bucket, key: 'items/orders.csv' }) },
    ]);
    await rt.waitForIdle(600_000);

    // Assess: every batch ran as a child execution started through the stream, on every shard
    expect(childrenByShard.size).toBe(SHARDS);
    expect([...childrenByShard.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(100 + 99);

    // Assess: the JSON Lines run succeeded with 3 of 100 batches (3%) failed, within 5%
    const jsonl = await rt.execution('totals-jsonl', 'shop/totals-jsonl#run-1');
    expect(jsonl?.status).toBe('SUCCEEDED');
    const details = JSON.parse(jsonl?.output ?? '{}') as {
      MapRunArn: string;
      ResultWriterDetails: { Bucket: string; Key: string };
    };
    expect(details.MapRunArn).toMatch(/:mapRun:totals-jsonl\/totals-jsonl:[0-9a-f-]{36}$/);
    expect(details.ResultWriterDetails.Bucket).toBe(bucket);
    const runId = details.MapRunArn.split(':').pop() ?? '';
    expect(details.ResultWriterDetails.Key).toBe(`results/jsonl/${runId}/manifest.json`);
    const read = async (key: string): Promise<unknown> => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return JSON.parse((await object.Body?.transformToString()) ?? 'null');
    };
    const manifest = (await read(details.ResultWriterDetails.Key)) as {
      DestinationBucket: string;
      ResultFiles: Record<string, { Key: string; Size: number }[]>;
    };
    expect(manifest.DestinationBucket).toBe(bucket);
    expect(manifest.ResultFiles.PENDING).toEqual([]);
    const succeeded = (await read(manifest.ResultFiles.SUCCEEDED?.[0]?.Key ?? '')) as {
      Status: string;
      Output: string;
    }[];
    const failed = (await read(manifest.ResultFiles.FAILED?.[0]?.Key ?? '')) as { Error: string }[];
    expect(succeeded).toHaveLength(97);
    expect(failed).toHaveLength(3);
    expect(failed.every((record) => record.Error === 'BadItem')).toBe(true);
    const counted = succeeded.reduce(
      (sum, record) => sum + (JSON.parse(record.Output) as { count: number }).count,
      0,
    );
    expect(counted).toBe(97 * PER_BATCH);

    // Assess: the CSV run read the same items, and 3% failed is above its 2%
    const csv = await rt.execution('totals-csv', 'shop/totals-csv#run-1');
    expect(csv).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(csv?.cause).toContain(`3000 of ${ITEMS} items failed`);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'results/csv/' }));
    const csvManifest = listed.Contents?.find((object) => object.Key?.endsWith('/manifest.json'));
    const csvFiles = ((await read(csvManifest?.Key ?? '')) as typeof manifest).ResultFiles;
    expect(csvFiles.FAILED?.length).toBe(1);
    const csvFailed = (await read(csvFiles.FAILED?.[0]?.Key ?? '')) as { Error: string }[];
    expect(csvFailed).toHaveLength(3);
    expect(seen.items).toBeGreaterThanOrEqual(ITEMS + 3 * PER_BATCH);
  }, 900_000);
});
