import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStream } from '../../../localstack/bootstrap.ts';
import { kinesisClient } from '../../../router/aws/clients.ts';
import type { CommandIo } from '../../../router/cli/command.ts';
import { runCli } from '../../../router/cli/main.ts';
import { useLocalStack } from '../support/stack.ts';

const stack = useLocalStack();

async function readStream(kinesis: KinesisClient, streamName: string) {
  const out: { key: string; body: Record<string, unknown> }[] = [];
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of shards.Shards ?? []) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
    for (const record of page.Records ?? []) {
      out.push({
        key: record.PartitionKey ?? '',
        body: JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')) as Record<
          string,
          unknown
        >,
      });
    }
  }
  return out;
}

function capture(stdin: string[] = []): { io: CommandIo; stdout: () => string; stderr: () => string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (chunk: Buffer) => out.push(chunk));
  const stderr = new PassThrough().on('data', (chunk: Buffer) => err.push(chunk));
  return {
    io: {
      stdout,
      stderr,
      stdin: Readable.from(stdin.map((line) => `${line}\n`)),
      env: { ...process.env, ...stack().env },
      cwd: dir,
    },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}

let dir = '';
let kinesis: KinesisClient;

describe('router put', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'router-put-'));
    kinesis = kinesisClient(stack().aws);
  });
  afterAll(async () => {
    kinesis.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('puts the good lines of a file, reports each bad line by number, and exits 1', async () => {
    // Prepare
    await ensureStream(kinesis, 'put-file', 1);
    const lines = [
      JSON.stringify({
        specversion: '1.0',
        id: 'a',
        source: 'shop',
        type: 'order.created',
        subject: 'order/1',
      }),
      JSON.stringify({ specversion: '1.0', id: 'b', source: 'shop', type: 'order.paid' }),
      '{"broken": ',
      '',
      '[1, 2]',
      JSON.stringify({ specversion: '1.0', id: 'c', source: 'shop', type: 'x', time: 'tomorrow' }),
      JSON.stringify({ orderId: 7 }),
      JSON.stringify({ id: 42, amount: 3 }),
    ];
    await writeFile(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
    const run = capture();

    // Act
    const code = await runCli(['put', 'events.jsonl', '--stream', 'put-file'], run.io);

    // Assess
    expect(code).toBe(1);
    expect(run.stderr()).toContain('events.jsonl:3: skipped: not JSON');
    expect(run.stderr()).toContain('events.jsonl:5: skipped: not a JSON object');
    expect(run.stderr()).toContain(
      "events.jsonl:6: skipped: invalid CloudEvent: CloudEvent attribute 'time'",
    );
    expect(run.stderr()).toContain(
      "events.jsonl:7: skipped: no partition key: the object has no 'subject' or 'id'",
    );
    expect(run.stdout()).toMatch(
      /^put 3 records \(\d+ B\) to put-file in 1 requests; 0 retries, 0 failed, 4 bad lines$/m,
    );
    const read = await readStream(kinesis, 'put-file');
    expect(read.map((r) => r.key)).toEqual(['order/1', 'b', '42']);
  });

  it('reads stdin with a partition key path and exits 0 when every line was put', async () => {
    await ensureStream(kinesis, 'put-stdin', 1);
    const run = capture([
      JSON.stringify({ order: { id: 'o-1' }, n: 1 }),
      JSON.stringify({ order: { id: 'o-2' }, n: 2 }),
      JSON.stringify({ order: { id: 'o-1' }, n: 3 }),
    ]);

    const code = await runCli(
      ['put', '-', '--stream', 'put-stdin', '--partition-key-path', '$.order.id'],
      run.io,
    );

    expect(code).toBe(0);
    expect(run.stdout()).toContain('put 3 records');
    expect(run.stderr()).toContain('put: 3 records written');
    const read = await readStream(kinesis, 'put-stdin');
    expect(read.map((r) => [r.key, r.body.n])).toEqual([
      ['o-1', 1],
      ['o-2', 2],
      ['o-1', 3],
    ]);
  });

  it('names a missing file and rejects a bad partition key path as a usage error', async () => {
    const missing = capture();
    const badPath = capture();

    expect(await runCli(['put', 'nope.jsonl', '--stream', 'put-file'], missing.io)).toBe(1);
    expect(await runCli(['put', '--partition-key-path', '$..x'], badPath.io)).toBe(2);

    expect(missing.stderr()).toContain("cannot read 'nope.jsonl'");
    expect(badPath.stderr()).toContain("idPath '$..x' is not a simple path");
  });
});
