import { describe, expect, it } from 'vitest';
import { nextFire, parseSchedule, ScheduleError } from '../../../../localstack/events/schedule.ts';

const at = (iso: string): number => Date.parse(iso);

describe('parseSchedule and nextFire', () => {
  it('fires a rate one period after the moment asked about', () => {
    expect(nextFire(parseSchedule('rate(5 minutes)'), at('2026-12-03T10:00:00Z'))).toBe(
      at('2026-12-03T10:05:00Z'),
    );
    expect(parseSchedule('rate(1 day)')).toEqual({ kind: 'rate', periodMs: 86_400_000 });
  });

  it('finds the next cron minute in UTC: daily at 06:00, and weekdays every 15 minutes from 9 to 10', () => {
    const daily = parseSchedule('cron(0 6 * * ? *)');
    expect(nextFire(daily, at('2026-12-03T05:59:30Z'))).toBe(at('2026-12-03T06:00:00Z'));
    expect(nextFire(daily, at('2026-12-03T06:00:00Z'))).toBe(at('2026-12-04T06:00:00Z'));
    const weekdays = parseSchedule('cron(0/15 9-10 ? * MON-FRI *)');
    // 2026-12-05 is a Saturday: the next firing is Monday 09:00.
    expect(nextFire(weekdays, at('2026-12-04T10:50:00Z'))).toBe(at('2026-12-07T09:00:00Z'));
    expect(nextFire(weekdays, at('2026-12-07T09:00:00Z'))).toBe(at('2026-12-07T09:15:00Z'));
  });

  it('answers undefined for a schedule whose years are over', () => {
    expect(nextFire(parseSchedule('cron(0 0 1 1 ? 2020)'), at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('names what is wrong with an expression', () => {
    expect(() => parseSchedule('rate(1 minutes)')).toThrow(
      new ScheduleError('rate(1 minutes): use the singular unit for 1 and the plural otherwise'),
    );
    expect(() => parseSchedule('cron(0 6 * * * *)')).toThrow(/exactly one of day-of-month and day-of-week/);
    expect(() => parseSchedule('cron(0 25 * * ? *)')).toThrow("hours '25' has '25' outside 0-23");
    expect(() => parseSchedule('cron(0 6 L * ? *)')).toThrow(/uses L, W or #/);
    expect(() => parseSchedule('every day')).toThrow(/rate\(value unit\) or cron\(six fields\)/);
  });
});
