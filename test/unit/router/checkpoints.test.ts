import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../router/asl/types.ts';
import { checkpointsOf } from '../../../router/executions/checkpoints.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter, sequentialGraph } from '../../support/router.ts';

const T0 = Date.parse('2026-03-01T10:00:00Z');

function oneRecord(seq: number) {
  const event = cloudEventFactory({ engine: 'orders', data: { order: seq } }, seq);
  return kinesisEventFactory([kinesisRecordFactory(event, { partitionKey: `pk-${seq}` })]);
}

/** Three steps, each taking `stepMs` of the router's clock. */
function timedRouter(stepMs: number, settings: { readonly checkpointAfterMs?: number } = {}) {
  let now = T0;
  const clock = { now: () => now, sleep: () => Promise.resolve() };
  const step = (name: string) => (payload: JsonValue) => {
    now += stepMs;
    return { by: name, seen: payload !== null };
  };
  const steps = { step1: step('step1'), step2: step('step2'), step3: step('step3') };
  return inMemoryRouter(steps, settings, clock);
}

describe('standard checkpoints', () => {
  it('writes a standard execution that runs to its end without waiting once: the pre-check and one conditional write', async () => {
    // Prepare
    const r = timedRouter(1);
    await r.publish(sequentialGraph(3), { engine: 'orders' });
    const before = r.executions.requests;

    // Act
    const summary = await r.router.processBatch(oneRecord(1));

    // Assess
    expect(summary.succeeded).toBe(1);
    expect(r.executions.requests - before).toBe(2);
    const [record] = [...r.executions.records.values()];
    expect(record).toMatchObject({ status: 'SUCCEEDED', mode: 'standard', rev: 1 });
    expect(record?.checkpoint).toBeUndefined();
  });

  it("stores a finished execution's input as the record's own text of it, and a raw body's whole text", async () => {
    // Prepare
    const r = timedRouter(1);
    await r.publish(sequentialGraph(3, { Match: { order: [8] } }), { engine: 'orders' });
    const data = '{ "order" : 7, "price": 1.50, "note": "a \\"quoted\\" }" }';
    const event = `{"specversion":"1.0","id":"e-7","source":"shop","type":"order.created","engine":"orders","data":${data}}`;
    const raw = ' {"engine":"orders", "order": 8}\n';

    // Act
    const summary = await r.router.processBatch(
      kinesisEventFactory([
        kinesisRecordFactory(event, { partitionKey: 'pk-7' }),
        kinesisRecordFactory(raw, { partitionKey: 'pk-8' }),
      ]),
    );

    // Assess
    expect(summary.succeeded).toBe(2);
    const inputs = [...r.executions.records.values()].map((record) => record.input);
    expect(inputs).toEqual([data, raw.trim()]);
    expect(JSON.parse(inputs[0] ?? '')).toEqual({ order: 7, price: 1.5, note: 'a "quoted" }' });
  });

  it('writes after every finished step when the graph asks for it', async () => {
    // Prepare
    const r = timedRouter(1);
    await r.publish(sequentialGraph(3, { Checkpoint: 'every-step' }), { engine: 'orders' });
    const before = r.executions.requests;

    // Act
    await r.router.processBatch(oneRecord(1));

    // Assess: pre-check, claim, two checkpoints (before step2 and step3), completion
    expect(r.executions.requests - before).toBe(5);
    expect([...r.executions.records.values()][0]).toMatchObject({ status: 'SUCCEEDED', rev: 4 });
  });

  it('claims and checkpoints a run that has gone ROUTER_CHECKPOINT_AFTER_MS without a write', async () => {
    // Prepare: 6 s per step, a checkpoint due after 10 s
    const r = timedRouter(6_000, { checkpointAfterMs: 10_000 });
    await r.publish(sequentialGraph(3), { engine: 'orders' });
    const before = r.executions.requests;

    // Act
    await r.router.processBatch(oneRecord(1));

    // Assess: pre-check, claim and checkpoint after step2 (12 s in), completion
    expect(r.executions.requests - before).toBe(4);
    expect([...r.executions.records.values()][0]).toMatchObject({ status: 'SUCCEEDED', rev: 3 });
  });

  it('answers a delivery of a finished message as a duplicate, without running it', async () => {
    // Prepare
    const r = timedRouter(1);
    await r.publish(sequentialGraph(3), { engine: 'orders' });
    await r.router.processBatch(oneRecord(1));

    // Act
    const again = await r.router.processBatch(oneRecord(1));

    // Assess
    expect([again.duplicates, again.succeeded]).toEqual([1, 0]);
  });
});

describe('checkpointsOf', () => {
  const loaded = (graph: Record<string, unknown>) =>
    ({ graph, version: 1 }) as unknown as Parameters<typeof checkpointsOf>[0];
  const settings = { checkpointAfterMs: 10_000, leaseMs: 60_000 };

  it('claims first a graph with a task-token Task at any depth, and runs any other before claiming', () => {
    // Prepare
    const withToken = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Ask',
            States: {
              Ask: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', End: true },
            },
          },
          End: true,
        },
      },
    };
    const plain = JSON.parse(sequentialGraph(2)) as Record<string, unknown>;

    // Act
    const tokens = checkpointsOf(loaded(withToken), settings);
    const none = checkpointsOf(loaded(plain), settings);

    // Assess
    expect(tokens.runBeforeClaim).toBe(false);
    expect(none.runBeforeClaim).toBe(true);
    expect(none.policy).toEqual({ everyStep: false, afterMs: 10_000 });
  });

  it('writes at least twice per lease, whatever ROUTER_CHECKPOINT_AFTER_MS says', () => {
    const plain = JSON.parse(sequentialGraph(2)) as Record<string, unknown>;
    expect(checkpointsOf(loaded(plain), { checkpointAfterMs: 120_000, leaseMs: 60_000 }).policy.afterMs).toBe(
      30_000,
    );
  });
});
