/**
 * Seed 003, Level 1 (engines/sql-query.hjson) through the router: a script from S3 run on the Redshift
 * Data emulation with service calls only, its result paged and stored as JSON in S3; a failing script
 * ends the execution with the statement's own error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LevelsRuntime, levelEvent, startLevels } from './levels.ts';

let levels: LevelsRuntime;
beforeAll(async () => {
  // Two rows a page, so a result of four rows takes two GetStatementResult calls.
  levels = await startLevels(['sql-query.hjson'], { pageSize: 2 });
}, 60_000);
afterAll(async () => {
  await levels?.stop();
});

describe('sql-query (seed 003, Level 1)', () => {
  it('runs node_details.sql and stores its rows, keyed by column, as JSON in S3', async () => {
    // Act
    await levels.rt.put([
      {
        partitionKey: 'l1',
        data: levelEvent('sql-query', 'node-details-1', { name: 'node_details', script: 'node_details.sql' }),
      },
    ]);
    const done = await levels.finished('sql-query', 'seed003/test#node-details-1');

    // Assess
    expect(done.status, done.error ?? '').toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({
      name: 'node_details',
      script: 'node_details.sql',
      result_key: 'results/node_details.json',
      rows: 2,
    });
    const stored = JSON.parse((await levels.read('results/node_details.json')) ?? 'null');
    expect(stored).toMatchObject({
      query: 'node_details',
      columns: [
        'node_type',
        'node',
        'slice_count',
        'storage_utilization_pct',
        'storage_capacity_gb',
        'storage_used_gb',
      ],
    });
    expect(stored.rows).toHaveLength(2);
    expect(stored.rows[0]).toMatchObject({ node_type: 'dc2.large', node: 0, slice_count: 2 });
    expect(stored.rows[1]).toMatchObject({ node_type: 'dc2.large', node: 1, slice_count: 2 });
  }, 90_000);

  it('follows NextToken until the last page: three WLM queues on pages of two rows', async () => {
    // Act
    await levels.rt.put([
      {
        partitionKey: 'l1',
        data: levelEvent('sql-query', 'wlm-1', { name: 'wlm_queues', script: 'wlm_queues.sql' }),
      },
    ]);
    const done = await levels.finished('sql-query', 'seed003/test#wlm-1');

    // Assess
    expect(done.status, done.cause ?? '').toBe('SUCCEEDED');
    const stored = JSON.parse((await levels.read('results/wlm_queues.json')) ?? 'null');
    expect(stored.rows.map((row: { queue_name: string }) => row.queue_name)).toEqual([
      'Default queue',
      'Superuser queue',
      'Short query queue',
    ]);
  }, 90_000);

  it('ends with the statement error when the script fails', async () => {
    // Act
    await levels.rt.put([
      {
        partitionKey: 'l1',
        data: levelEvent('sql-query', 'storage-1', {
          name: 'storage_by_node',
          script: 'storage_by_node.sql',
        }),
      },
    ]);
    const done = await levels.finished('sql-query', 'seed003/test#storage-1');

    // Assess
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('SqlQuery.StatementFailed');
    expect(done.cause).toMatch(
      /^storage_by_node \(scripts\/storage_by_node\.sql\): ERROR: column "used_mb" does not exist/,
    );
    expect(await levels.read('results/storage_by_node.json')).toBeUndefined();
  }, 90_000);
});
