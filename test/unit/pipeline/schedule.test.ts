import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type Outcome, processInOrder } from '../../../router/pipeline/schedule.ts';

interface Item {
  readonly key: string;
  readonly sequenceNumber: string;
  readonly delayMs?: number;
}

function items(spec: string): Item[] {
  // "a1 b1 a2" -> keys a, b, a with sequence numbers 1, 2, 3
  return spec.split(' ').map((word, index) => ({ key: word[0] ?? '?', sequenceNumber: String(index + 1) }));
}

describe('processInOrder', () => {
  it('runs items of one key strictly in stream order while other keys interleave', async () => {
    // Prepare
    const batch: Item[] = [
      { key: 'a', sequenceNumber: '1', delayMs: 150 },
      { key: 'b', sequenceNumber: '2', delayMs: 5 },
      { key: 'a', sequenceNumber: '3', delayMs: 1 },
      { key: 'b', sequenceNumber: '4', delayMs: 5 },
      { key: 'a', sequenceNumber: '5', delayMs: 1 },
    ];
    const events: string[] = [];

    // Act
    const report = await processInOrder(batch, {
      keyOf: (item) => item.key,
      concurrency: 4,
      process: async (item): Promise<Outcome> => {
        events.push(`start ${item.sequenceNumber}`);
        await sleep(item.delayMs ?? 0);
        events.push(`end ${item.sequenceNumber}`);
        return { kind: 'done' };
      },
    });

    // Assess
    expect(report).toEqual({ batchItemFailures: [], done: 5, retried: 0, skipped: 0 });
    const keyA = events.filter((e) => ['1', '3', '5'].includes(e.split(' ')[1] ?? ''));
    expect(keyA).toEqual(['start 1', 'end 1', 'start 3', 'end 3', 'start 5', 'end 5']);
    // b ran both its items while a's first item was still running
    expect(events.indexOf('end 4')).toBeLessThan(events.indexOf('end 1'));
  });

  it('never runs more keys at once than the concurrency bound', async () => {
    const batch = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 10}`, sequenceNumber: String(i) }));
    let running = 0;
    let peak = 0;

    const report = await processInOrder(batch, {
      keyOf: (item) => item.key,
      concurrency: 3,
      process: async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(1);
        running--;
        return { kind: 'done' };
      },
    });

    expect(peak).toBe(3);
    expect(report.done).toBe(40);
  });

  it('fails a retried item and skips every later item of its key, without running them', async () => {
    // Prepare
    const batch = items('a1 b1 a2 c1 b2 a3 c2');
    const ran: string[] = [];

    // Act
    const report = await processInOrder(batch, {
      keyOf: (item) => item.key,
      concurrency: 2,
      process: async (item) => {
        ran.push(item.sequenceNumber);
        if (item.sequenceNumber === '3' || item.sequenceNumber === '4') {
          return { kind: 'retry', error: new Error('throttled') };
        }
        return { kind: 'done' };
      },
    });

    // Assess
    expect(ran.sort()).toEqual(['1', '2', '3', '4', '5']);
    expect(report.batchItemFailures).toEqual([
      { itemIdentifier: '3' },
      { itemIdentifier: '4' },
      { itemIdentifier: '6' },
      { itemIdentifier: '7' },
    ]);
    expect(report).toMatchObject({ done: 3, retried: 2, skipped: 2 });
  });

  it('carries failed keys from one window of a batch into the next', async () => {
    const failedKeys = new Set<string>();
    const ran: string[] = [];
    const process = async (item: Item): Promise<Outcome> => {
      ran.push(item.sequenceNumber);
      return item.sequenceNumber === '2' ? { kind: 'retry', error: 'throttled' } : { kind: 'done' };
    };

    const first = await processInOrder(items('a1 b2 c3'), {
      keyOf: (i) => i.key,
      concurrency: 2,
      process,
      failedKeys,
    });
    const second = await processInOrder(
      [
        { key: 'a', sequenceNumber: '4' },
        { key: 'b', sequenceNumber: '5' },
        { key: 'c', sequenceNumber: '6' },
      ],
      { keyOf: (i) => i.key, concurrency: 2, process, failedKeys },
    );

    expect([...failedKeys]).toEqual(['b']);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: '5' }]);
    expect(second).toMatchObject({ done: 2, skipped: 1 });
    expect(ran.sort()).toEqual(['1', '2', '3', '4', '6']);
  });

  it('treats a thrown error as a retry', async () => {
    const report = await processInOrder(items('a1 a2'), {
      keyOf: (item) => item.key,
      concurrency: 1,
      process: async () => {
        throw new Error('boom');
      },
    });

    expect(report.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['1', '2']);
  });

  it('reports a sequence number once when sub-records sharing it fail', async () => {
    const batch = [
      { key: 'a', sequenceNumber: '9' },
      { key: 'b', sequenceNumber: '9' },
      { key: 'c', sequenceNumber: '9' },
    ];

    const report = await processInOrder(batch, {
      keyOf: (item) => item.key,
      concurrency: 3,
      process: async (item) => (item.key === 'a' ? { kind: 'done' } : { kind: 'retry', error: 'x' }),
    });

    expect(report.batchItemFailures).toEqual([{ itemIdentifier: '9' }]);
  });

  it('uses idOf when items carry no sequence number', async () => {
    const report = await processInOrder(['x', 'y'], {
      keyOf: () => 'same',
      idOf: (item) => `id-${item}`,
      concurrency: 1,
      process: async () => ({ kind: 'retry', error: 'x' }),
    });

    expect(report.batchItemFailures).toEqual([{ itemIdentifier: 'id-x' }, { itemIdentifier: 'id-y' }]);
  });

  it('stops starting items once told to, and reports the unstarted ones', async () => {
    let started = 0;

    const report = await processInOrder(items('a1 a2 a3 b1'), {
      keyOf: (item) => item.key,
      concurrency: 1,
      shouldStop: () => started >= 2,
      process: async () => {
        started++;
        return { kind: 'done' };
      },
    });

    expect(report.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['3', '4']);
    expect(report.skipped).toBe(2);
  });

  it('processes 10,000 records in one pass', async () => {
    const batch = Array.from({ length: 10_000 }, (_, i) => ({
      key: `k${i % 97}`,
      sequenceNumber: String(i),
    }));
    const lastSeen = new Map<string, number>();
    let outOfOrder = 0;

    const report = await processInOrder(batch, {
      keyOf: (item) => item.key,
      concurrency: 16,
      process: async (item) => {
        const n = Number(item.sequenceNumber);
        if ((lastSeen.get(item.key) ?? -1) > n) outOfOrder++;
        lastSeen.set(item.key, n);
        await Promise.resolve();
        return { kind: 'done' };
      },
    });

    expect(report.done).toBe(10_000);
    expect(outOfOrder).toBe(0);
  });

  it('rejects a concurrency below 1', async () => {
    await expect(
      processInOrder([], { keyOf: () => 'k', concurrency: 0, process: async () => ({ kind: 'done' }) }),
    ).rejects.toThrow('concurrency must be a positive integer');
  });
});
