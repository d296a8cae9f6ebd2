import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../router/asl/types.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter, sequentialGraph } from '../../support/router.ts';

const KiB = 1024;

/** A CloudEvent whose JSON is exactly `bytes` bytes, its `data` holding nearly all of them. */
function eventOfSize(bytes: number, seq: number): Record<string, unknown> {
  const base = cloudEventFactory({ engine: 'orders', data: { blob: '' } }, seq);
  const filler = 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(base)));
  const event = { ...base, data: { blob: filler } };
  expect(Buffer.byteLength(JSON.stringify(event))).toBe(bytes);
  return event;
}

async function all(entries: AsyncIterable<QuarantineEntry>): Promise<QuarantineEntry[]> {
  const out: QuarantineEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

describe('a message near the record limit on a standard engine', () => {
  it('runs to SUCCEEDED, resuming from a checkpoint kept by reference after a throttled step', async () => {
    // Prepare: step2 is throttled once, so the first delivery stops after step1's checkpoint
    const calls: string[] = [];
    let throttled = false;
    const steps = {
      step1: () => {
        calls.push('step1');
        return { done: 'step1' };
      },
      step2: (): JsonValue => {
        calls.push('step2');
        if (!throttled) {
          throttled = true;
          throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
        }
        return { done: 'step2' };
      },
    };
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(2), { engine: 'orders' });
    const event = eventOfSize(255 * KiB, 1);
    const records = kinesisEventFactory([kinesisRecordFactory(event)]);
    // Act
    const first = await r.router.processBatch(records);
    const [parked] = [...r.executions.records.values()];
    const second = await r.router.processBatch(records);
    // Assess: the checkpoint (the input twice, in the context and the data) went to the payload store
    expect(first.failures).toHaveLength(1);
    expect(parked?.status).toBe('RUNNING');
    expect(parked?.checkpoint).toBeUndefined();
    expect(parked?.refs?.checkpoint?.bytes).toBeGreaterThan(510 * KiB);
    expect(second).toMatchObject({ failures: [], succeeded: 1, quarantined: 0 });
    expect(calls).toEqual(['step1', 'step2', 'step2']);
    const [stored] = [...r.executions.records.values()];
    const record = stored === undefined ? undefined : await r.executions.get(stored);
    expect(record?.status).toBe('SUCCEEDED');
    expect(JSON.parse(record?.output ?? 'null')).toEqual({
      ...(event.data as object),
      step1: { done: 'step1' },
      step2: { done: 'step2' },
    });
    expect(JSON.parse(record?.input ?? 'null')).toEqual(event.data);
    expect(await all(r.quarantine.list())).toEqual([]);
  });

  it('runs on an express engine too, keeping its large result out of the batch write', async () => {
    // Prepare: a step that fails with a cause as large as the record
    const cause = 'c'.repeat(200 * KiB);
    const steps = {
      step1: (): JsonValue => {
        throw Object.assign(new Error(cause), { name: 'OrderRejected' });
      },
    };
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(1, { Mode: 'express' }), { engine: 'orders' });
    // Act
    const result = await r.router.processBatch(
      kinesisEventFactory([kinesisRecordFactory(eventOfSize(255 * KiB, 2))]),
    );
    // Assess
    expect(result).toMatchObject({ failures: [], failed: 1, quarantined: 0 });
    const [stored] = [...r.executions.records.values()];
    expect(stored?.refs?.cause).toBeDefined();
    const record = stored === undefined ? undefined : await r.executions.get(stored);
    expect(record).toMatchObject({ status: 'FAILED', error: 'OrderRejected', mode: 'express' });
    expect(JSON.parse(record?.cause ?? '{}')).toEqual({ errorType: 'OrderRejected', errorMessage: cause });
  });
});
