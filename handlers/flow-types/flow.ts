/**
 * The four flows of seed 000 and how each one filters the source data: which date column drives the
 * incremental load and from when. The graph picks the flow from `batch_execution_params`; the steps here
 * turn it into concrete filters, so the validation, download and unlocking Lambdas share one definition.
 */

/** Flow types as the graph names them after normalising `batch_execution_params`. */
export type FlowType = 'NORMAL' | 'RE-SPECS' | 'FULL_LOAD' | 'SOLD';

/** What the graph's per-flow Pass state hands the steps. */
export interface FlowConfig {
  readonly type: FlowType;
  /** Column the incremental load filters on. */
  readonly date_field: 'last_modified_date' | 'sold_date';
  /** Fixed start of the window (Re-specs: 1990-01-01, Sold: first day of the sold year). */
  readonly start?: string;
  /** Backdated flow: how many days before the run to start. */
  readonly backdate_days?: number;
  /** Re-specs flow: the attributes update query from `batch_execution_params.Sql`. */
  readonly attributes_sql?: string;
}

/** The window the download uses. */
export interface FlowFilters {
  readonly type: FlowType;
  readonly date_field: FlowConfig['date_field'];
  /** Inclusive start, `YYYY-MM-DD`. */
  readonly from: string;
  /** Exclusive end: the run's start time, `YYYY-MM-DD`. */
  readonly to: string;
  readonly attributes_sql?: string;
}

const TYPES = new Set<string>(['NORMAL', 'RE-SPECS', 'FULL_LOAD', 'SOLD']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

/** Reads and checks the `flow` object the graph passes, naming the step and the bad field. */
export function flowConfigOf(value: unknown, step: string): FlowConfig {
  const flow = object(value, `${step}: input field 'flow'`);
  const type = flow.type;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw new TypeError(
      `${step}: flow.type must be one of ${[...TYPES].join(', ')}, got ${JSON.stringify(type ?? null)}`,
    );
  }
  const dateField = flow.date_field;
  if (dateField !== 'last_modified_date' && dateField !== 'sold_date') {
    throw new TypeError(`${step}: flow.date_field must be last_modified_date or sold_date`);
  }
  if (flow.start !== undefined && (typeof flow.start !== 'string' || !DATE.test(flow.start))) {
    throw new TypeError(`${step}: flow.start must be a date YYYY-MM-DD`);
  }
  if (
    flow.backdate_days !== undefined &&
    (typeof flow.backdate_days !== 'number' || !(flow.backdate_days >= 0))
  ) {
    throw new TypeError(`${step}: flow.backdate_days must be a number of days, 0 or more`);
  }
  return {
    type: type as FlowType,
    date_field: dateField,
    ...(typeof flow.start === 'string' ? { start: flow.start } : {}),
    ...(typeof flow.backdate_days === 'number' ? { backdate_days: flow.backdate_days } : {}),
    ...(typeof flow.attributes_sql === 'string' ? { attributes_sql: flow.attributes_sql } : {}),
  };
}

/** Reads `YYYY-MM-DD` or an ISO timestamp as a UTC date string. */
export function isoDate(value: unknown, what: string): string {
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new TypeError(`${what} must be a date or an ISO timestamp`);
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * The window of one run. NORMAL starts at the last watermark (incremental; the epoch on a first run),
 * RE-SPECS and SOLD at their fixed start, FULL_LOAD `backdate_days` before the run.
 */
export function filtersFor(flow: FlowConfig, asOf: string, watermark: string | undefined): FlowFilters {
  const to = isoDate(asOf, 'as_of');
  let from: string;
  switch (flow.type) {
    case 'NORMAL':
      from = watermark ?? '1970-01-01';
      break;
    case 'FULL_LOAD':
      from = new Date(Date.parse(to) - (flow.backdate_days ?? 30) * 86_400_000).toISOString().slice(0, 10);
      break;
    default:
      from = flow.start ?? '1990-01-01';
  }
  return {
    type: flow.type,
    date_field: flow.date_field,
    from,
    to,
    ...(flow.attributes_sql === undefined ? {} : { attributes_sql: flow.attributes_sql }),
  };
}

/** Reads a required string field of a step's input. */
export function stringOf(event: unknown, field: string, step: string): string {
  const value = object(event, `${step}: input`)[field];
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`${step}: input field '${field}' must be a non-empty string`);
  return value;
}
