/**
 * Local stack figures: how long the embedded stack takes to start (what every integration test file
 * pays), and how many Kinesis records per second go through the edge each way (what bounds local
 * end-to-end runs). Run alone with `node --openssl-legacy-provider --import tsx bench/stack.ts`.
 */
import { pathToFileURL } from 'node:url';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { type LocalStack, startLocalStack } from '../localstack/stack.ts';
import { kinesisClient } from '../router/aws/index.ts';
import { median } from './stats.ts';

/** Figures a benchmark reports, by dotted name. */
export type Figures = Record<string, number | string>;

/**
 * Further figures measured on the same running stack, each adding its own names (e.g. the Lambda host's
 * `stack.lambdaInvokesPerSecond`). Add a measurement here to have `npm run bench` report it.
 */
export const STACK_FIGURES: ReadonlyArray<(stack: LocalStack) => Promise<Figures>> = [];

const STARTS = 5;
const RECORDS = 20_000;
const RECORD_BYTES = 200;
const SHARDS = 4;
const BATCH = 500;
const CONCURRENT_PUTS = 4;

async function putAll(kinesis: KinesisClient, stream: string): Promise<number> {
  const payload = Buffer.alloc(RECORD_BYTES, 'x');
  const batches: PutRecordsRequestEntry[][] = [];
  for (let start = 0; start < RECORDS; start += BATCH) {
    batches.push(
      Array.from({ length: Math.min(BATCH, RECORDS - start) }, (_, offset) => ({
        Data: payload,
        PartitionKey: `key-${start + offset}`,
      })),
    );
  }
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < batches.length; index = next++) {
      const { FailedRecordCount } = await kinesis.send(
        new PutRecordsCommand({ StreamName: stream, Records: batches[index] }),
      );
      if (FailedRecordCount) throw new Error(`bench: ${FailedRecordCount} records of batch ${index} failed`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_PUTS }, worker));
  return performance.now() - started;
}

async function readAll(kinesis: KinesisClient, stream: string): Promise<{ ms: number; records: number }> {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const started = performance.now();
  const counts = await Promise.all(
    (Shards ?? []).map(async (shard) => {
      let { ShardIterator: iterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      let read = 0;
      while (iterator !== undefined) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        read += page.Records?.length ?? 0;
        if (page.MillisBehindLatest === 0 && (page.Records?.length ?? 0) === 0) break;
        iterator = page.NextShardIterator;
      }
      return read;
    }),
  );
  return { ms: performance.now() - started, records: counts.reduce((sum, count) => sum + count, 0) };
}

/** Runs the stack benchmarks and returns their figures. */
export async function benchStack(): Promise<Figures> {
  const starts: number[] = [];
  for (let run = 0; run < STARTS; run += 1) {
    const stack = await startLocalStack({ port: 0 });
    starts.push(stack.startedInMs);
    await stack.stop();
  }

  const stack = await startLocalStack({ port: 0 });
  try {
    const kinesis = kinesisClient(stack.aws);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'bench', ShardCount: SHARDS }));
    const putMs = await putAll(kinesis, 'bench');
    const read = await readAll(kinesis, 'bench');
    if (read.records !== RECORDS) throw new Error(`bench: read ${read.records} records, put ${RECORDS}`);
    const figures: Figures = {
      'stack.startupMsFirst': Math.round(starts[0] ?? 0),
      'stack.startupMsMedianOf5': Math.round(median(starts)),
      'stack.kinesisRecords': `${RECORDS} x ${RECORD_BYTES} B, ${SHARDS} shards`,
      'stack.putRecordsPerSecond': Math.round(RECORDS / (putMs / 1000)),
      'stack.getRecordsPerSecond': Math.round(read.records / (read.ms / 1000)),
    };
    for (const measure of STACK_FIGURES) Object.assign(figures, await measure(stack));
    return figures;
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchStack();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}\t${value}\n`);
}
