import { describe, expect, it } from 'vitest';
import {
  accounting,
  addSummary,
  emptyTally,
  progressLine,
  ranByVersion,
  summaryTable,
} from '../../../../localstack/demo/tally.ts';
import { type BatchSummary, emptySummary } from '../../../../router/MessageEventRouter.ts';

type Row = { succeeded?: number; failed?: number; duplicates?: number; waiting?: number };

function summary(
  counts: Partial<Omit<BatchSummary, 'byEngine'>>,
  byEngine: Record<string, Row> = {},
): BatchSummary {
  const base = emptySummary();
  Object.assign(base, counts);
  for (const [label, row] of Object.entries(byEngine)) {
    base.byEngine.set(label, { succeeded: 0, failed: 0, duplicates: 0, waiting: 0, ...row });
  }
  return base;
}

describe('the demo tally', () => {
  it('adds batches and sweeps per engine@version and balances once nothing waits', () => {
    // Prepare
    const tally = emptyTally();

    // Act: a batch parks one execution, a sweep finishes it, a second batch brings a duplicate
    addSummary(
      tally,
      summary(
        { records: 3, succeeded: 2, waiting: 1 },
        { 'event-engine@1': { succeeded: 2 }, 'etl@1': { waiting: 1 } },
      ),
    );
    const midway = accounting(tally);
    addSummary(tally, summary({ succeeded: 1 }, { 'etl@1': { succeeded: 1 } }));
    addSummary(
      tally,
      summary({ records: 2, duplicates: 1, quarantined: 1 }, { 'event-engine@2': { duplicates: 1 } }),
    );

    // Assess
    expect(midway.balanced).toBe(false);
    expect(midway.text).toContain('(= 2: 1 not accounted for)');
    expect(accounting(tally)).toEqual({
      text: '5 records received = 3 succeeded + 0 failed + 1 duplicates + 1 quarantined + 0 retried',
      balanced: true,
    });
    expect(tally.byEngine.get('etl@1')).toEqual({ succeeded: 1, failed: 0, duplicates: 0, parked: 1 });
    expect(ranByVersion(tally, 'event-engine')).toEqual(
      new Map([
        [1, 2],
        [2, 0],
      ]),
    );
    expect(summaryTable(tally).split('\n')).toEqual([
      'ENGINE@VERSION            SUCCEEDED  FAILED  DUPLICATES  DURABLE WAITS',
      'etl@1                     1          0       0           1',
      'event-engine@1            2          0       0           0',
      'event-engine@2            0          0       1           0',
      'quarantined (any engine)  1',
    ]);
  });

  it("counts the records that carried a child execution's result to its parent", () => {
    // Prepare: a parent parks on its child (1 record), the child runs (1), its result resumes the parent (1)
    const tally = emptyTally();
    addSummary(tally, summary({ records: 1, waiting: 1 }, { 'parent@1': { waiting: 1 } }));
    addSummary(tally, summary({ records: 1, succeeded: 1 }, { 'child@1': { succeeded: 1 } }));
    addSummary(tally, summary({ records: 1, succeeded: 1 }, { 'parent@1': { succeeded: 1 } }));

    // Act / Assess
    expect(accounting(tally).balanced).toBe(false);
    expect(accounting(tally, 1)).toEqual({
      text: '3 records received = 2 succeeded + 0 failed + 0 duplicates + 0 quarantined + 0 retried + 1 child results',
      balanced: true,
    });
  });

  it('shows the executions waiting as read, never below zero', () => {
    // Prepare
    const tally = emptyTally();
    addSummary(tally, summary({ records: 4, succeeded: 4 }));

    // Act
    const line = progressLine(tally, 6, -1);

    // Assess
    expect(line).toBe(
      'records 4/6 | succeeded 4 | failed 0 | duplicates 0 | quarantined 0 | retried 0 | waiting 0',
    );
  });
});
