import { describe, expect, it } from 'vitest';
import {
  appendHistory,
  decodeHistory,
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
    expect(() => decodeHistory('bm90IGd6aXA=')).toThrow(/execution history: not a gzip'd JSON array/);
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
