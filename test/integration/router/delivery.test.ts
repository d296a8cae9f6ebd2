/**
 * End to end: events put on the stream run their engine's graph once, however often Kinesis delivers
 * them (twice in one batch, in two batches, or redelivered after the router already ran them).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { KinesisBatchHandler } from '../../../localstack/esm/index.ts';
import { StepLog } from '../../fixtures/steps/recorder.ts';
import { useRouterStack } from '../support/routerStack.ts';
import { cloudEvent, sequentialGraph } from './graphs.ts';

const log = new StepLog();

/** Ids of events the handler wrapper reports as failed once, after the router has run them. */
const failOnce = new Set<string>();
const redelivered: string[] = [];

function idOf(record: KinesisStreamRecord): string | undefined {
  try {
    const body = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as { id?: unknown };
    return typeof body.id === 'string' ? body.id : undefined;
  } catch {
    return undefined;
  }
}

/** Lambda's view of a crash after the work was done: the router ran the record, the batch still fails it. */
const forceRedelivery =
  (handler: KinesisBatchHandler): KinesisBatchHandler =>
  async (event, context) => {
    const response = await handler(event, context);
    const failures = [...(response?.batchItemFailures ?? [])];
    for (const record of event.Records) {
      const id = idOf(record);
      if (id !== undefined && failOnce.delete(id)) {
        redelivered.push(id);
        failures.push({ itemIdentifier: record.kinesis.sequenceNumber });
      }
    }
    return { batchItemFailures: failures };
  };

const runtime = useRouterStack({
  functions: { step1: log.step('step1'), step2: log.step('step2') },
  wrap: forceRedelivery,
});

/** Publishes the two-step graph; publishing it again reuses the same version, so every test may call it. */
function publishOrders() {
  return runtime().publish({ source: sequentialGraph(['step1', 'step2']), file: 'orders.hjson' });
}

describe('MessageEventRouter on the local stack', () => {
  it('runs put events to SUCCEEDED and hands each step the payload its graph gives it', async () => {
    // Prepare
    const rt = runtime();
    await publishOrders();
    const events = [1, 2, 3, 4, 5].map((n) => cloudEvent('orders', `order-${n}`, { order: n }));
    // Act
    await rt.put(events.map((event, i) => ({ partitionKey: `customer-${i % 2}`, data: event })));
    await rt.waitForIdle();
    // Assess
    const executions = await rt.executions('orders');
    expect(executions.map((e) => [e.dedupKey, e.status, e.version]).sort()).toEqual(
      [1, 2, 3, 4, 5].map((n) => [`shop/orders#order-${n}`, 'SUCCEEDED', 1]),
    );
    expect(log.of('step1').map((call) => call.payload)).toEqual(
      expect.arrayContaining([1, 2, 3, 4, 5].map((order) => ({ order }))),
    );
    expect(log.of('step1')).toHaveLength(5);
    const second = log.of('step2').find((call) => (call.payload as { order?: number }).order === 3);
    expect(second?.payload).toEqual({ order: 3, step1: { by: 'step1', saw: { order: 3 } } });
    const three = executions.find((e) => e.dedupKey === 'shop/orders#order-3');
    expect(JSON.parse(three?.output ?? 'null')).toEqual({
      order: 3,
      step1: { by: 'step1', saw: { order: 3 } },
      step2: { by: 'step2', saw: { order: 3, step1: { by: 'step1', saw: { order: 3 } } } },
    });
    expect(rt.esm.counters.recordsCompleted).toBe(5);
    expect(rt.survived).toEqual([]);
  });

  it('runs the same CloudEvent once when it arrives twice in one batch', async () => {
    const rt = runtime();
    await publishOrders();
    const twin = cloudEvent('orders', 'twin-1', { order: 101 });
    const before = log.calls.length;
    await rt.put([
      { partitionKey: 'customer-9', data: twin },
      { partitionKey: 'customer-9', data: twin },
    ]);
    await rt.waitForIdle();
    const record = await rt.execution('orders', 'shop/orders#twin-1');
    expect(record?.status).toBe('SUCCEEDED');
    const calls = log.calls.slice(before);
    expect(calls.map((c) => c.fn)).toEqual(['step1', 'step2']);
    expect(rt.batches.some((b) => b.records === 2 && b.duplicates === 1 && b.succeeded === 1)).toBe(true);
  });

  it('runs the same CloudEvent once when it arrives again in a later batch', async () => {
    const rt = runtime();
    await publishOrders();
    const again = cloudEvent('orders', 'again-1', { order: 102 });
    const before = log.calls.length;
    await rt.put([{ partitionKey: 'customer-7', data: again }]);
    await rt.waitForIdle();
    const first = await rt.execution('orders', 'shop/orders#again-1');
    await rt.put([{ partitionKey: 'customer-8', data: again }]);
    await rt.waitForIdle();
    const second = await rt.execution('orders', 'shop/orders#again-1');
    expect(second).toEqual(first);
    expect(second?.status).toBe('SUCCEEDED');
    expect(log.calls.slice(before).map((c) => c.fn)).toEqual(['step1', 'step2']);
    expect(rt.batches.at(-1)).toMatchObject({ records: 1, duplicates: 1, succeeded: 0 });
  });

  it('absorbs a redelivery of a record the router already ran, and of the records behind it', async () => {
    const rt = runtime();
    await publishOrders();
    const events = [1, 2, 3].map((n) => cloudEvent('orders', `crash-${n}`, { order: 200 + n }));
    failOnce.add('crash-1');
    const retriesBefore = rt.esm.counters.retries;
    const batchesBefore = rt.batches.length;
    const before = log.calls.length;
    await rt.put(events.map((data) => ({ partitionKey: 'customer-5', data })));
    await rt.waitForIdle();
    expect(redelivered).toEqual(['crash-1']);
    expect(rt.esm.counters.retries).toBeGreaterThan(retriesBefore);
    const seen = rt.batches.slice(batchesBefore);
    const total = (field: 'succeeded' | 'duplicates') => seen.reduce((sum, b) => sum + b[field], 0);
    expect(total('succeeded')).toBe(3);
    expect(total('duplicates')).toBeGreaterThanOrEqual(1);
    for (const n of [1, 2, 3]) {
      expect((await rt.execution('orders', `shop/orders#crash-${n}`))?.status).toBe('SUCCEEDED');
    }
    const calls = log.calls.slice(before);
    expect(calls).toHaveLength(6);
    const perKey = new Map<string, number>();
    for (const call of calls) perKey.set(call.idempotencyKey, (perKey.get(call.idempotencyKey) ?? 0) + 1);
    expect(perKey.size).toBe(6);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);
  });
});
