import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  appendHistory,
  decodeHistory,
  encodeHistory,
  HISTORY_LIMIT,
  HISTORY_MAX_BYTES,
  type StoredHistoryEvent,
} from '../../../router/executions/history.ts';
import { traceLines } from '../../../router/executions/historyTrace.ts';
import { runRouterCli } from '../../support/cli.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');

function event(
  id: number,
  type: StoredHistoryEvent['type'],
  extra: Partial<StoredHistoryEvent> = {},
): StoredHistoryEvent {
  return { id, type, timestamp: T0 + id * 10, thread: '', ...extra };
}

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  const result = await runRouterCli(argv, {
    env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1' },
  });
  return { code: result.code, err: result.stderr };
}

describe('stored history', () => {
  it('appends only events newer than the stored ones and keeps the latest HISTORY_LIMIT', () => {
    // Prepare
    const first = Array.from({ length: 700 }, (_, i) => event(i + 1, 'PassStateEntered', { stateName: 'P' }));
    const second = Array.from({ length: 700 }, (_, i) =>
      event(i + 601, 'PassStateExited', { stateName: 'P' }),
    );
    // Act
    const stored = appendHistory(appendHistory(undefined, first), second);
    const events = decodeHistory(stored);
    // Assess
    expect(events).toHaveLength(HISTORY_LIMIT);
    expect(events.at(-1)?.id).toBe(1300);
    expect(events[0]?.id).toBe(301);
    expect(appendHistory(stored, [])).toBe(stored);
  });

  it('cuts large inputs and drops the oldest events until the compressed history fits', () => {
    // Prepare
    const noise = (i: number) =>
      Array.from({ length: 400 }, (_, k) => `${i}-${k}-${(i * 7919 + k * 104729) % 1000003}`);
    const big = Array.from({ length: 1000 }, (_, i) =>
      event(i + 1, 'TaskSucceeded', { stateName: 'T', details: { output: noise(i) } }),
    );
    // Act
    const stored = appendHistory(undefined, big) ?? '';
    const events = decodeHistory(stored);
    // Assess
    expect(stored.length).toBeLessThanOrEqual(HISTORY_MAX_BYTES);
    expect(events.at(-1)?.id).toBe(1000);
    expect(String(events.at(-1)?.details?.output)).toMatch(/characters, cut\)$/);
  });

  it('names the problem when a stored history is not one', () => {
    expect(() => decodeHistory('bm90IGd6aXA=')).toThrow(
      /execution history: neither a JSON array nor a gzip'd one/,
    );
    expect(() => decodeHistory('[2,1,0,[0]]')).toThrow('execution history: format 2 is not known');
    expect(() => decodeHistory('[1,1,0,[0],"x"]')).toThrow('execution history: event 2 is not an array');
    expect(() => decodeHistory('[1,1,0,[999]]')).toThrow(
      'execution history: event 1 has no known type (999)',
    );
    expect(() => decodeHistory('[1,1,0,[0,0,7]]')).toThrow(
      'execution history: event 1 has a state that is not a name',
    );
    expect(() => decodeHistory('[1,1,0,[0,0,0,[]]]')).toThrow(
      'execution history: event 1 has details that are not an object',
    );
  });

  it('stores a short history as compact JSON that reads back event for event', () => {
    // Prepare: every slot away from its default at least once, and back to it.
    const events: StoredHistoryEvent[] = [
      { id: 3, type: 'ExecutionStarted', timestamp: T0, thread: '', details: {} },
      { id: 4, type: 'MapStateEntered', timestamp: T0 + 5, thread: '', stateName: 'Fan "1"', details: {} },
      {
        id: 5,
        type: 'MapIterationStarted',
        timestamp: T0 + 5,
        thread: '',
        stateName: 'Fan "1"',
        details: { index: 0 },
      },
      { id: 6, type: 'TaskStateEntered', timestamp: T0 + 6, thread: 'Fan#1.0[0]/', stateName: 'Item' },
      {
        id: 9,
        type: 'TaskFailed',
        timestamp: T0 + 4,
        thread: 'Fan#1.0[0]/',
        stateName: 'Item',
        details: { error: 'E', cause: 'a,]b' },
      },
      { id: 10, type: 'ExecutionRedriven', timestamp: T0 + 9, thread: '', details: {} },
      {
        id: 11,
        type: 'SomethingNew' as StoredHistoryEvent['type'],
        timestamp: T0 + 9,
        thread: '',
        stateName: 'Item',
        details: {},
      },
      { id: 12, type: 'ExecutionSucceeded', timestamp: T0 + 9, thread: '', details: {} },
    ];
    // Act
    const stored = encodeHistory(events);
    // Assess
    expect(stored.startsWith('[1,3,')).toBe(true);
    expect(stored.length).toBeLessThan(JSON.stringify(events).length / 2);
    expect(decodeHistory(stored)).toEqual(events);
  });

  it("gzips a long history and still reads histories stored as gzip'd event objects", () => {
    // Prepare
    const long = Array.from({ length: 300 }, (_, i) =>
      event(i + 1, i % 2 === 0 ? 'PassStateEntered' : 'PassStateExited', {
        stateName: `P${i >> 1}`,
        details: {},
      }),
    );
    const legacy = gzipSync(JSON.stringify(long.slice(0, 3))).toString('base64');
    // Act
    const stored = encodeHistory(long);
    // Assess
    expect(stored.startsWith('H4sI')).toBe(true);
    expect(decodeHistory(stored)).toEqual(long);
    expect(decodeHistory(legacy)).toEqual(long.slice(0, 3));
    expect(decodeHistory(appendHistory(legacy, long.slice(3, 5)))).toEqual(long.slice(0, 5));
  });

  it('keeps events whose times are not whole milliseconds, or that have no thread, as they were', () => {
    const odd = [event(1, 'ExecutionStarted', { timestamp: T0 + 0.5 }), event(2, 'ExecutionSucceeded')];
    expect(decodeHistory(encodeHistory(odd))).toEqual(odd);
    const { thread: _thread, ...threadless } = event(3, 'ExecutionStarted');
    const legacy = [threadless as StoredHistoryEvent, event(4, 'ExecutionSucceeded')];
    expect(decodeHistory(encodeHistory(legacy))).toEqual(legacy);
  });

  it('leaves out inputs and outputs when the history keeps no data', () => {
    const events = [
      event(1, 'TaskSucceeded', { stateName: 'T', details: { output: { a: 1 } } }),
      event(2, 'TaskFailed', { stateName: 'T', details: { input: 1, error: 'E' } }),
    ];
    expect(decodeHistory(encodeHistory(events, { includeData: false })).map((e) => e.details)).toEqual([
      {},
      { error: 'E' },
    ]);
  });

  it('traces nested Map items under their Map, with retries and the final failure', () => {
    // Prepare
    const events: StoredHistoryEvent[] = [
      event(1, 'ExecutionStarted'),
      event(2, 'MapStateEntered', { stateName: 'Fan' }),
      event(3, 'TaskStateEntered', { stateName: 'Item', thread: 'Fan#1.0[0]/' }),
      event(4, 'TaskRetry', { stateName: 'Item', thread: 'Fan#1.0[0]/' }),
      event(5, 'TaskStateExited', { stateName: 'Item', thread: 'Fan#1.0[0]/' }),
      event(6, 'MapStateExited', { stateName: 'Fan' }),
      event(7, 'TaskStateEntered', { stateName: 'Charge' }),
      event(8, 'TaskFailed', { stateName: 'Charge', details: { error: 'PaymentError' } }),
      event(9, 'ExecutionFailed', { details: { error: 'PaymentError' } }),
    ];
    // Act
    const lines = traceLines(events);
    // Assess
    expect(lines).toEqual([
      '+0.010s        0.040s  Fan (Map)  succeeded',
      '+0.020s        0.020s    [0] Item (Task)  succeeded [1 retry]',
      '+0.060s        0.020s  Charge (Task)  failed PaymentError',
    ]);
  });
});

describe('durable CLI usage', () => {
  it('refuses bad arguments with exit code 2 before touching any store', async () => {
    const results = await Promise.all([
      cli('task', 'success'),
      cli('task', 'success', 'tok', '--output', '{not json'),
      cli('executions', 'list', '--status', 'SLEEPING'),
      cli('executions', 'list', '--limit', '0'),
      cli('executions', 'show', 'no-colon'),
      cli('redrive'),
      cli('redrive', 'a:b', '--quarantined'),
      cli('redrive', '--quarantined', '--since', 'yesterday-ish'),
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    expect(results[1]?.err).toContain('--output is not JSON');
    expect(results[2]?.err).toContain('--status SLEEPING: expected one of');
    expect(results[4]?.err).toContain("'no-colon' is not an execution id");
    expect(results[7]?.err).toContain('--since yesterday-ish: not a time');
  });
});
