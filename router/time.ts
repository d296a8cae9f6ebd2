/**
 * Timestamps as the stores and the context object write them. Formatting a Date costs more than the
 * rest of a small record; at thousands of records per second most share their second, so the formatted
 * second is kept and only the milliseconds are written anew.
 */

/** `000` to `999`, the millisecond part of a timestamp. */
const MILLIS = Array.from({ length: 1000 }, (_, ms) => String(ms).padStart(3, '0'));

let lastSecond = Number.NaN;
/** The timestamp of `lastSecond` up to and including the decimal point. */
let secondPrefix = '';

/** `ms` (epoch milliseconds) as an ISO 8601 UTC timestamp, e.g. `2026-01-01T00:00:00.000Z`. */
export function isoTime(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return new Date(ms).toISOString();
  const millis = ms % 1000;
  const second = ms - millis;
  if (second !== lastSecond) {
    secondPrefix = new Date(second).toISOString().slice(0, -4);
    lastSecond = second;
  }
  return `${secondPrefix}${MILLIS[millis] ?? ''}Z`;
}
