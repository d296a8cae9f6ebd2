/**
 * Seed 003, Level 3 (engines/sql-collection.hjson) through the router, with Level 2 and Level 1 as nested
 * executions on the same stream: a query that fails in every round is reported once through SNS after the
 * third manifest; a query fixed after its first round succeeds in the second and every result becomes CSV;
 * the starting event delivered again changes nothing. The router runs on a virtual clock: waits inside a
 * round pass at once, and the retry wait between rounds (an hour, parked durably) passes only when the test
 * moves the clock, after it has fixed the script.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import { clientConfig } from '../../../router/aws/clients.ts';
import { type LevelsRuntime, levelEvent, ROOT, startLevels } from './levels.ts';

const clock = new VirtualClock(Date.now());
let levels: LevelsRuntime;
beforeAll(async () => {
  levels = await startLevels(['sql-query.hjson', 'sql-collection-round.hjson', 'sql-collection.hjson'], {
    clock,
  });
}, 90_000);
afterAll(async () => {
  await levels?.stop();
});

const QUERIES = [
  { name: 'node_details', script: 'node_details.sql' },
  { name: 'storage_by_node', script: 'storage_by_node.sql' },
];
const HOUR = 3_600_000;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the collection has parked on its retry wait (a due time an hour ahead: waiting for a nested
 * round has none) with `manifests` manifests written, and returns when it is due.
 */
async function parkedBeforeRound(dedupKey: string, manifests: number): Promise<number> {
  let due = 0;
  await until(`manifest ${manifests} and the wait before the next round`, async () => {
    const written = await levels.keys(`collections/${dedupKey.split('#')[1]}/manifests/`);
    const record = await levels.rt.execution('sql-collection', dedupKey);
    due = record?.status === 'WAITING' ? (record.dueAt ?? 0) : 0;
    return written.length === manifests && due > clock.now() + HOUR / 2;
  });
  return due;
}

describe('sql-collection (seed 003, Level 3) through the router', () => {
  it('reports a query failing in every round once, after the third manifest, and fails', async () => {
    // Act
    await levels.rt.put([
      {
        partitionKey: 'always',
        data: levelEvent('sql-collection', 'always', {
          collection: 'always',
          queries: QUERIES,
          retry_wait_seconds: 3600,
        }),
      },
    ]);
    for (const manifests of [1, 2])
      clock.advanceTo(await parkedBeforeRound('seed003/test#always', manifests));
    const done = await levels.finished('sql-collection', 'seed003/test#always', 120_000);

    // Assess
    expect(done).toMatchObject({
      status: 'FAILED',
      error: 'SqlCollection.QueriesFailed',
      cause: 'storage_by_node still fail after 3 rounds',
    });
    expect(await levels.keys('collections/always/')).toEqual([
      'collections/always/manifests/round-1.json',
      'collections/always/manifests/round-2.json',
      'collections/always/manifests/round-3.json',
      'collections/always/results/node_details.json',
    ]);
    const round3 = JSON.parse((await levels.read('collections/always/manifests/round-3.json')) ?? '{}');
    expect(round3).toMatchObject({
      round: 3,
      queries: [{ name: 'storage_by_node', status: 'FAILED' }],
    });
    const notices = levels.messaging.sns.inbox.list({ to: 'data-team@example.com' });
    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toBe('SQL collection always: 1 queries still fail after 3 rounds');
    expect(notices[0]?.body).toContain(
      '- storage_by_node (scripts/storage_by_node.sql): SqlQuery.StatementFailed:',
    );
    expect(notices[0]?.body).toContain('column "used_mb" does not exist');
    expect(notices[0]?.body).not.toContain('node_details');
  }, 240_000);

  it('re-runs a query fixed after its first round, writes every result as CSV, and ignores a redelivery', async () => {
    // Prepare
    const broken = await readFile(join(ROOT, 'engines/scripts/storage_by_node.sql'), 'utf8');
    const start = {
      partitionKey: 'once',
      data: levelEvent('sql-collection', 'once', {
        collection: 'once',
        queries: QUERIES,
        retry_wait_seconds: 3600,
      }),
    };

    // Act
    await levels.rt.put([start]);
    const due = await parkedBeforeRound('seed003/test#once', 1);
    await levels.put(
      'scripts/storage_by_node.sql',
      broken.replace('SELECT node, used_mb,', 'SELECT node, used AS used_mb,'),
    );
    clock.advanceTo(due);
    const done = await levels.finished('sql-collection', 'seed003/test#once', 120_000);
    const before = await levels.keys('collections/once/');
    await levels.rt.put([start]);
    await levels.rt.waitForIdle(60_000);

    // Assess
    expect(done.status, done.cause ?? '').toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({
      collection: 'once',
      rounds: 2,
      csv: ['collections/once/csv/node_details.csv', 'collections/once/csv/storage_by_node.csv'],
    });
    expect(before).toEqual([
      'collections/once/csv/node_details.csv',
      'collections/once/csv/storage_by_node.csv',
      'collections/once/manifests/round-1.json',
      'collections/once/manifests/round-2.json',
      'collections/once/results/node_details.json',
      'collections/once/results/storage_by_node.json',
    ]);
    expect(await levels.read('collections/once/csv/storage_by_node.csv')).toMatch(
      /^node,used_mb,capacity_mb\n0,\d+,190633\n1,\d+,190633\n$/,
    );
    expect((await levels.read('collections/once/csv/node_details.csv'))?.split('\n')[0]).toBe(
      'node_type,node,slice_count,storage_utilization_pct,storage_capacity_gb,storage_used_gb',
    );
    // The redelivered start is a duplicate: no new execution, round or notice.
    expect(await levels.keys('collections/once/')).toEqual(before);
    expect(await levels.rt.executions('sql-collection')).toHaveLength(2);
    expect(levels.messaging.sns.inbox.list({ to: 'data-team@example.com' })).toHaveLength(1);
    await levels.put('scripts/storage_by_node.sql', broken);
  }, 240_000);

  it('starts from a scheduled EventBridge rule shaped as the CDK app deploys it, once per firing', async () => {
    // Prepare
    const events = new EventBridgeClient(clientConfig(levels.rt.stack.aws, 'eventbridge'));
    await events.send(
      new PutRuleCommand({ Name: 'sql-collection', ScheduleExpression: 'cron(0 6 * * ? *)' }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'sql-collection',
        Targets: [
          {
            Id: 'stream',
            Arn: `arn:aws:kinesis:us-east-1:000000000000:stream/${levels.rt.names.stream}`,
            KinesisParameters: { PartitionKeyPath: '$.id' },
            InputTransformer: {
              InputPathsMap: { id: '$.id', time: '$.time' },
              InputTemplate: JSON.stringify({
                specversion: '1.0',
                id: '<id>',
                source: 'aws.events/sql-collection',
                type: 'sql.collection.requested',
                time: '<time>',
                data: { queries: [QUERIES[0]] },
              })
                .replace('"<id>"', '<id>')
                .replace('"<time>"', '<time>'),
            },
          },
        ],
      }),
    );

    // Act
    const firing = await levels.messaging.events.runSchedule('sql-collection');
    await levels.messaging.events.idle();
    const done = await levels.finished('sql-collection', `aws.events/sql-collection#${firing}`, 120_000);

    // Assess: the collection is named after its start time, its one query written as CSV.
    expect(done.status, done.cause ?? '').toBe('SUCCEEDED');
    const output = JSON.parse(done.output ?? 'null') as { collection: string; rounds: number; csv: string[] };
    expect(output.collection).toMatch(/^\d{8}T\d{6}$/);
    expect(output).toMatchObject({
      rounds: 1,
      csv: [`collections/${output.collection}/csv/node_details.csv`],
    });
  }, 240_000);
});
