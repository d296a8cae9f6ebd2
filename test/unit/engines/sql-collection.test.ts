/**
 * Seed 003's data-collection Levels 2 and 3 (engines/sql-collection-round.hjson, sql-collection.hjson)
 * with their nested executions, S3 and SNS mocked: what each level sends and decides, round by round.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../../router/asl/interpreter/history.ts';
import { runRouterCli } from '../../support/cli.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function mocked(
  engine: string,
  testCase: string,
  input: unknown,
): Promise<{
  code: number;
  json: { status: string; output?: unknown; error?: string; cause?: string; history: HistoryEvent[] };
}> {
  const { code, stdout } = await runRouterCli(
    [
      'engine',
      'run',
      `engines/${engine}.hjson`,
      '--vars',
      'engines/vars/local.hjson',
      '--input',
      JSON.stringify(input),
      '--mocks',
      'test/fixtures/mocks/sql-collection.json',
      '--test-case',
      testCase,
      '--history',
    ],
    { cwd: ROOT },
  );
  return { code, json: JSON.parse(stdout) };
}

/** What each visit of a Task state was called with. */
function inputs(history: readonly HistoryEvent[], stateName: string): unknown[] {
  return history
    .filter((h) => h.type === 'TaskScheduled' && h.stateName === stateName)
    .map((h) => h.details?.input);
}

const QUERIES = [
  { name: 'node_details', script: 'node_details.sql' },
  { name: 'storage_by_node', script: 'storage_by_node.sql' },
];

describe('sql-collection-round (seed 003, Level 2)', () => {
  it('runs each INITIAL query as a nested sql-query, records both outcomes and writes the manifest', async () => {
    // Act
    const result = await mocked('sql-collection-round', 'OneFails', {
      collection: 'c1',
      round: 1,
      queries: QUERIES.map((q) => ({ ...q, status: 'INITIAL' })),
    });

    // Assess
    expect(result.code).toBe(0);
    const queries = [
      {
        name: 'node_details',
        script: 'node_details.sql',
        status: 'SUCCEEDED',
        result: 'collections/c1/results/node_details.json',
        rows: 2,
      },
      {
        name: 'storage_by_node',
        script: 'storage_by_node.sql',
        status: 'FAILED',
        error:
          'SqlQuery.StatementFailed: storage_by_node (scripts/storage_by_node.sql): ERROR: column "used_mb" does not exist',
      },
    ];
    expect(result.json.output).toEqual({
      collection: 'c1',
      round: 1,
      manifest: 'collections/c1/manifests/round-1.json',
      queries,
    });
    expect(inputs(result.json.history, 'Run query')).toEqual([
      {
        StateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:sql-query',
        Name: 'c1-r1-node_details',
        Input: {
          name: 'node_details',
          script: 'node_details.sql',
          result_key: 'collections/c1/results/node_details.json',
        },
      },
      expect.objectContaining({ Name: 'c1-r1-storage_by_node' }),
    ]);
    const [manifest] = inputs(result.json.history, 'Write manifest') as { Key: string; Body: string }[];
    expect(manifest?.Key).toBe('collections/c1/manifests/round-1.json');
    expect(JSON.parse(manifest?.Body ?? '')).toEqual({ collection: 'c1', round: 1, queries });
  });
});

describe('sql-collection (seed 003, Level 3)', () => {
  it('re-runs only the failed query in a second round, then writes one CSV per query', async () => {
    // Act
    const result = await mocked('sql-collection', 'FailsOnce', { collection: 'c1', queries: QUERIES });

    // Assess
    expect(result.code).toBe(0);
    expect(result.json.output).toEqual({
      collection: 'c1',
      rounds: 2,
      csv: ['collections/c1/csv/node_details.csv', 'collections/c1/csv/storage_by_node.csv'],
    });
    const rounds = inputs(result.json.history, 'Run round') as {
      Name: string;
      Input: { round: number; queries: unknown[] };
    }[];
    expect(rounds.map((r) => [r.Name, r.Input.round, r.Input.queries])).toEqual([
      ['c1-round-1', 1, QUERIES.map((q) => ({ ...q, status: 'INITIAL' }))],
      ['c1-round-2', 2, [{ ...QUERIES[1], status: 'INITIAL' }]],
    ]);
    const waits = result.json.history.filter((h) => h.type === 'WaitStateEntered');
    expect(waits).toHaveLength(1);
    const csv = inputs(result.json.history, 'Write CSV') as { Body: string }[];
    expect(csv[0]?.Body).toBe('node,note\n0,"a, ""quoted"" value"\n1,\n');
  });

  it('after the third manifest notifies once through SNS, naming the query and its error, and fails', async () => {
    // Act
    const result = await mocked('sql-collection', 'FailsEveryRound', { collection: 'c1', queries: QUERIES });

    // Assess
    expect(result.json).toMatchObject({
      status: 'FAILED',
      error: 'SqlCollection.QueriesFailed',
      cause: 'storage_by_node still fail after 3 rounds',
    });
    expect(inputs(result.json.history, 'Run round')).toHaveLength(3);
    expect(inputs(result.json.history, 'Notify failures')).toEqual([
      {
        TopicArn: 'arn:aws:sns:us-east-1:000000000000:sql-collection-alerts',
        Subject: 'SQL collection c1: 1 queries still fail after 3 rounds',
        Message:
          'Collection c1 gave up after 3 rounds. Queries that still fail:\n- storage_by_node (scripts/storage_by_node.sql): SqlQuery.StatementFailed: storage_by_node (scripts/storage_by_node.sql): ERROR: column "used_mb" does not exist',
      },
    ]);
  });
});
