/**
 * Reusable flow task (seed 001, "running a redshift select query"): runs one read-only query with named
 * parameters through the Redshift Data API and hands back its rows a page at a time, so a result of any
 * size crosses the workflow in pieces. The first call runs the query and returns page one with the
 * statement id; while `nextToken` is set, the workflow calls again with `{ statementId, nextToken }`
 * (the Data API keeps a result for 24 hours). Only SELECT / WITH queries are accepted, so a workflow
 * cannot change data through the task meant for reading it.
 */
import { execute, resultPage, type SqlRow } from '../../shared/sql.ts';
import { requireString } from './input.ts';

const TASK = 'demo-redshift-select';
const READ_ONLY = /^\s*(select|with)\b/i;

/** One page of the query's rows. */
export interface SelectPage {
  readonly rows: SqlRow[];
  readonly count: number;
  /** Set when the query has a result set: pass it back with `nextToken` for the next page. */
  readonly statementId?: string;
  /** Set while more pages follow. */
  readonly nextToken?: string;
}

function parametersOf(event: Record<string, unknown>): Record<string, string | number> {
  const raw = event.parameters ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${TASK}: input field 'parameters' must be an object of name -> string or number`);
  }
  const parameters: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new TypeError(`${TASK}: parameter '${name}' must be a string or a number`);
    }
    parameters[name] = value;
  }
  return parameters;
}

function page(statementId: string | undefined, rows: SqlRow[], nextToken: string | undefined): SelectPage {
  return {
    rows,
    count: rows.length,
    ...(statementId === undefined ? {} : { statementId }),
    ...(nextToken === undefined ? {} : { nextToken }),
  };
}

/**
 * The task handler: `{ sql, parameters? }` for page one, `{ statementId, nextToken }` for the next.
 *
 * @example
 * let result = await handler({ sql: 'select * from demo_members where file_key = :key', parameters: { key } });
 * while (result.nextToken) result = await handler({ statementId: result.statementId, nextToken: result.nextToken });
 */
export async function handler(event: unknown): Promise<SelectPage> {
  const input = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (input.nextToken !== undefined) {
    const statementId = requireString(event, 'statementId', TASK);
    const nextToken = requireString(event, 'nextToken', TASK);
    const next = await resultPage(statementId, nextToken);
    return page(statementId, next.rows, next.nextToken);
  }
  const sql = requireString(event, 'sql', TASK);
  if (!READ_ONLY.test(sql) || sql.replace(/;\s*$/, '').includes(';')) {
    throw new TypeError(`${TASK}: input field 'sql' must be one SELECT (or WITH ... SELECT) query`);
  }
  const statementId = await execute(sql.replace(/;\s*$/, ''), parametersOf(input));
  if (statementId === undefined) return page(undefined, [], undefined);
  const first = await resultPage(statementId);
  return page(statementId, first.rows, first.nextToken);
}
