import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../router/asl/types.ts';
import type {
  CheckpointUpdate,
  Completion,
  ExecutionRecord,
} from '../../../router/executions/ExecutionStore.ts';
import { MemoryExecutionStore } from '../../../router/executions/MemoryExecutionStore.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter, sequentialGraph } from '../../support/router.ts';

function event(seq: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return cloudEventFactory({ engine: 'orders', data: { order: seq }, ...overrides }, seq);
}

function batch(
  events: readonly (Record<string, unknown> | string)[],
  partitionKey = (i: number) => `pk-${i % 3}`,
) {
  return kinesisEventFactory(
    events.map((e, i) =>
      typeof e === 'string'
        ? kinesisRecordFactory('', { rawBase64: e, partitionKey: partitionKey(i) })
        : kinesisRecordFactory(e, { partitionKey: partitionKey(i) }),
    ),
  );
}

async function all(entries: AsyncIterable<QuarantineEntry>): Promise<QuarantineEntry[]> {
  const out: QuarantineEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

/** Steps that record every call, keyed by idempotency key, like an idempotent step's effect table. */
function recordingSteps(names: readonly string[]) {
  const effects = new Map<string, number>();
  const steps = Object.fromEntries(
    names.map((name) => [
      name,
      (payload: JsonValue, effect: { idempotencyKey: string }) => {
        effects.set(effect.idempotencyKey, (effects.get(effect.idempotencyKey) ?? 0) + 1);
        return { by: name, saw: payload };
      },
    ]),
  );
  return { effects, steps };
}

/** A router on a hand-moved clock with a Step1 -> Wait 120 s -> Step2 engine published as `orders`. */
async function waitingRouter(extra: Record<string, unknown> = {}) {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const clock = {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 5))),
  };
  const { steps, effects } = recordingSteps(['step1', 'step2']);
  const r = inMemoryRouter(steps, { maxInProcessWaitMs: 1000 }, clock);
  await r.publish(
    JSON.stringify({
      ...extra,
      StartAt: 'Step1',
      States: {
        Step1: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:0:function:step1', Next: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 120, Next: 'Step2' },
        Step2: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:0:function:step2', End: true },
      },
    }),
    { engine: 'orders' },
  );
  return {
    r,
    effects,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('MessageEventRouter', () => {
  it('runs each event through its engine and records the execution', async () => {
    // Prepare
    const { steps, effects } = recordingSteps(['step1', 'step2', 'step3']);
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(3), { engine: 'orders' });
    // Act
    const result = await r.router.processBatch(batch([event(1), event(2)]));
    // Assess
    expect(result.failures).toEqual([]);
    expect([result.succeeded, result.failed, result.quarantined]).toEqual([2, 0, 0]);
    expect(effects.size).toBe(6);
    const records = [...r.executions.records.values()];
    expect(records.map((x) => x.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const output = JSON.parse(records[0]?.output ?? 'null') as Record<string, { saw: unknown }>;
    expect(output.step1?.saw).toEqual({ order: 1 });
    expect(output.step3?.saw).toMatchObject({ order: 1, step1: { by: 'step1' }, step2: { by: 'step2' } });
  });

  it("stores an output that adds members to the input as the input's text as sent, with the members after it", async () => {
    const { steps } = recordingSteps(['step1', 'step2', 'step3']);
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(3), { engine: 'orders' });
    const data = '{ "order": 1.50,  "note": "caf\\u00e9" }';
    const sent = `{"specversion":"1.0","id":"e-1","source":"test","type":"t","engine":"orders","data": ${data} }`;
    const replaced = JSON.stringify(cloudEventFactory({ engine: 'replaced', data: { order: 2 } }, 2));
    await r.publish(
      JSON.stringify({
        StartAt: 'Only',
        States: { Only: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:0:function:step1', End: true } },
      }),
      { engine: 'replaced' },
    );
    const result = await r.router.processBatch(
      batch([Buffer.from(sent).toString('base64'), Buffer.from(replaced).toString('base64')]),
    );
    expect(result.succeeded).toBe(2);
    const records = [...r.executions.records.values()];
    const added = records.find((x) => x.engine === 'orders');
    const whole = records.find((x) => x.engine === 'replaced');
    expect(added?.input).toBe(data);
    expect(added?.output?.startsWith(data.slice(0, -1).trimEnd())).toBe(true);
    const output = JSON.parse(added?.output ?? 'null') as Record<string, unknown>;
    expect(Object.keys(output)).toEqual(['order', 'note', 'step1', 'step2', 'step3']);
    expect(output).toMatchObject({ order: 1.5, note: 'café', step1: { by: 'step1', saw: { order: 1.5 } } });
    // A Task without ResultPath replaces its input: the output is written whole.
    expect(whole?.output).toBe(JSON.stringify({ by: 'step1', saw: { order: 2 } }));
  });

  it('runs a message once however often it is delivered, in one batch or across batches', async () => {
    const { steps, effects } = recordingSteps(['step1', 'step2', 'step3']);
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(3), { engine: 'orders' });
    const first = await r.router.processBatch(batch([event(7), event(7), event(8)]));
    const second = await r.router.processBatch(batch([event(7), event(8)]));
    expect(first.duplicates).toBe(1);
    expect(second.duplicates).toBe(2);
    expect(effects.size).toBe(6);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  });

  it('quarantines poison records with their reason and processes the records behind them', async () => {
    const r = inMemoryRouter(recordingSteps(['step1']).steps, { maxRecordBytes: 2048 });
    await r.publish(sequentialGraph(1), { engine: 'orders' });
    const oversize = event(4, { data: { blob: 'x'.repeat(4096) } });
    const result = await r.router.processBatch(
      batch(
        [
          '***not base64***',
          Buffer.from('{not json').toString('base64'),
          event(3, { engine: 'nope' }),
          oversize,
          event(5),
        ],
        () => 'same-key',
      ),
    );
    expect(result.failures).toEqual([]);
    expect(result.quarantined).toBe(4);
    expect(result.succeeded).toBe(1);
    const reasons = (await all(r.quarantine.list())).map((q) => q.reason).sort();
    expect(reasons).toEqual(['bad-base64', 'bad-json', 'no-route', 'oversize']);
    const noRoute = (await all(r.quarantine.list())).find((q) => q.reason === 'no-route');
    expect(noRoute?.message).toMatch(/sequence \d+: no-route: engine 'nope' is not published/);
    expect(noRoute?.engine).toBe('nope');
  });

  it('routes by the graph Match pattern when the event names no engine', async () => {
    const r = inMemoryRouter(recordingSteps(['step1']).steps);
    await r.publish(sequentialGraph(1, { Match: { type: ['order.created'] } }), { engine: 'orders' });
    const result = await r.router.processBatch(
      batch([cloudEventFactory({ type: 'order.created' }, 1), cloudEventFactory({ type: 'other' }, 2)]),
    );
    expect([result.succeeded, result.quarantined]).toEqual([1, 1]);
  });

  it('retries a throttled step with every later record of its key, and quarantines it after the limit', async () => {
    let throttle = true;
    const steps = {
      step1: (payload: JsonValue) => {
        if (throttle && (payload as { order?: number }).order === 1) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
        }
        return payload;
      },
    };
    const r = inMemoryRouter(steps, { maxAttempts: 3 });
    await r.publish(sequentialGraph(1), { engine: 'orders' });
    const records = batch([event(1), event(2), event(3)], (i) => (i === 2 ? 'other' : 'blocked'));
    const sequence = (i: number) => records.Records[i]?.kinesis.sequenceNumber;

    const first = await r.router.processBatch(records);
    expect(first.failures).toEqual([{ itemIdentifier: sequence(0) }, { itemIdentifier: sequence(1) }]);
    expect(first.succeeded).toBe(1);

    await r.router.processBatch(records);
    const third = await r.router.processBatch(records);
    expect(third.failures).toEqual([]);
    expect(third.quarantined).toBe(1);
    const [entry] = await all(r.quarantine.list());
    expect(entry).toMatchObject({ reason: 'max-attempts', engine: 'orders', attempts: 3 });
    throttle = false;
    const later = await r.router.processBatch(records);
    expect(later.duplicates).toBe(3);
  });

  it('quarantines a record whose execution cannot go on and ends that execution QUARANTINED', async () => {
    // Prepare: the store refuses the first checkpoint for good (as DynamoDB refuses an item over 400 KB)
    class RefusingStore extends MemoryExecutionStore {
      override async checkpoint(record: ExecutionRecord, update: CheckpointUpdate): Promise<ExecutionRecord> {
        if (update.status === undefined) {
          throw Object.assign(new Error('Item size to update has exceeded the maximum allowed size'), {
            name: 'ValidationException',
          });
        }
        return super.checkpoint(record, update);
      }
    }
    const executions = new RefusingStore();
    const r = inMemoryRouter(recordingSteps(['step1', 'step2']).steps, {}, undefined, { executions });
    await r.publish(sequentialGraph(2, { Checkpoint: 'every-step' }), { engine: 'orders' });
    // Act
    const result = await r.router.processBatch(batch([event(1)]));
    // Assess
    expect(result.failures).toEqual([]);
    expect(result.quarantined).toBe(1);
    const [entry] = await all(r.quarantine.list());
    expect(entry).toMatchObject({ reason: 'unprocessable', engine: 'orders' });
    const [record] = [...executions.records.values()];
    expect(record).toMatchObject({ status: 'QUARANTINED', error: 'Router.unprocessable' });
    expect(record?.cause).toMatch(/maximum allowed size/);
  });

  it('delivers a given-up record again when marking its execution QUARANTINED fails for now', async () => {
    // Prepare: checkpoints are refused for good; the first terminal write is throttled
    let throttle = true;
    class FlakyStore extends MemoryExecutionStore {
      override async checkpoint(record: ExecutionRecord, update: CheckpointUpdate): Promise<ExecutionRecord> {
        if (update.status === undefined) {
          throw Object.assign(new Error('Item size to update has exceeded the maximum allowed size'), {
            name: 'ValidationException',
          });
        }
        return super.checkpoint(record, update);
      }
      override async complete(record: ExecutionRecord, completion: Completion): Promise<ExecutionRecord> {
        if (throttle) {
          throttle = false;
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        }
        return super.complete(record, completion);
      }
    }
    const executions = new FlakyStore();
    let now = Date.parse('2026-03-01T10:00:00Z');
    const clock = { now: () => now, sleep: () => Promise.resolve() };
    const r = inMemoryRouter(recordingSteps(['step1', 'step2']).steps, { leaseMs: 1_000 }, clock, {
      executions,
    });
    await r.publish(sequentialGraph(2, { Checkpoint: 'every-step' }), { engine: 'orders' });
    const records = batch([event(1)]);
    // Act: the redelivery comes once the first attempt's lease has run out
    const first = await r.router.processBatch(records);
    now += 1_001;
    const second = await r.router.processBatch(records);
    // Assess
    expect(first.failures).toEqual([{ itemIdentifier: records.Records[0]?.kinesis.sequenceNumber }]);
    expect(second.failures).toEqual([]);
    expect(await all(r.quarantine.list())).toHaveLength(1);
    expect([...executions.records.values()][0]).toMatchObject({ status: 'QUARANTINED' });
  });

  it('logs a quarantined record with its reason and detail under keys the logger keeps', async () => {
    // Prepare
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const log = (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields });
    const logger = { debug: log, info: log, warn: log, error: log, isDebugEnabled: () => false };
    const r = inMemoryRouter({}, {}, undefined, { logger });
    // Act
    await r.router.processBatch(batch(['bm90IGpzb24=']));
    // Assess
    const line = lines.find((l) => l.message === 'record quarantined');
    expect(line?.fields).toMatchObject({ reason: 'bad-json' });
    expect(String(line?.fields.detail)).toMatch(/bad-json/);
    expect(line?.fields).not.toHaveProperty('message');
  });

  it('emits no metrics for a sweep that found nothing due', async () => {
    // Prepare
    const r = inMemoryRouter({});
    let flushes = 0;
    r.metrics.flush = () => {
      flushes += 1;
    };
    // Act
    const summary = await r.router.sweep();
    // Assess
    expect(summary.records + summary.succeeded + summary.waiting).toBe(0);
    expect(flushes).toBe(0);
    expect(r.metrics.totals.size).toBe(0);
  });

  it('records a workflow that ends in Fail as a finished message, not a stream failure', async () => {
    const r = inMemoryRouter({});
    await r.publish(
      JSON.stringify({
        StartAt: 'No',
        States: { No: { Type: 'Fail', Error: 'Order.Invalid', Cause: 'bad' } },
      }),
      {
        engine: 'orders',
      },
    );
    const result = await r.router.processBatch(batch([event(1)]));
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(1);
    expect([...r.executions.records.values()][0]).toMatchObject({ status: 'FAILED', error: 'Order.Invalid' });
  });

  it('runs express engines without claiming and writes their results in bulk', async () => {
    const { steps } = recordingSteps(['step1', 'step2', 'step3']);
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(3, { Mode: 'express' }), { engine: 'orders' });
    const events = Array.from({ length: 200 }, (_, i) => event(i));
    const result = await r.router.processBatch(batch(events));
    expect(result.succeeded).toBe(200);
    expect(r.executions.requests).toBeLessThanOrEqual(0.1 * 200);
    expect((await r.router.processBatch(batch(events.slice(0, 10)))).duplicates).toBe(10);
  });

  it('makes at most one store request per record plus one per checkpoint for a standard engine', async () => {
    const r = inMemoryRouter(recordingSteps(['step1', 'step2', 'step3']).steps);
    await r.publish(sequentialGraph(3), { engine: 'orders' });
    await r.router.processBatch(batch(Array.from({ length: 100 }, (_, i) => event(i))));
    // claim + checkpoint after step1 + checkpoint after step2 + completion, plus the shared pre-check
    expect(r.executions.requests / 100).toBeLessThanOrEqual(4.01);
  });

  it('sends a sticky share of messages to a canary', { timeout: 30_000 }, async () => {
    const r = inMemoryRouter({ step1: (p: JsonValue) => p });
    await r.publish(sequentialGraph(1, { Comment: 'v1', Mode: 'express' }), { engine: 'orders' });
    await r.publish(sequentialGraph(1, { Comment: 'v2', Mode: 'express' }), {
      engine: 'orders',
      canaryPercent: 10,
    });
    const events = Array.from({ length: 2000 }, (_, i) => event(i));
    const result = await r.router.processBatch(batch(events));
    const v2 = result.byEngine.get('orders@2')?.succeeded ?? 0;
    expect(v2 / 2000).toBeGreaterThan(0.07);
    expect(v2 / 2000).toBeLessThan(0.13);
    const versions = new Map([...r.executions.records.values()].map((x) => [x.dedupKey, x.version]));
    const again = inMemoryRouter({ step1: (p: JsonValue) => p });
    await again.publish(sequentialGraph(1, { Comment: 'v1', Mode: 'express' }), { engine: 'orders' });
    await again.publish(sequentialGraph(1, { Comment: 'v2', Mode: 'express' }), {
      engine: 'orders',
      canaryPercent: 10,
    });
    await again.router.processBatch(batch(events));
    expect(new Map([...again.executions.records.values()].map((x) => [x.dedupKey, x.version]))).toEqual(
      versions,
    );
  });

  it('resumes a started execution on the version it started on after the alias moves', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const steps = {
      step1: async (p: JsonValue) => p,
      step2: async (p: JsonValue) => {
        await gate;
        return p;
      },
    };
    const r = inMemoryRouter(steps, { leaseMs: 1000 });
    await r.publish(sequentialGraph(2, { Comment: 'v1', Checkpoint: 'every-step' }), { engine: 'orders' });
    // The first delivery checkpoints after step1, then hangs in step2 until its lease runs out.
    const hung = r.router.processBatch(batch([event(1)]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await r.publish(sequentialGraph(2, { Comment: 'v2', Checkpoint: 'every-step' }), { engine: 'orders' });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The redelivery takes the lapsed lease over before the first delivery's step2 may finish.
    const redelivering = r.router.processBatch(batch([event(1), event(2)]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release?.();
    const redelivered = await redelivering;
    await hung.catch(() => undefined);
    expect(redelivered.byEngine.get('orders@1')?.succeeded).toBe(1);
    expect(redelivered.byEngine.get('orders@2')?.succeeded).toBe(1);
  });

  it('parks a long Wait durably, acknowledges the record, and resumes it from the sweep when due', async () => {
    const { r, effects, advance } = await waitingRouter();
    const first = await r.router.processBatch(batch([event(1)]));
    expect([first.failures.length, first.waiting]).toEqual([0, 1]);
    expect((await r.router.sweep()).succeeded).toBe(0);
    advance(60_000);
    expect((await r.router.processBatch(batch([event(1)]))).duplicates).toBe(1);
    advance(60_000);
    const swept = await r.router.sweep();
    expect(swept.succeeded).toBe(1);
    expect(effects.size).toBe(2);
    expect([...r.executions.records.values()][0]?.status).toBe('SUCCEEDED');
  });

  it('parks an express execution that reaches a long Wait where it stopped, without running its steps again', async () => {
    const { r, effects, advance } = await waitingRouter({ Mode: 'express' });

    const first = await r.router.processBatch(batch([event(1)]));
    advance(120_000);
    const swept = await r.router.sweep();

    expect([first.failures.length, first.waiting]).toEqual([0, 1]);
    expect(swept.succeeded).toBe(1);
    expect([...effects.values()]).toEqual([1, 1]);
    const record = [...r.executions.records.values()][0];
    expect(record?.status).toBe('SUCCEEDED');
    expect(record?.startedAt).toBe('2026-03-01T10:00:00.000Z');
  });

  it('ends a due execution FAILED when resuming it keeps failing, instead of retrying forever', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const clock = { now: () => now, sleep: () => new Promise<void>((resolve) => setTimeout(resolve, 1)) };
    const steps = {
      step1: (p: JsonValue) => p,
      step2: () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      },
    };
    const r = inMemoryRouter(steps, { maxInProcessWaitMs: 1000, maxAttempts: 2, leaseMs: 1000 }, clock);
    await r.publish(
      JSON.stringify({
        StartAt: 'Step1',
        States: {
          Step1: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:0:function:step1', Next: 'Pause' },
          Pause: { Type: 'Wait', Seconds: 60, Next: 'Step2' },
          Step2: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:0:function:step2', End: true },
        },
      }),
      { engine: 'orders' },
    );
    await r.router.processBatch(batch([event(1)]));
    now += 61_000;
    await r.router.sweep();
    // Still RUNNING from its checkpoint, lease released: due again for the next sweep.
    expect([...r.executions.records.values()][0]?.status).toBe('RUNNING');
    now += 2_000;
    await r.router.sweep();
    expect([...r.executions.records.values()][0]).toMatchObject({
      status: 'FAILED',
      error: 'Router.MaxAttempts',
    });
  });
});
