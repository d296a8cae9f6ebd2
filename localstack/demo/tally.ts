/**
 * What the demo measured, and how it prints it: the router's own batch and sweep summaries added up,
 * the executions the store holds WAITING right now (read, never derived, so the count cannot go below
 * zero), the progress line, the per-engine@version table, and the check that the counts add up to the
 * records sent.
 */
import type { BatchSummary } from '../../router/MessageEventRouter.ts';

/** Outcomes of one engine@version. */
export interface EngineTally {
  succeeded: number;
  failed: number;
  duplicates: number;
  /** Times an execution of this version parked in a durable wait (one execution may park several times). */
  parked: number;
}

/** Running totals over every batch and sweep. */
export interface Tally {
  /** Records the router received (a redelivered record counts again). */
  records: number;
  succeeded: number;
  failed: number;
  duplicates: number;
  quarantined: number;
  /** Records the router asked to be delivered again (a retryable failure). */
  retried: number;
  parked: number;
  readonly byEngine: Map<string, EngineTally>;
}

/** An empty tally. */
export function emptyTally(): Tally {
  return {
    records: 0,
    succeeded: 0,
    failed: 0,
    duplicates: 0,
    quarantined: 0,
    retried: 0,
    parked: 0,
    byEngine: new Map(),
  };
}

/** Adds one batch's or sweep's summary (a sweep receives no records; it finishes or parks executions). */
export function addSummary(tally: Tally, summary: BatchSummary): void {
  tally.records += summary.records;
  tally.succeeded += summary.succeeded;
  tally.failed += summary.failed;
  tally.duplicates += summary.duplicates;
  tally.quarantined += summary.quarantined;
  tally.retried += summary.retried;
  tally.parked += summary.waiting;
  for (const [label, row] of summary.byEngine) {
    const total = tally.byEngine.get(label) ?? { succeeded: 0, failed: 0, duplicates: 0, parked: 0 };
    total.succeeded += row.succeeded;
    total.failed += row.failed;
    total.duplicates += row.duplicates;
    total.parked += row.waiting;
    tally.byEngine.set(label, total);
  }
}

/** The progress line: records taken of those sent, outcomes so far, executions WAITING in the store now. */
export function progressLine(tally: Tally, sent: number, waitingNow: number): string {
  return (
    `records ${tally.records}/${sent} | succeeded ${tally.succeeded} | failed ${tally.failed} | ` +
    `duplicates ${tally.duplicates} | quarantined ${tally.quarantined} | retried ${tally.retried} | ` +
    `waiting ${Math.max(0, waitingNow)}`
  );
}

/**
 * Once nothing waits, every record the router received ended one way:
 * `records = succeeded + failed + duplicates + quarantined + retried + child results`, where a child
 * result is the record an ended nested execution put on the stream to resume its parent (its outcome is
 * the parent's, counted once when the parent ends). Returns that sum written out, and whether it holds.
 */
export function accounting(
  tally: Tally,
  childResults = 0,
): { readonly text: string; readonly balanced: boolean } {
  const sum =
    tally.succeeded + tally.failed + tally.duplicates + tally.quarantined + tally.retried + childResults;
  const text =
    `${tally.records} records received = ${tally.succeeded} succeeded + ${tally.failed} failed + ` +
    `${tally.duplicates} duplicates + ${tally.quarantined} quarantined + ${tally.retried} retried` +
    (childResults > 0 ? ` + ${childResults} child results` : '');
  return sum === tally.records
    ? { text, balanced: true }
    : { text: `${text} (= ${sum}: ${tally.records - sum} not accounted for)`, balanced: false };
}

/** Executions of each engine version that ran (succeeded or failed), by version number. */
export function ranByVersion(tally: Tally, engine: string): Map<number, number> {
  const ran = new Map<number, number>();
  for (const [label, row] of tally.byEngine) {
    const at = label.lastIndexOf('@');
    if (label.slice(0, at) !== engine) continue;
    ran.set(Number(label.slice(at + 1)), row.succeeded + row.failed);
  }
  return ran;
}

/** The per-engine@version table, with a last row for quarantined records (which have no version). */
export function summaryTable(tally: Tally): string {
  const header = ['ENGINE@VERSION', 'SUCCEEDED', 'FAILED', 'DUPLICATES', 'DURABLE WAITS'];
  const rows = [...tally.byEngine.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([label, r]) => [
      label,
      String(r.succeeded),
      String(r.failed),
      String(r.duplicates),
      String(r.parked),
    ]);
  rows.push(['quarantined (any engine)', String(tally.quarantined), '', '', '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}
