/**
 * The four flows of seed 000 and the window each one loads, decided from a `public.source` row alone,
 * so the validation Lambda is the one place that reads `batch_execution_params` and every later step
 * works from the plan it returns. Pure: the run's time comes in, nothing is read from the clock.
 *
 * ```
 * batch_execution_params            runtime_count   flow       window (date column, from .. to = run start)
 * {"flow_type": "Normal"}           0               FULL_LOAD  last_modified_date, now - X days   (writes {"type": "Full Load"})
 * {"flow_type": "Normal"}           1 or more       NORMAL     last_modified_date, last watermark
 * {"type": "Re-specs", "Sql": ...}  any             RE-SPECS   last_modified_date, 1990-01-01     (then runs Sql)
 * {"type": "Full Load"}             any             FULL_LOAD  last_modified_date, now - X days
 * {"type": "Sold", "year": 2021}    any             SOLD       sold_date, 2021-01-01              (no year: error)
 * ```
 *
 * `runtime_count` counts the source's completed runs, so the run being validated is run number
 * `runtime_count + 1`: the seed's "runtime count equal to 1" is a source's first run.
 */

/** Flow types, as the steps and the graph name them. */
export type FlowType = 'NORMAL' | 'RE-SPECS' | 'FULL_LOAD' | 'SOLD';

/** The column a flow's window filters on. */
export type DateField = 'last_modified_date' | 'sold_date';

/**
 * A window of source rows: `from <= date_field < to`, both ISO timestamps. This and {@link RunPlan} are
 * type aliases, not interfaces, so they stay assignable to a step's JSON result (`StepResult`).
 */
export type Window = {
  readonly date_field: DateField;
  readonly from: string;
  readonly to: string;
};

/** What one run does, as the validation Lambda decides it. */
export type RunPlan = Window & {
  readonly flow: FlowType;
  /** Re-specs: the attributes update query, run after the download. */
  readonly attributes_sql?: string;
  /** The params the validation writes back (the first run's switch to `{"type": "Full Load"}`). */
  readonly write_params?: Readonly<Record<string, string>>;
};

/** The `public.source` fields a plan depends on. */
export interface PlanInput {
  readonly id: string;
  readonly batch_execution_params: unknown;
  readonly runtime_count: number;
  /** ISO timestamp, or null before the first watermark. */
  readonly last_watermark: string | null;
}

/** A source's `batch_execution_params` that names no flow this state machine knows. */
export class UnknownFlowType extends Error {
  override readonly name = 'FlowTypes.UnknownFlowType';
}

/** A Sold flow without the year it starts from. */
export class SoldYearMissing extends Error {
  override readonly name = 'FlowTypes.SoldYearMissing';
}

/** The Re-specs start the seed fixes. */
const RESPECS_FROM = '1990-01-01T00:00:00.000Z';
/** NORMAL without a watermark (a source whose first run was not through this flow) loads everything. */
const EPOCH = '1970-01-01T00:00:00.000Z';
const DAY_MS = 86_400_000;

const NAMES: Readonly<Record<string, FlowType>> = {
  NORMAL: 'NORMAL',
  LMD: 'NORMAL',
  'RE-SPECS': 'RE-SPECS',
  RESPECS: 'RE-SPECS',
  'FULL-LOAD': 'FULL_LOAD',
  BACKDATED: 'FULL_LOAD',
  SOLD: 'SOLD',
};

/** The flow `batch_execution_params` names (`flow_type` or `type`, any case, `Full Load` = `FULL_LOAD`). */
export function flowTypeOf(params: unknown, sourceId: string): FlowType {
  const object = typeof params === 'object' && params !== null && !Array.isArray(params) ? params : {};
  const named =
    ('flow_type' in object ? object.flow_type : undefined) ?? ('type' in object ? object.type : undefined);
  const flow =
    typeof named === 'string'
      ? NAMES[
          named
            .trim()
            .toUpperCase()
            .replace(/[\s_]+/g, '-')
        ]
      : undefined;
  if (flow === undefined) {
    throw new UnknownFlowType(
      `source '${sourceId}': batch_execution_params ${JSON.stringify(params)} names no known flow (Normal, Re-specs, Full Load, Sold)`,
    );
  }
  return flow;
}

function field(params: unknown, name: string): unknown {
  return typeof params === 'object' && params !== null && name in params
    ? (params as Record<string, unknown>)[name]
    : undefined;
}

function daysBefore(iso: string, days: number): string {
  return new Date(Date.parse(iso) - days * DAY_MS).toISOString();
}

/**
 * The run's plan: its flow, window and what it writes back. `asOf` is the run's start (the window's
 * end); `backdateDays` is the Backdated flow's X unless the params give `days`.
 */
export function planRun(source: PlanInput, asOf: string, backdateDays: number): RunPlan {
  const { id, batch_execution_params: params } = source;
  const to = new Date(Date.parse(asOf)).toISOString();
  const days = typeof field(params, 'days') === 'number' ? (field(params, 'days') as number) : backdateDays;
  const flow = flowTypeOf(params, id);
  const lmd = 'last_modified_date' as const;
  switch (flow) {
    case 'NORMAL':
      if (source.runtime_count === 0) {
        return {
          flow: 'FULL_LOAD',
          date_field: lmd,
          from: daysBefore(to, days),
          to,
          write_params: { type: 'Full Load' },
        };
      }
      return { flow, date_field: lmd, from: source.last_watermark ?? EPOCH, to };
    case 'FULL_LOAD':
      return { flow, date_field: lmd, from: daysBefore(to, days), to };
    case 'RE-SPECS': {
      const sql = field(params, 'Sql') ?? field(params, 'sql');
      if (typeof sql !== 'string' || sql.trim() === '') {
        throw new UnknownFlowType(
          `source '${id}': the Re-specs flow needs its attributes update query in batch_execution_params.Sql`,
        );
      }
      return { flow, date_field: lmd, from: RESPECS_FROM, to, attributes_sql: sql };
    }
    case 'SOLD': {
      const year = Number(field(params, 'year'));
      if (!Number.isInteger(year) || year < 1900 || year > 2100) {
        throw new SoldYearMissing(
          `source '${id}': the Sold flow needs the year it starts from, e.g. {"type": "Sold", "year": 2021}; batch_execution_params is ${JSON.stringify(params)}`,
        );
      }
      return { flow, date_field: 'sold_date', from: `${year}-01-01T00:00:00.000Z`, to };
    }
  }
}

/** Whether a flow is a one-off that the automation puts back to NORMAL once it has run. */
export function isOneOff(flow: FlowType): boolean {
  return flow !== 'NORMAL';
}

/** Reads `YYYY-MM-DD` or an ISO timestamp (a SQL `timestamp` too) as an ISO timestamp. */
export function isoTime(value: unknown, what: string): string {
  const text = typeof value === 'string' ? value.trim().replace(' ', 'T') : '';
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : `${text}Z`;
  const time = Date.parse(zoned);
  if (text === '' || Number.isNaN(time)) {
    throw new TypeError(`${what} must be a date or an ISO timestamp, got ${JSON.stringify(value ?? null)}`);
  }
  return new Date(time).toISOString();
}

/** Reads a required string field of a step's input. */
export function stringOf(event: unknown, name: string, step: string): string {
  const value = field(event, name);
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`${step}: input field '${name}' must be a non-empty string`);
  return value;
}

/** Reads a required object field of a step's input. */
export function objectOf(event: unknown, name: string, step: string): Record<string, unknown> {
  const value = field(event, name);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${step}: input field '${name}' must be an object`);
  return value as Record<string, unknown>;
}
