import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { HistoryDetails } from '../../../router/asl/interpreter/history.ts';
import {
  appendHistory,
  decodeHistory,
  encodeHistory,
  HISTORY_LIMIT,
  type StoredHistoryEvent,
} from '../../../router/executions/history.ts';

function event(id: number, details?: HistoryDetails): StoredHistoryEvent {
  return {
    id,
    type: 'TaskStateEntered',
    timestamp: 1_700_000_000_000 + id,
    thread: '',
    ...(details === undefined ? {} : { details }),
  };
}

describe('execution history encoding', () => {
  it('stores a history no larger than the gzip of its events, from one event to a thousand', () => {
    for (const count of [1, 12, 100, 1_000]) {
      // Prepare
      const events = Array.from({ length: count }, (_, i) =>
        event(i + 1, { resource: `step${i % 3}`, input: { order: i % 7, note: 'y'.repeat(200) } }),
      );
      const fullWindow = gzipSync(JSON.stringify(events), { level: 1 }).toString('base64');

      // Act
      const stored = encodeHistory(events);

      // Assess
      expect(decodeHistory(stored)).toEqual(events);
      if (stored.startsWith('[')) expect(stored.length).toBeLessThanOrEqual(1_024);
      else expect(stored.length).toBeLessThanOrEqual(fullWindow.length);
    }
    expect(encodeHistory([event(1, { resource: 'step1' })])).toBe(
      '[1,1,1700000000001,[5,0,0,{"resource":"step1"}]]',
    );
  });

  it('writes the details of events that share one value as JSON.stringify writes each', () => {
    // Prepare: one state object in three events, as a state's entered, scheduled and exited events hold it
    const state = { order: 7, lines: [{ sku: 'a', qty: 2 }], note: 'caf\u00e9 "quoted"\n' };
    const details: HistoryDetails[] = [
      { input: state },
      { resource: 'arn:aws:lambda:us-east-1:000000000000:function:step1', input: state },
      { output: state, error: undefined } as unknown as HistoryDetails,
      { output: null },
      { error: 'States.Timeout', cause: 'late', timeoutSeconds: 5 } as unknown as HistoryDetails,
    ];
    const events = details.map((d, i) => event(i + 1, d));

    // Act
    const stored = encodeHistory(events);

    // Assess: each event's details are the text JSON.stringify gives, in the same key order
    const written = (JSON.parse(stored) as unknown[]).slice(3) as unknown[][];
    expect(written.map((e) => JSON.stringify(e[3]))).toEqual(details.map((d) => JSON.stringify(d)));
    expect(stored).toContain(
      `{"resource":"arn:aws:lambda:us-east-1:000000000000:function:step1","input":${JSON.stringify(state)}}`,
    );
    expect(decodeHistory(stored)).toEqual(JSON.parse(JSON.stringify(events)));
  });

  it('keeps small events whole, in order, and reads back what it wrote', () => {
    // Prepare
    const events = [
      event(1),
      event(2, { resource: 'step1', input: { a: 1, text: 'x'.repeat(1500) } }),
      event(3),
    ];

    // Act
    const decoded = decodeHistory(encodeHistory(events));

    // Assess
    expect(decoded).toEqual(events);
  });

  it('cuts the input and output of an event whose details are too large, and keeps the rest of it', () => {
    // Prepare
    const big = event(7, { resource: 'step1', input: { text: 'i'.repeat(5000) }, output: 'o'.repeat(3000) });

    // Act
    const [decoded] = decodeHistory(encodeHistory([big]));

    // Assess
    expect(decoded?.id).toBe(7);
    expect(decoded?.details?.resource).toBe('step1');
    expect(decoded?.details?.input).toMatch(/^\{"text":"i{247}\.\.\. \(5011 characters, cut\)$/);
    expect(decoded?.details?.output).toMatch(/^"o{255}\.\.\. \(3002 characters, cut\)$/);
  });

  it('keeps only the latest events past the count limit, and appends a run once', () => {
    // Prepare
    const events = Array.from({ length: HISTORY_LIMIT + 5 }, (_, i) => event(i + 1));

    // Act
    const stored = encodeHistory(events);
    const again = appendHistory(stored, [event(HISTORY_LIMIT + 5), event(HISTORY_LIMIT + 6)]);

    // Assess
    const decoded = decodeHistory(stored);
    expect(decoded).toHaveLength(HISTORY_LIMIT);
    expect(decoded[0]?.id).toBe(6);
    expect(
      decodeHistory(again)
        .map((e) => e.id)
        .slice(-2),
    ).toEqual([HISTORY_LIMIT + 5, HISTORY_LIMIT + 6]);
  });

  it('keeps only type, state, times, error and cause when execution data is left out', () => {
    // Prepare
    const events = [
      event(1, { resource: 'step1', input: { x: 1 }, output: { secret: 'payload' }, error: 'E', cause: 'C' }),
    ];
    // Act
    const [stored] = decodeHistory(encodeHistory(events, { includeData: false }));
    // Assess
    expect(stored?.details).toEqual({ resource: 'step1', error: 'E', cause: 'C' });
    expect(stored?.timestamp).toBe(events[0]?.timestamp);
  });
});
