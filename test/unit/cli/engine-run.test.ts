import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../../router/asl/interpreter/history.ts';
import { runRouterCli } from '../../support/cli.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const LOCAL = ['--vars', 'engines/vars/local.hjson'];

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is the one JSON object the command prints. */
  json: {
    status: string;
    output?: unknown;
    error?: string;
    cause?: string;
    history?: HistoryEvent[];
  };
}

async function run(argv: string[], cwd = ROOT): Promise<RunResult> {
  const { code, stdout, stderr } = await runRouterCli(['engine', 'run', ...argv], { cwd });
  let json: RunResult['json'] = { status: 'NO-JSON' };
  if (stdout.trim() !== '') json = JSON.parse(stdout) as RunResult['json'];
  return { code, stdout, stderr, json };
}

function mocked(engine: string, testCase: string, input: unknown, ...extra: string[]): Promise<RunResult> {
  return run([
    `engines/${engine}.hjson`,
    ...LOCAL,
    '--input',
    JSON.stringify(input),
    '--mocks',
    `test/fixtures/mocks/${engine.replace(/\.v\d+\.\d+$/, '')}.json`,
    '--test-case',
    testCase,
    ...extra,
  ]);
}

/** Milliseconds after the execution started at which each matching event happened. */
function offsets(history: HistoryEvent[], type: string, stateName: string): number[] {
  const start = history[0]?.timestamp ?? 0;
  return history.filter((h) => h.type === type && h.stateName === stateName).map((h) => h.timestamp - start);
}

describe('router engine run: batch-average (seed 002) with mocks', () => {
  it('averages the mocked writes of every Map item', async () => {
    // Act
    const result = await mocked('batch-average', 'HappyPath', { repetitions: 3 });

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toEqual({
      status: 'SUCCEEDED',
      output: { run_id: 'run-1', average: 25, samples: 3 },
    });
  });

  it('retries Lambda Invoke 1 on the seed errors with back-off 2, 4, 8 s on the virtual clock', async () => {
    // Act
    const result = await mocked('batch-average', 'RetryPath', { repetitions: 3 }, '--history');

    // Assess
    expect(result.code).toBe(0);
    const history = result.json.history ?? [];
    expect(offsets(history, 'TaskScheduled', 'Lambda Invoke 1')).toEqual([0, 2000, 6000, 14000]);
    expect(history.filter((h) => h.type === 'TaskRetry').map((h) => h.details?.error)).toEqual([
      'Lambda.TooManyRequestsException',
      'Lambda.ServiceException',
      'Lambda.ServiceException',
    ]);
    // Mocks inside the Map: item i got invocation i of "Lambda Invoke 2", then slept 1 s (local vars).
    const writes = history.filter((h) => h.type === 'TaskStateExited' && h.stateName === 'Lambda Invoke 2');
    expect(writes.map((h) => [h.thread, h.details?.output])).toEqual([
      ['Parallel Map#1.0[0]/', { run_id: 'run-1', iteration_id: 1, value: 10 }],
      ['Parallel Map#1.0[1]/', { run_id: 'run-1', iteration_id: 2, value: 20 }],
      ['Parallel Map#1.0[2]/', { run_id: 'run-1', iteration_id: 3, value: 45 }],
    ]);
    expect(offsets(history, 'WaitStateExited', 'Iteration Sleep')).toEqual([15000, 15000, 15000]);
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it("sleeps the prod stage's 600 s per iteration without taking real time", async () => {
    // Act
    const started = Date.now();
    const result = await run([
      'engines/batch-average.hjson',
      '--vars',
      'engines/vars/prod.hjson',
      '--input',
      '{"repetitions":3}',
      '--mocks',
      'test/fixtures/mocks/batch-average.json',
      '--test-case',
      'HappyPath',
      '--history',
    ]);

    // Assess
    expect(result.code).toBe(0);
    const history = result.json.history ?? [];
    expect((history.at(-1)?.timestamp ?? 0) - (history[0]?.timestamp ?? 0)).toBe(600_000);
    expect(history.find((h) => h.type === 'TaskScheduled')?.details?.input).toMatchObject({
      FunctionName: 'prod-batch-average-retrieve-run-id',
    });
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('fails after the seventh throttled attempt (MaxAttempts 6)', async () => {
    // Act
    const result = await mocked('batch-average', 'RetriesExhausted', { repetitions: 3 }, '--history');

    // Assess
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({
      status: 'FAILED',
      error: 'Lambda.TooManyRequestsException',
      cause: 'Rate exceeded',
    });
    expect(offsets(result.json.history ?? [], 'TaskScheduled', 'Lambda Invoke 1')).toEqual([
      0, 2000, 6000, 14000, 30000, 62000, 126000,
    ]);
  });

  it('fails the execution when one Map item fails', async () => {
    // Act
    const result = await mocked('batch-average', 'WriteFails', { repetitions: 3 });

    // Assess
    expect(result.code).toBe(1);
    expect(result.json).toEqual({
      status: 'FAILED',
      error: 'SqlError',
      cause: 'relation "batch_values" does not exist',
    });
  });

  it('stops with an error naming the Task state the test case does not mock', async () => {
    // Act
    const result = await mocked('batch-average', 'MissingMock', { repetitions: 3 });

    // Assess
    expect(result.code).toBe(1);
    expect(result.json.status).toBe('FAILED');
    expect(result.json.error).toBe('Mock.NotConfigured');
    expect(result.json.cause).toContain(
      "state 'Lambda Invoke 2' (Task, arn:aws:states:::lambda:invoke) has no mocked response in test case 'MissingMock' of state machine 'batch-average'",
    );
  });
});

describe('router engine run: redshift-etl (seed 003) with mocks', () => {
  const input = { refresh_date: '2026-01-15' };

  it('runs every poll loop, both Parallel branches and the validation to the end', async () => {
    // Act
    const result = await mocked('redshift-etl', 'HappyPath', input, '--history');

    // Assess
    expect(result.code).toBe(0);
    expect(result.json.output).toEqual({
      refresh_date: '2026-01-15',
      dimensions: [
        { table: 'item', status: 'FINISHED' },
        { table: 'customer_address', status: 'FINISHED' },
      ],
      store_sales_rows: 3,
    });
    const history = result.json.history ?? [];
    // STARTED, then FINISHED: one more wait round (StatementPollSeconds, 1 s locally) in the setup loop.
    expect(offsets(history, 'TaskScheduled', 'setup_sales_data_pipeline_status_check')).toEqual([2000, 3000]);
    // PICKED, STARTED, FINISHED inside the second Parallel branch.
    const branch = history.filter(
      (h) => h.type === 'TaskScheduled' && h.stateName === 'load_customer_address_table_status_check',
    );
    expect(branch.map((h) => h.thread)).toEqual(Array(3).fill('run_sales_data_pipeline#1.0[1]/'));
    expect(
      history.find((h) => h.stateName === 'run_load_fact_sales' && h.type === 'TaskScheduled')?.details
        ?.input,
    ).toEqual({
      WorkgroupName: 'local',
      Database: 'dev',
      Sql: 'call sp_load_fact_store_sales(cast(:refresh_date as date))',
      Parameters: [{ name: 'refresh_date', value: '2026-01-15' }],
      StatementName: 'load_fact_sales',
    });
    expect(
      history.find((h) => h.stateName === 'run_validation' && h.type === 'TaskScheduled')?.details?.input,
    ).toMatchObject({
      Sqls: [
        'SELECT 3 AS staged_sales_rows, 3 AS loaded_sales_rows',
        '\nSELECT 0 AS customers_without_one_current_address',
      ],
    });
  });

  it('fails the run naming the check when fewer sales rows were loaded than staged', async () => {
    // Act
    const result = await mocked('redshift-etl', 'SalesNotLoaded', input);

    // Assess
    expect(result).toMatchObject({
      code: 1,
      json: {
        status: 'FAILED',
        error: 'SalesDataPipeline.ValidationFailed',
        cause: expect.stringMatching(/^store_sales: 2 of 3 staged sales rows loaded for 2026-01-15;/),
      },
    });
  });

  it('takes the Choice to the Fail state when the setup statement FAILED', async () => {
    // Act
    const result = await mocked('redshift-etl', 'FailedSetup', input, '--history');

    // Assess
    expect(result.code).toBe(1);
    expect(result.json).toMatchObject({
      status: 'FAILED',
      error: 'SalesDataPipeline.Failed',
      cause: 'ERROR: relation "stg_sales" does not exist',
    });
    const entered = (result.json.history ?? [])
      .filter((h) => h.type.endsWith('StateEntered'))
      .map((h) => h.stateName);
    expect(entered.slice(-3)).toEqual([
      'setup_sales_data_pipeline_status_check',
      'is_setup_sales_data_pipeline_complete',
      'sales_data_pipeline_failure',
    ]);
  });

  it('fails the Parallel state when one branch reaches its Fail state', async () => {
    // Act
    const result = await mocked('redshift-etl', 'FailedDimensionLoad', input);

    // Assess
    expect(result.code).toBe(1);
    expect(result.json).toEqual({
      status: 'FAILED',
      error: 'SalesDataPipeline.LoadCustomerAddressFailed',
      cause: 'ERROR: duplicate key value violates unique constraint',
    });
  });

  it('reports a mocked service error by its Service.Name', async () => {
    // Act
    const result = await mocked('redshift-etl', 'ServiceError', input);

    // Assess
    expect(result.json).toMatchObject({
      status: 'FAILED',
      error: 'RedshiftData.ActiveStatementsExceededException',
    });
  });
});

describe('router engine run: flow-types (seed 000) with mocks', () => {
  const input = { source_id: 'src-7' };

  it('runs validate, download and unlock, handing the planned window to the download', async () => {
    // Act
    const result = await mocked('flow-types', 'Normal', input, '--history');

    // Assess
    expect(result.json).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        source_id: 'src-7',
        flow: 'NORMAL',
        from: '2026-01-10T08:00:00.000Z',
        rows: 4,
        watermark: '2026-01-15T08:00:00.000Z',
      },
    });
    const history = result.json.history ?? [];
    const download = history.find((h) => h.type === 'TaskScheduled' && h.stateName === 'Download data');
    expect(download?.details?.input).toMatchObject({
      FunctionName: 'flow-types-download-data',
      Payload: {
        source_id: 'src-7',
        window: {
          date_field: 'last_modified_date',
          from: '2026-01-10T08:00:00.000Z',
          to: '2026-01-15T08:00:00.000Z',
        },
      },
    });
    const unlock = history.find((h) => h.type === 'TaskScheduled' && h.stateName === 'Unlock source');
    expect(unlock?.details?.input).toMatchObject({
      Payload: { run: { lock: 'exec-1:Validate source' }, rows: 4, status: 'SUCCEEDED' },
    });
    expect(history.map((h) => h.stateName)).not.toContain('Update attributes');
  });

  it('runs the Re-specs attributes update after the download, with the query validation read', async () => {
    // Act
    const result = await mocked('flow-types', 'Respecs', input, '--history');

    // Assess
    expect(result.json).toMatchObject({ status: 'SUCCEEDED', output: { flow: 'RE-SPECS' } });
    const update = (result.json.history ?? []).find(
      (h) => h.type === 'TaskScheduled' && h.stateName === 'Update attributes',
    );
    expect(update?.details?.input).toMatchObject({
      Payload: { source_id: 'src-7', sql: 'UPDATE public.listing SET property_type = upper(property_type)' },
    });
  });

  it('waits for a locked source with backoff, and refuses the run when the lock is never freed', async () => {
    // Act
    const waited = await mocked('flow-types', 'LockedTwice', input, '--history');
    const refused = await mocked('flow-types', 'LockNeverFreed', input, '--history');

    // Assess
    expect(offsets(waited.json.history ?? [], 'TaskScheduled', 'Validate source')).toEqual([0, 1000, 3000]);
    expect(waited.json).toMatchObject({ status: 'SUCCEEDED' });
    expect(offsets(refused.json.history ?? [], 'TaskScheduled', 'Validate source')).toEqual([
      0, 1000, 3000, 7000, 15000, 31000, 63000,
    ]);
    expect(refused).toMatchObject({ code: 1, json: { status: 'FAILED', error: 'FlowTypes.SourceLocked' } });
    expect((refused.json.history ?? []).map((h) => h.stateName)).not.toContain('Release lock');
  });

  it('releases the lock of a failed download or update and fails with its error', async () => {
    // Act
    const download = await mocked('flow-types', 'DownloadFails', input, '--history');
    const update = await mocked('flow-types', 'AttributesFail', input, '--history');

    // Assess
    expect(offsets(download.json.history ?? [], 'TaskScheduled', 'Download data')).toEqual([
      0, 2000, 6000, 14000,
    ]);
    expect(download.json).toMatchObject({ status: 'FAILED', error: 'FlowTypes.SourceUnavailable' });
    expect(update.json).toMatchObject({ status: 'FAILED', error: 'SqlError' });
    for (const result of [download, update]) {
      const release = (result.json.history ?? []).find(
        (h) => h.type === 'TaskScheduled' && h.stateName === 'Release lock',
      );
      expect(release?.details?.input).toMatchObject({
        FunctionName: 'flow-types-unlock-source',
        Payload: { run: { lock: 'exec-1:Validate source' }, status: 'FAILED' },
      });
    }
  });
});

describe('router engine run: event-engine (seed 004, legacy form) with mocks', () => {
  const order = { orderId: 'o-1', customerId: 'c-9', amount: 120 };

  it('runs v1.0 and v1.1 of the same engine from one mock file; v1.1 adds the score step', async () => {
    // Act
    const v10 = await mocked('event-engine.v1.0', 'HappyPath', order, '--history');
    const v11 = await mocked('event-engine.v1.1', 'HappyPath', order);

    // Assess
    expect(v10.json.output).toEqual({
      ...order,
      validate: { valid: true, orderId: 'o-1' },
      enrich: { customerId: 'c-9', tier: 'gold' },
      notify: { notified: 'c-9', orderId: 'o-1' },
    });
    expect(v11.json.output).toMatchObject({ score: { score: 50, review: false } });
    const audit = (v10.json.history ?? []).find((h) => h.type === 'TaskScheduled' && h.stateName === 'audit');
    expect(audit?.details?.input).toEqual({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:event-engine-audit-order',
      InvocationType: 'Event',
      Payload: { orderId: 'o-1' },
    });
  });

  it('stops at the first function error, as the original runner did', async () => {
    // Act
    const result = await mocked('event-engine.v1.1', 'InvalidOrder', { ...order, amount: 0 });

    // Assess
    expect(result).toMatchObject({ code: 1, json: { status: 'FAILED', error: 'EventEngine.InvalidOrder' } });
  });
});

describe('router engine run: demo-flow (seed 001) with mocks', () => {
  it('hands the rows on chunk by chunk until the stream task says done', async () => {
    // Act
    const result = await mocked('demo-flow', 'HappyPath', { file: 'members.csv' }, '--history');

    // Assess
    expect(result.json.output).toEqual({ file: 'members.csv', bytes: 20, rows: 2, imports: 1 });
    expect(offsets(result.json.history ?? [], 'TaskScheduled', 'Stream rows')).toHaveLength(2);
    expect(offsets(result.json.history ?? [], 'TaskScheduled', 'Load rows')).toHaveLength(2);
  });

  it('retries a late file every 60 s, then finishes', async () => {
    // Act
    const result = await mocked('demo-flow', 'LateFile', { file: 'members.csv' }, '--history');

    // Assess
    expect(result.json.output).toEqual({ file: 'members.csv', bytes: 20, rows: 2, imports: 1 });
    expect(offsets(result.json.history ?? [], 'TaskScheduled', 'Fetch file')).toEqual([0, 60000, 120000]);
  });

  it('catches a file that never arrives into its Fail state', async () => {
    // Act
    const result = await mocked('demo-flow', 'NoFile', { file: 'members.csv' });

    // Assess
    expect(result.json).toEqual({
      status: 'FAILED',
      error: 'DemoFlow.NoInboundFile',
      cause: '/inbound/members.csv does not exist on test@127.0.0.1:2222',
    });
  });

  it('fails a refused login at once, without retrying it', async () => {
    // Act
    const result = await mocked('demo-flow', 'WrongPassword', { file: 'members.csv' }, '--history');

    // Assess
    expect(result.json).toMatchObject({ status: 'FAILED', error: 'DemoFlow.SftpAccessRefused' });
    expect(offsets(result.json.history ?? [], 'TaskScheduled', 'Fetch file')).toEqual([0]);
  });
});

describe('router engine run: options, input and exit codes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-run-'));
    await writeFile(join(dir, 'input.json'), '{"repetitions": 3}');
    await writeFile(join(dir, 'bad-input.json'), '{"repetitions": ');
    await writeFile(
      join(dir, 'tiny.hjson'),
      JSON.stringify({
        StartAt: 'Hello',
        States: {
          Hello: {
            Type: 'Task',
            Resource: 'arn:aws:lambda:us-east-1:000000000000:function:hello',
            End: true,
          },
        },
      }),
    );
    await writeFile(
      join(dir, 'tiny-mocks.json'),
      JSON.stringify({
        StateMachines: { tiny: { TestCases: { Hi: { Hello: 'Hi' } } } },
        MockedResponses: { Hi: { '0': { Return: { hello: 'world' } } } },
      }),
    );
    await writeFile(
      join(dir, 'bad-mocks.json'),
      '{\n  "StateMachines": { "tiny": { "TestCases": { "Hi": { "Hello": "Nope" } } } },\n  "MockedResponses": { "Hi": { "0": { "Return": 1, "Throw": { "Error": "E" } }, "2": { "Return": 2 } } }\n}\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a callback task (.waitForTaskToken) from its mock, as Step Functions Local does', async () => {
    // Prepare
    await writeFile(
      join(dir, 'approval.json'),
      JSON.stringify({
        StartAt: 'Ask',
        States: {
          Ask: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token' } },
            End: true,
          },
        },
      }),
    );
    await writeFile(
      join(dir, 'approval-mocks.json'),
      JSON.stringify({
        StateMachines: { approval: { TestCases: { Approve: { Ask: 'Approved' } } } },
        MockedResponses: { Approved: { '0': { Return: { approved: true } } } },
      }),
    );

    // Act
    const result = await run(
      ['approval.json', '--input', '{}', '--mocks', 'approval-mocks.json', '--test-case', 'Approve'],
      dir,
    );

    // Assess
    expect(result).toMatchObject({ code: 0, json: { status: 'SUCCEEDED', output: { approved: true } } });
  });

  it('reads --input @FILE and matches the mock state machine by file name when the graph has no Engine', async () => {
    // Act
    const fromFile = await run([
      'engines/batch-average.hjson',
      ...LOCAL,
      '--input',
      `@${join(dir, 'input.json')}`,
      '--mocks',
      'test/fixtures/mocks/batch-average.json',
      '--test-case',
      'HappyPath',
    ]);
    const byFileName = await run(
      ['tiny.hjson', '--input', '{}', '--mocks', 'tiny-mocks.json', '--test-case', 'Hi'],
      dir,
    );

    // Assess
    expect(fromFile.json.status).toBe('SUCCEEDED');
    expect(byFileName).toMatchObject({ code: 0, json: { status: 'SUCCEEDED', output: { hello: 'world' } } });
  });

  it.each([
    [['--input', '{}'], 'name exactly one graph file'],
    [['engines/batch-average.hjson'], '--input JSON|@FILE is required'],
    [['engines/batch-average.hjson', '--input', '{"repetitions":'], '--input is not valid JSON'],
    [['engines/batch-average.hjson', '--input', '@missing.json'], "cannot read input file 'missing.json'"],
    [
      ['engines/batch-average.hjson', '--input', '{}', '--mocks', 'test/fixtures/mocks/batch-average.json'],
      '--mocks and --test-case go together',
    ],
    [['engines/batch-average.hjson', '--input', '{}', '--bogus'], "Unknown option '--bogus'"],
    [['engines/nope.hjson', '--input', '{}'], "cannot read graph file 'engines/nope.hjson'"],
    [
      [
        'engines/batch-average.hjson',
        ...LOCAL,
        '--input',
        '{}',
        '--mocks',
        'test/fixtures/mocks/batch-average.json',
        '--test-case',
        'Nope',
      ],
      "state machine 'batch-average' has no test case 'Nope' (it has 'HappyPath', 'RetryPath', 'RetriesExhausted', 'WriteFails', 'MissingMock')",
    ],
    [
      [
        'engines/demo-flow.hjson',
        ...LOCAL,
        '--input',
        '{}',
        '--mocks',
        'test/fixtures/mocks/batch-average.json',
        '--test-case',
        'HappyPath',
      ],
      "no state machine named 'demo-flow' in the mock file (it has 'batch-average')",
    ],
  ])('exits 2 for %j: %s', async (argv, message) => {
    // Act
    const result = await run(argv);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it('exits 2 with every problem of an invalid graph, variables file or mock file', async () => {
    // Act
    const graph = await run(['test/fixtures/graphs/broken.hjson', '--input', '{}']);
    const unknownVariable = await run(['engines/batch-average.hjson', '--input', '{}']);
    const mocks = await run(
      ['tiny.hjson', '--input', '{}', '--mocks', 'bad-mocks.json', '--test-case', 'Hi'],
      dir,
    );

    // Assess
    expect(graph.code).toBe(2);
    expect(graph.stderr).toMatch(/test\/fixtures\/graphs\/broken\.hjson: invalid \(\d+ problems?\)/);
    expect(unknownVariable.code).toBe(2);
    expect(unknownVariable.stderr).toContain(`unknown variable '\${FunctionPrefix}'`);
    expect(mocks.code).toBe(2);
    expect(mocks.stderr).toContain(
      "bad-mocks.json:2:55: /StateMachines/tiny/TestCases/Hi/Hello: test case 'Hi', state 'Hello': mocked response 'Nope' is not in MockedResponses",
    );
    expect(mocks.stderr).toContain("mocked response 'Hi' [0] must have exactly one of Return and Throw");
    expect(mocks.stderr).toContain('bad-mocks.json: invalid mock file');
    expect(mocks.stderr).not.toContain('no gaps');
  });
});
