/**
 * `router engine run --state NAME`: one state run on its own, as Step Functions' TestState API runs it,
 * on the shipped engines (batch-average in JSONPath, order-enrichment in JSONata) and small graphs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateInspection } from '../../../router/asl/index.ts';
import { runRouterCli } from '../../support/cli.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const LOCAL = ['--vars', 'engines/vars/local.hjson'];

interface Printed {
  status: string;
  nextState?: string;
  output?: unknown;
  error?: string;
  cause?: string;
  inspectionData?: StateInspection;
  history?: { type: string; stateName?: string }[];
}

async function run(argv: string[], cwd = ROOT) {
  const { code, stdout, stderr } = await runRouterCli(['engine', 'run', ...argv], { cwd });
  const json = stdout.trim() === '' ? undefined : (JSON.parse(stdout) as Printed);
  return { code, stdout, stderr, json };
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

describe('router engine run --state: JSONPath (batch-average)', () => {
  const engine = ['engines/batch-average.hjson', ...LOCAL];

  it('runs a lambda:invoke Task with a mocked result and prints every step of its data flow', async () => {
    // Act
    const result = await run([
      ...engine,
      '--state',
      'Lambda Invoke 1',
      '--input',
      json({ repetitions: 2 }),
      '--mock-result',
      json({ StatusCode: 200, Payload: { run_id: 'r-1', pairs: [] } }),
    ]);

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toEqual({
      status: 'SUCCEEDED',
      nextState: 'Parallel Map',
      output: { run_id: 'r-1', pairs: [] },
      inspectionData: {
        input: { repetitions: 2 },
        afterParameters: { FunctionName: 'batch-average-retrieve-run-id', Payload: { repetitions: 2 } },
        result: { StatusCode: 200, Payload: { run_id: 'r-1', pairs: [] } },
        afterResultPath: { StatusCode: 200, Payload: { run_id: 'r-1', pairs: [] } },
        variables: {},
      },
    });
  });

  it('is RETRIABLE on a mocked Lambda error while the Retrier has attempts, FAILED once spent', async () => {
    // Act
    const throttled = (attempt: string) =>
      run([
        ...engine,
        '--state',
        'Lambda Invoke 1',
        '--input',
        '{}',
        '--mock-error',
        'Lambda.TooManyRequestsException',
        '--mock-cause',
        'Rate exceeded',
        '--retrier-attempt',
        attempt,
      ]);
    const [third, last] = await Promise.all([throttled('2'), throttled('6')]);

    // Assess: the seed's retrier, 2 s doubling: the third retry waits 2 x 2^2 s.
    expect(third).toMatchObject({ code: 0, stderr: '' });
    expect(third.json).toMatchObject({
      status: 'RETRIABLE',
      nextState: 'Lambda Invoke 1',
      error: 'Lambda.TooManyRequestsException',
      cause: 'Rate exceeded',
      inspectionData: { errorDetails: { retryIndex: 0, retryBackoffIntervalSeconds: 8 } },
    });
    expect(last).toMatchObject({
      code: 1,
      json: { status: 'FAILED', error: 'Lambda.TooManyRequestsException' },
    });
  });

  it('runs a Map state with its iterations mocked, and a Pass state with its Parameters', async () => {
    // Act
    const map = await run([
      ...engine,
      '--state',
      'Parallel Map',
      '--input',
      json({ run_id: 'r-1', pairs: [{ iteration_id: 0 }] }),
      '--mock-result',
      json([{ value: 42 }]),
    ]);
    const pass = await run([
      ...engine,
      '--state',
      'Pass',
      '--input',
      json({ run_id: 'r-1', written: [{ value: 42 }] }),
    ]);

    // Assess
    expect(map.json).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Pass',
      output: { run_id: 'r-1', pairs: [{ iteration_id: 0 }], written: [{ value: 42 }] },
      inspectionData: {
        result: [{ value: 42 }],
        afterResultPath: { run_id: 'r-1', pairs: [{ iteration_id: 0 }], written: [{ value: 42 }] },
      },
    });
    expect(pass.json).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Lambda Invoke 3',
      output: { run_id: 'r-1', iterations: [{ value: 42 }] },
      inspectionData: { afterParameters: { run_id: 'r-1', iterations: [{ value: 42 }] } },
    });
  });

  it('answers the state from the mock file with --mocks and --test-case', async () => {
    // Act
    const result = await run([
      ...engine,
      '--state',
      'Lambda Invoke 2',
      '--input',
      json({ run_id: 'run-1', iteration_id: 0 }),
      '--mocks',
      'test/fixtures/mocks/batch-average.json',
      '--test-case',
      'HappyPath',
      '--history',
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.json).toMatchObject({ status: 'SUCCEEDED', nextState: 'Iteration Sleep' });
    expect(result.json?.history?.map((h) => h.type)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
    ]);
  });
});

describe('router engine run --state: JSONata and variables (order-enrichment)', () => {
  const engine = ['engines/order-enrichment.hjson', ...LOCAL];

  it('runs the Pass that assigns the order variables', async () => {
    // Act
    const result = await run([
      ...engine,
      '--state',
      'Remember order',
      '--input',
      json({ orderId: 'o-1', customer: { tier: 'gold' }, lines: [{ sku: 'A' }] }),
    ]);

    // Assess
    expect(result.json).toEqual({
      status: 'SUCCEEDED',
      nextState: 'Price lines',
      output: [{ sku: 'A' }],
      inspectionData: {
        input: { orderId: 'o-1', customer: { tier: 'gold' }, lines: [{ sku: 'A' }] },
        variables: { orderId: 'o-1', tier: 'gold', discount: 0.1 },
        assignedVariables: { orderId: 'o-1', tier: 'gold', discount: 0.1 },
      },
    });
  });

  it('routes by the Condition on --variables', async () => {
    // Act
    const route = (subtotal: number) =>
      run([...engine, '--state', 'Route by size', '--input', '{}', '--variables', json({ subtotal })]);
    const [large, small] = await Promise.all([route(900), route(90)]);

    // Assess
    expect(large.json).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Review order',
      inspectionData: {
        assignedVariables: { route: 'review' },
        variables: { subtotal: 900, route: 'review' },
      },
    });
    expect(small.json).toMatchObject({ status: 'SUCCEEDED', nextState: 'Done' });
    expect(small.json?.inspectionData?.assignedVariables).toEqual({ route: 'auto' });
  });

  it('shows the Arguments of the review Task and its Catcher taking a mocked error', async () => {
    // Act
    const variables = json({ orderId: 'o-9', subtotal: 700, tier: 'gold' });
    const [approved, down] = await Promise.all([
      run([
        ...engine,
        '--state',
        'Review order',
        '--input',
        '{}',
        '--variables',
        variables,
        '--mock-result',
        json({ StatusCode: 200, Payload: { approved: true } }),
      ]),
      run([
        ...engine,
        '--state',
        'Review order',
        '--input',
        '{}',
        '--variables',
        variables,
        '--mock-error',
        'Lambda.ServiceException',
        '--mock-cause',
        'review service unavailable',
      ]),
    ]);

    // Assess
    expect(approved.json).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Done',
      inspectionData: {
        afterArguments: {
          FunctionName: 'order-review',
          Payload: { orderId: 'o-9', subtotal: 700, tier: 'gold' },
        },
        result: { StatusCode: 200, Payload: { approved: true } },
        assignedVariables: { route: 'reviewed' },
      },
    });
    expect(down).toMatchObject({ code: 0, stderr: '' });
    expect(down.json).toMatchObject({
      status: 'CAUGHT_ERROR',
      nextState: 'Done',
      error: 'Lambda.ServiceException',
      cause: 'review service unavailable',
      output: { Error: 'Lambda.ServiceException', Cause: 'review service unavailable' },
      inspectionData: {
        errorDetails: { catchIndex: 0 },
        assignedVariables: { route: 'flagged', reviewError: 'Lambda.ServiceException' },
      },
    });
  });

  it('runs the Map item processor state with its outer variables', async () => {
    // Act
    const result = await run([
      ...engine,
      '--state',
      'Price line',
      '--input',
      json({ sku: 'A', qty: 2, unitPrice: 10 }),
      '--variables',
      json({ discount: 0.1 }),
    ]);

    // Assess
    expect(result.json).toMatchObject({ status: 'SUCCEEDED', output: { sku: 'A', qty: 2, total: 18 } });
    expect(result.json?.nextState).toBeUndefined();
  });
});

describe('router engine run: a public AWS sample in JSONata (test/fixtures/jsonata)', () => {
  const sample = 'test/fixtures/jsonata/bedrock-evaluations.json';

  it('runs the sample to its end with the sample mock file', async () => {
    // Act
    const result = await run([
      sample,
      '--input',
      '{}',
      '--mocks',
      'test/fixtures/jsonata/mocks.json',
      '--test-case',
      'BothEvaluationsComplete',
    ]);

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.json).toEqual({
      status: 'SUCCEEDED',
      output: [{ Status: 'Completed' }, { Status: 'Completed' }],
    });
  });

  it('runs one of its states with the variables the branch assigned', async () => {
    // Act
    const result = await run([
      sample,
      '--state',
      'Start Ingestion Job 2',
      '--input',
      '{}',
      '--variables',
      json({ KnowledgeBaseId: 'KB2', DataSourceId: 'DS2' }),
      '--mock-result',
      json({ IngestionJob: { IngestionJobId: 'IJ2' } }),
    ]);

    // Assess
    expect(result.json).toMatchObject({
      status: 'SUCCEEDED',
      nextState: 'Wait 60 Seconds 2',
      inspectionData: {
        afterArguments: { DataSourceId: 'DS2', KnowledgeBaseId: 'KB2' },
        assignedVariables: { IngestionJobId: 'IJ2' },
      },
    });
  });
});

describe('router engine run --state: context, Map iteration and options', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'engine-run-state-'));
    await writeFile(
      join(dir, 'tag.json'),
      json({
        StartAt: 'Tag',
        States: {
          Tag: {
            Type: 'Pass',
            Parameters: {
              'index.$': '$$.Map.Item.Index',
              'item.$': '$$.Map.Item.Value',
              'execution.$': '$$.Execution.Name',
            },
            End: true,
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives --map-index, --map-value (default: the input) and --context to the state', async () => {
    // Act
    const [given, byDefault] = await Promise.all([
      run(
        [
          'tag.json',
          '--state',
          'Tag',
          '--input',
          '{"a":1}',
          '--map-index',
          '2',
          '--map-value',
          '"x"',
          '--context',
          json({ Execution: { Name: 'nightly' } }),
        ],
        dir,
      ),
      run(['tag.json', '--state', 'Tag', '--input', '{"a":1}', '--map-index', '0'], dir),
    ]);

    // Assess
    expect(given.json).toMatchObject({
      status: 'SUCCEEDED',
      output: { index: 2, item: 'x', execution: 'nightly' },
    });
    expect(byDefault.json?.output).toMatchObject({ index: 0, item: { a: 1 } });
  });

  it.each([
    [['--mock-result', '{}'], '--mock-result goes with --state NAME'],
    [['--map-index', '1'], '--map-index goes with --state NAME'],
    [['--mock-cause', 'x'], '--mock-cause goes with --mock-error NAME'],
    [
      ['--state', 'Tag', '--mock-result', '{}', '--mock-error', 'E'],
      'give --mock-result or --mock-error, not both',
    ],
    [
      ['--state', 'Tag', '--retrier-attempt', '1.5'],
      "--retrier-attempt must be a non-negative integer, got '1.5'",
    ],
    [['--state', 'Tag', '--map-value', '1'], '--map-value goes with --map-index N'],
    [['--state', 'Tag', '--variables', '[1]'], '--variables must be a JSON object'],
    [['--state', 'Tag', '--context', '{'], '--context is not valid JSON'],
    [['--state', 'Nope'], "--state: the graph has no state named 'Nope' (states: 'Tag')"],
  ])('exits 2 for %j: %s', async (argv, message) => {
    // Act
    const result = await run(['tag.json', '--input', '{}', ...argv], dir);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });
});
