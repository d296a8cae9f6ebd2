/**
 * Timestamps as the stores and the context object write them. Formatting a Date costs more than the
 * rest of a small record; at thousands of records per second most share their millisecond, so the
 * last formatted value is kept and reused.
 */

let lastMs = Number.NaN;
let lastText = '';

/** `ms` (epoch milliseconds) as an ISO 8601 UTC timestamp, e.g. `2026-01-01T00:00:00.000Z`. */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
}
