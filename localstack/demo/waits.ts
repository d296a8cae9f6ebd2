/**
 * What the demo is waiting for once every record was taken: executions parked WAITING in the store
 * (a durable Wait, a retry back-off or a callback), each due at a time the sweep resumes it. Said in
 * one line when it changes, so a pause is never silent.
 */
import type { ExecutionRecord } from '../../router/executions/index.ts';

/** `HH:MM:SS` local time. */
function clockTime(epochMs: number): string {
  return new Date(epochMs).toTimeString().slice(0, 8);
}

/**
 * One line about the WAITING executions: how many, and the next one due (engine@version, execution id,
 * due time, seconds left); undefined when none waits.
 */
export function describeWaiting(records: readonly ExecutionRecord[], now: number): string | undefined {
  if (records.length === 0) return undefined;
  const byDue = [...records].sort(
    (a, b) => (a.dueAt ?? Number.POSITIVE_INFINITY) - (b.dueAt ?? Number.POSITIVE_INFINITY),
  );
  const next = byDue[0];
  if (next === undefined) return undefined;
  const count = records.length === 1 ? '1 execution' : `${records.length} executions`;
  const due =
    next.dueAt === undefined
      ? 'with no due time (a callback: it resumes when its task token is answered)'
      : `due at ${clockTime(next.dueAt)} (in ${Math.max(0, (next.dueAt - now) / 1000).toFixed(1)} s)`;
  return (
    `waiting for ${count} parked in a durable wait; next: ${next.engine}@${next.version} ` +
    `${next.executionId} ${due}, resumed by the sweep`
  );
}

/** Identifies the set of waits, so a notice is printed only when it changes. */
export function waitingSignature(records: readonly ExecutionRecord[]): string {
  return records
    .map((record) => `${record.executionId}@${record.dueAt ?? ''}`)
    .sort()
    .join(',');
}
