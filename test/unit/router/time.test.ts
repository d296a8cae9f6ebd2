import { describe, expect, it } from 'vitest';
import { isoTime } from '../../../router/time.ts';

describe('isoTime', () => {
  it('writes what Date#toISOString writes, whichever second and millisecond come in turn', () => {
    const base = Date.UTC(2026, 11, 4, 23, 59, 59, 0);
    const instants = [
      base,
      base + 999,
      base + 1,
      base + 1000,
      base + 1001,
      base + 7,
      0,
      999,
      1_000,
      base + 86_400_000 * 365,
      Date.UTC(10_000, 0, 1, 0, 0, 0, 42),
    ];
    for (const ms of [...instants, ...instants.toReversed()]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('writes instants before 1970 and fractional milliseconds as Date does', () => {
    for (const ms of [-1, -999, -1000, -1001, 1.5, 1_700_000_000_123.9]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('refuses an instant Date cannot write, as Date does', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
