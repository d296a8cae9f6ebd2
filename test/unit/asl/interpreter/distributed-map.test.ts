import { describe, expect, it } from 'vitest';
import {
  type CompiledGraph,
  type ExecutionState,
  type InvokeEffect,
  type InvokeOutcome,
  processorGraph,
  runExecution,
  VirtualClock,
} from '../../../../router/asl/interpreter/index.ts';
import { batchItems } from '../../../../router/asl/interpreter/states/distributedMap.ts';
import type { JsonValue, MapState, StateMachine } from '../../../../router/asl/types.ts';
import { drive, graphOf, T0, task } from './helpers.ts';

const distributed: StateMachine = {
  ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
  StartAt: 'Item',
  States: { Item: task('item') },
};

function mapGraph(fields: Omit<MapState, 'Type'>) {
  return graphOf('Map', { Map: { Type: 'Map', End: true, ItemProcessor: distributed, ...fields } });
}

/** Items of the run's S3 read, the writer's details, and the item step (fails on `{ fail: true }`). */
function handler(items: JsonValue[]) {
  const writes: InvokeEffect[] = [];
  const answer = (effect: InvokeEffect): InvokeOutcome => {
    if (effect.mapRun === 'read') return { ok: true, output: items };
    if (effect.mapRun === 'write') {
      writes.push(effect);
      return { ok: true, output: { MapRunArn: 'arn', ResultWriterDetails: { Bucket: 'b', Key: 'k' } } };
    }
    const input = effect.input;
    const failing =
      typeof input === 'object' && input !== null && !Array.isArray(input)
        ? Array.isArray(input.Items)
          ? input.Items.some((i) => typeof i === 'object' && i !== null && 'fail' in i)
          : 'fail' in input
        : false;
    return failing ? { ok: false, error: 'Item.Failed', cause: 'bad item' } : { ok: true, output: input };
  };
  return { writes, answer };
}

describe('batchItems', () => {
  it('closes a batch at MaxItemsPerBatch and adds BatchInput to each', () => {
    // Act
    const batches = batchItems([1, 2, 3, 4, 5], { maxItems: 2 }, { run: 7 });

    // Assess
    expect(batches).toEqual([
      { BatchInput: { run: 7 }, Items: [1, 2] },
      { BatchInput: { run: 7 }, Items: [3, 4] },
      { BatchInput: { run: 7 }, Items: [5] },
    ]);
  });

  it('keeps every batch within MaxInputBytesPerBatch, measured as its JSON text', () => {
    // Prepare
    const items = Array.from({ length: 50 }, (_, i) => ({ id: i, pad: 'x'.repeat(i % 7) }));

    // Act
    const batches = batchItems(items, { maxBytes: 200 }, { k: 'v' });

    // Assess
    expect(batches.flatMap((b) => b.Items as JsonValue[])).toEqual(items);
    for (const batch of batches) expect(JSON.stringify(batch).length).toBeLessThanOrEqual(200);
    expect(batches.length).toBeGreaterThan(5);
  });

  it('refuses an item that cannot fit a batch of its own, naming its index', () => {
    expect(() => batchItems([1, 'x'.repeat(100)], { maxBytes: 50 })).toThrow(/item 1 \(102 bytes\)/);
  });
});

describe('distributed Map', () => {
  it('reads its items through the run, batches them and returns the batch outputs', () => {
    // Prepare
    const graph = mapGraph({
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        Parameters: { Bucket: 'in', 'Key.$': '$.key' },
        ReaderConfig: { InputType: 'JSONL', MaxItems: 5 },
      },
      ItemSelector: { 'v.$': '$$.Map.Item.Value.n' },
      ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'key.$': '$.key' } },
    });
    const { answer } = handler([{ n: 1 }, { n: 2 }, { n: 3 }]);

    // Act
    const run = drive(graph, { key: 'items.jsonl' }, answer);

    // Assess
    const read = run.invokes.find((i) => i.mapRun === 'read');
    expect(read?.input).toEqual({
      Parameters: { Bucket: 'in', Key: 'items.jsonl' },
      ReaderConfig: { InputType: 'JSONL', MaxItems: 5 },
    });
    expect(read?.resource).toBe('arn:aws:states:::s3:getObject');
    expect(run.state.status).toBe('SUCCEEDED');
    expect(run.state.output).toEqual([
      { BatchInput: { key: 'items.jsonl' }, Items: [{ v: 1 }, { v: 2 }] },
      { BatchInput: { key: 'items.jsonl' }, Items: [{ v: 3 }] },
    ]);
    expect(run.history.map((e) => e.type)).toContain('MapRunStarted');
  });

  it('counts a failed batch as all its items, and tolerates failures up to the threshold', () => {
    // Prepare
    const items = [{ fail: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }];
    const withTolerance = (pct: number) =>
      mapGraph({
        ItemsPath: '$.items',
        ItemBatcher: { MaxItemsPerBatch: 2 },
        ToleratedFailurePercentage: pct,
      });

    // Act
    const within = drive(withTolerance(34), { items }, handler([]).answer);
    const above = drive(withTolerance(33), { items }, handler([]).answer);

    // Assess
    expect(within.state.status).toBe('SUCCEEDED');
    expect(within.state.output).toEqual([
      { Error: 'Item.Failed', Cause: 'bad item' },
      { Items: [{ n: 3 }, { n: 4 }] },
      { Items: [{ n: 5 }, { n: 6 }] },
    ]);
    expect(above.state.status).toBe('FAILED');
    expect(above.state.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(above.state.cause).toContain('2 of 6 items failed');
  });

  it('fails on the first failed item when no tolerance is set, with the threshold error', () => {
    // Act
    const run = drive(mapGraph({ ItemsPath: '$' }), [{ n: 1 }, { fail: true }], handler([]).answer);

    // Assess
    expect(run.state.status).toBe('FAILED');
    expect(run.state.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('writes a record per child through ResultWriter and returns its details', () => {
    // Prepare
    const graph = mapGraph({
      ItemsPath: '$.items',
      Label: 'Orders',
      ToleratedFailureCount: 1,
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        Parameters: { Bucket: 'out', Prefix: 'runs' },
      },
    });
    const { writes, answer } = handler([]);

    // Act
    const run = drive(graph, { items: [{ n: 1 }, { fail: true }] }, answer);

    // Assess
    expect(run.state.status).toBe('SUCCEEDED');
    expect(run.state.output).toEqual({ MapRunArn: 'arn', ResultWriterDetails: { Bucket: 'b', Key: 'k' } });
    const input = writes[0]?.input as { Parameters: JsonValue; MapRunArn: string; Executions: JsonValue[] };
    expect(input.Parameters).toEqual({ Bucket: 'out', Prefix: 'runs' });
    expect(input.MapRunArn).toMatch(/^arn:aws:states:local:000000000000:mapRun:[^/]+\/Orders:[0-9a-f-]{36}$/);
    expect(input.Executions).toHaveLength(2);
    expect(input.Executions).toContainEqual(
      expect.objectContaining({ Status: 'SUCCEEDED', Input: '{"n":1}', Output: '{"n":1}' }),
    );
    expect(input.Executions).toContainEqual(
      expect.objectContaining({ Status: 'FAILED', Error: 'Item.Failed', Cause: 'bad item' }),
    );
  });

  it('writes the results so far through ResultWriter before failing above the tolerance', () => {
    // Prepare
    const graph = mapGraph({
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      ToleratedFailureCount: 1,
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'out' } },
    });
    const { writes, answer } = handler([]);

    // Act
    const run = drive(graph, { items: [{ n: 1 }, { fail: 1 }, { fail: 2 }, { n: 4 }] }, answer);

    // Assess
    expect(run.state.status).toBe('FAILED');
    expect(run.state.error).toBe('States.ExceedToleratedFailureThreshold');
    const written = writes[0]?.input as { Executions: { Status: string }[] } | undefined;
    const executions = written?.Executions ?? [];
    expect(executions.map((e) => e.Status)).toEqual(['SUCCEEDED', 'FAILED', 'FAILED', 'PENDING']);
    expect(run.invokes.filter((i) => i.mapRun === undefined)).toHaveLength(3);
  });

  it('lists the children that never started as PENDING when the run fails, and passes WriterConfig on', () => {
    // Prepare
    const graph = mapGraph({
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        Parameters: { Bucket: 'out' },
        WriterConfig: { OutputType: 'JSONL' },
      },
    });
    const { writes, answer } = handler([]);

    // Act
    const run = drive(graph, { items: [{ n: 1 }, { fail: 1 }, { n: 3 }] }, answer);

    // Assess
    expect(run.state.status).toBe('FAILED');
    const written = writes[0]?.input as { Executions: JsonValue[]; WriterConfig: JsonValue } | undefined;
    expect(written?.WriterConfig).toEqual({ OutputType: 'JSONL', Transformation: 'NONE' });
    expect(written?.Executions.map((e) => (e as { Status: string }).Status)).toEqual([
      'SUCCEEDED',
      'FAILED',
      'PENDING',
    ]);
    expect(written?.Executions[2]).toEqual({
      Input: '{"n":3}',
      InputDetails: { Included: true },
      Status: 'PENDING',
    });
  });

  it('shapes its output with WriterConfig alone, writing nothing', () => {
    // Prepare
    const config = (Transformation: 'NONE' | 'COMPACT' | 'FLATTEN') =>
      mapGraph({ ItemsPath: '$.items', ResultWriter: { WriterConfig: { Transformation } } });
    const { writes, answer } = handler([]);
    const input = { items: [[1, 2], { n: 3 }] };

    // Act
    const flat = drive(config('FLATTEN'), input, answer);
    const compact = drive(config('COMPACT'), input, answer);
    const none = drive(config('NONE'), input, answer);

    // Assess
    expect(writes).toEqual([]);
    expect(flat.state.output).toEqual([1, 2, { n: 3 }]);
    expect(compact.state.output).toEqual([[1, 2], { n: 3 }]);
    expect(none.state.output).toEqual([
      expect.objectContaining({ Status: 'SUCCEEDED', Input: '[1,2]', Output: '[1,2]' }),
      expect.objectContaining({ Status: 'SUCCEEDED', Input: '{"n":3}', Output: '{"n":3}' }),
    ]);
  });

  it('fails with States.ItemReaderFailed when the read fails', () => {
    // Prepare
    const graph = mapGraph({
      ItemReader: {
        Resource: 'arn:aws:states:::s3:listObjectsV2',
        Parameters: { Bucket: 'in' },
      },
    });

    // Act
    const run = drive(graph, {}, (effect) =>
      effect.mapRun === 'read' ? { ok: false, error: 'S3.NoSuchBucket', cause: 'no bucket in' } : undefined,
    );

    // Assess
    expect(run.state.status).toBe('FAILED');
    expect(run.state.error).toBe('States.ItemReaderFailed');
    expect(run.state.cause).toContain('no bucket in');
  });
});

describe('distributed Map with children run as executions', () => {
  const nested = (): CompiledGraph =>
    graphOf(
      'Fan',
      {
        Fan: {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'Idle', States: { Idle: { Type: 'Pass', End: true } } },
            {
              StartAt: 'Batches',
              States: {
                Batches: {
                  Type: 'Map',
                  End: true,
                  ItemsPath: '$.items',
                  ItemBatcher: { MaxItemsPerBatch: 2 },
                  ToleratedFailureCount: 2,
                  ItemProcessor: {
                    ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
                    StartAt: 'Count',
                    States: {
                      Count: {
                        Type: 'Pass',
                        Parameters: { 'n.$': 'States.ArrayLength($.Items)' },
                        End: true,
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      },
      { taskTokenSecret: 'map-children', mapChildren: 'executions' },
    );

  it('starts each batch as a child invoke with a task token, and waits for them holding no compute', async () => {
    // Prepare
    const graph = nested();
    const clock = new VirtualClock(T0);
    const started: InvokeEffect[] = [];

    // Act: the children are handed over; their results arrive later, by task token
    const waiting = await runExecution(
      graph,
      { executionId: 'parent', input: { items: [1, 2, 3, 4, 5] }, startTime: T0 },
      {
        clock,
        invoke: async (effect) => {
          started.push(effect);
          return { pending: 'callback' };
        },
      },
    );
    const state = JSON.parse(JSON.stringify(waiting.state)) as ExecutionState;
    const results = await Promise.all(
      started.map(async (effect) => {
        const request = effect.input as { Input: JsonValue; Processor: JsonValue };
        const child = processorGraph(graph, request.Processor);
        if (child === undefined) throw new Error('no processor');
        return runExecution(
          child,
          { executionId: effect.idempotencyKey, input: request.Input, startTime: T0 },
          { clock, invoke: async () => ({ ok: false, error: 'None', cause: '' }) },
        );
      }),
    );
    const done = await runExecution(
      graph,
      state,
      { clock, invoke: async () => ({ pending: 'callback' }) },
      {
        resumeEvents: results.map((r, i) => ({
          type: 'TaskSucceeded' as const,
          id: started[i]?.id ?? '',
          output: r.status === 'SUCCEEDED' ? (r.output ?? null) : null,
        })),
      },
    );

    // Assess
    expect(waiting).toMatchObject({ status: 'WAITING', waitingFor: 'callback' });
    expect(started.map((e) => e.mapRun)).toEqual(['child', 'child', 'child']);
    expect(started.every((e) => typeof e.taskToken === 'string')).toBe(true);
    expect(started[0]?.input).toMatchObject({
      Input: { Items: [1, 2] },
      Index: 0,
      ExecutionType: 'EXPRESS',
      Processor: [{ State: 'Fan' }, { State: 'Batches' }],
    });
    expect(new Set(started.map((e) => e.idempotencyKey)).size).toBe(3);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.status === 'WAITING' ? undefined : done.output).toEqual([
      { items: [1, 2, 3, 4, 5] },
      [{ n: 2 }, { n: 2 }, { n: 1 }],
    ]);
  });

  it('counts a failed child execution against the tolerance', async () => {
    // Prepare
    const graph = nested();
    const clock = new VirtualClock(T0);

    // Act: every child fails; two items are tolerated, the second failed batch brings it to four
    const result = await runExecution(
      graph,
      { executionId: 'parent', input: { items: [1, 2, 3, 4, 5] }, startTime: T0 },
      { clock, invoke: async () => ({ ok: false, error: 'Child.Failed', cause: 'x' }) },
    );

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.status === 'FAILED' ? result.error : undefined).toBe(
      'States.ExceedToleratedFailureThreshold',
    );
  });
});
