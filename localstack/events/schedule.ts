/**
 * EventBridge schedule expressions for the local EventBridge: `rate(value unit)` and the six-field
 * `cron(minutes hours day-of-month month day-of-week year)`, in UTC as EventBridge evaluates them.
 * Parsing says what is wrong, naming the field; `nextFire` answers the next due time after a moment.
 *
 * Cron fields take `*`, numbers, ranges `a-b`, steps `a/b` (a start or `*` before the slash), lists, month names (JAN-DEC) and
 * day names (SUN-SAT, 1 = Sunday as in EventBridge); exactly one of day-of-month and day-of-week is `?`.
 * The `L`, `W` and `#` forms are refused with a clear error rather than misread.
 */

/** A parsed schedule. */
export type Schedule =
  | { readonly kind: 'rate'; readonly periodMs: number }
  | {
      readonly kind: 'cron';
      readonly minutes: ReadonlySet<number>;
      readonly hours: ReadonlySet<number>;
      readonly daysOfMonth: ReadonlySet<number> | undefined;
      readonly months: ReadonlySet<number>;
      readonly daysOfWeek: ReadonlySet<number> | undefined;
      readonly years: ReadonlySet<number>;
    };

/** An expression the local EventBridge cannot run; the message names the part and the rule broken. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const UNITS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * Parses a `ScheduleExpression`.
 *
 * @example
 * parseSchedule('rate(5 minutes)')        // { kind: 'rate', periodMs: 300000 }
 * parseSchedule('cron(0 6 * * ? *)')      // every day at 06:00 UTC
 */
export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate !== null) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) throw new ScheduleError(`${expression}: the rate must be a positive whole number`);
    if ((value === 1) !== !unit.endsWith('s'))
      throw new ScheduleError(`${expression}: use the singular unit for 1 and the plural otherwise`);
    return { kind: 'rate', periodMs: value * (UNITS[unit.replace(/s$/, '')] ?? 0) };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (cron === null)
    throw new ScheduleError(`${expression}: a schedule is rate(value unit) or cron(six fields)`);
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleError(`${expression}: cron needs six fields, got ${fields.length}`);
  const [min = '', hour = '', dom = '', month = '', dow = '', year = ''] = fields;
  if ((dom === '?') === (dow === '?'))
    throw new ScheduleError(`${expression}: exactly one of day-of-month and day-of-week must be '?'`);
  return {
    kind: 'cron',
    minutes: field(expression, 'minutes', min, 0, 59),
    hours: field(expression, 'hours', hour, 0, 23),
    daysOfMonth: dom === '?' ? undefined : field(expression, 'day-of-month', dom, 1, 31),
    months: field(expression, 'month', month, 1, 12, MONTHS),
    daysOfWeek: dow === '?' ? undefined : field(expression, 'day-of-week', dow, 1, 7, DAYS),
    years: field(expression, 'year', year, 1970, 2199),
  };
}

/** The first due time strictly after `after` (epoch ms), or undefined when the schedule never fires again. */
export function nextFire(schedule: Schedule, after: number): number | undefined {
  if (schedule.kind === 'rate') return after + schedule.periodMs;
  const start = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  // Five years of days is enough for any expression that fires at all (a 29 February included).
  for (let d = 0; d < 366 * 5; d += 1) {
    const date = new Date(day + d * 86_400_000);
    if (!schedule.years.has(date.getUTCFullYear()) || !schedule.months.has(date.getUTCMonth() + 1)) continue;
    const dayMatches =
      schedule.daysOfMonth !== undefined
        ? schedule.daysOfMonth.has(date.getUTCDate())
        : (schedule.daysOfWeek?.has(date.getUTCDay() + 1) ?? false);
    if (!dayMatches) continue;
    for (const hour of [...schedule.hours].sort((a, b) => a - b)) {
      for (const minute of [...schedule.minutes].sort((a, b) => a - b)) {
        const at = date.getTime() + hour * 3_600_000 + minute * 60_000;
        if (at > after) return at;
      }
    }
  }
  return undefined;
}

function field(
  expression: string,
  name: string,
  text: string,
  low: number,
  high: number,
  names: readonly string[] = [],
): ReadonlySet<number> {
  const fail = (why: string): ScheduleError => new ScheduleError(`${expression}: ${name} '${text}' ${why}`);
  if (/[LW#]/i.test(text.replace(/[A-Z]{3}/gi, (word) => (names.includes(word.toUpperCase()) ? '' : word))))
    throw fail('uses L, W or #, which the local EventBridge does not run');
  const value = (part: string): number => {
    const index = names.indexOf(part.toUpperCase());
    const n = index >= 0 ? index + low : Number(part);
    if (!Number.isInteger(n) || n < low || n > high) throw fail(`has '${part}' outside ${low}-${high}`);
    return n;
  };
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw fail(`has the step '${stepText}'`);
    let from = low;
    let to = high;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : high) : value(b);
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}
