/**
 * Redshift's `COPY table FROM 's3://bucket/prefix' ...` on the local emulation. PGlite cannot reach S3,
 * so the emulator reads the objects itself (through the stack's S3, as Redshift reads them with its IAM
 * role) and hands their bytes to Postgres' own `COPY ... FROM '/dev/blob'`. The statement is parsed here;
 * what is accepted:
 *
 * ```
 * COPY table [ ( column [, ...] ) ] FROM 's3://bucket/prefix'
 *   [ IAM_ROLE { default | 'arn' } | CREDENTIALS 'text' ] [ REGION [AS] 'region' ]
 *   [ [ FORMAT [AS] ] CSV ] [ DELIMITER [AS] 'c' ] [ IGNOREHEADER [AS] n ] [ NULL AS 'text' ]
 *   [ EMPTYASNULL ] [ BLANKSASNULL ]
 * ```
 *
 * As in Redshift, the path is a key prefix: every object whose key starts with it is loaded, and a prefix
 * with no object fails the statement. Without CSV the format is Redshift's default, text delimited by
 * `|`. Any other option fails the statement and names the option, so a script never half-works.
 */

/** A parsed COPY from S3. */
export interface S3Copy {
  readonly table: string;
  /** `(a, b)` as written, or empty. */
  readonly columns: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly csv: boolean;
  readonly delimiter: string;
  readonly ignoreHeader: number;
  readonly nullAs: string | undefined;
}

/** A COPY that names S3 but cannot be served locally; the message names the option or the problem. */
export class CopyError extends Error {
  override readonly name = 'CopyError';
}

const HEAD =
  /^\s*copy\s+((?:"[^"]+"|[a-z_][\w$]*)(?:\.(?:"[^"]+"|[a-z_][\w$]*))?)\s*(\([^)]*\))?\s+from\s+'s3:\/\/([^/']+)\/([^']*)'/i;

/** Options that change nothing locally (who reads S3, and the cluster's region). */
const IGNORED_WITH_VALUE = new Set(['IAM_ROLE', 'CREDENTIALS', 'REGION']);

/**
 * Parses `sql` when it is one Redshift COPY from S3; `undefined` for any other statement.
 *
 * @example
 * parseS3Copy("COPY stg_item FROM 's3://data/sales/item.csv' IAM_ROLE default CSV IGNOREHEADER 1")
 * // { table: 'stg_item', bucket: 'data', prefix: 'sales/item.csv', csv: true, ignoreHeader: 1, ... }
 */
export function parseS3Copy(sql: string): S3Copy | undefined {
  const text = stripComments(sql).trim().replace(/;\s*$/, '');
  const head = HEAD.exec(text);
  if (head === null) return undefined;
  const [matched, table = '', columns = '', bucket = '', prefix = ''] = head;
  const tokens = tokenize(text.slice(matched.length));
  let csv = false;
  let delimiter: string | undefined;
  let ignoreHeader = 0;
  let nullAs: string | undefined;
  const next = (option: string): string => {
    let value = tokens.shift();
    if (value?.toUpperCase() === 'AS') value = tokens.shift();
    if (value === undefined) throw new CopyError(`COPY ${table}: ${option} needs a value`);
    return value;
  };
  while (tokens.length > 0) {
    const token = tokens.shift() ?? '';
    const option = token.toUpperCase();
    if (IGNORED_WITH_VALUE.has(option)) next(option);
    else if (option === 'FORMAT') {
      const format = next(option).toUpperCase();
      if (format !== 'CSV')
        throw new CopyError(`COPY ${table}: FORMAT ${format} is not served locally (CSV is)`);
      csv = true;
    } else if (option === 'CSV') csv = true;
    else if (option === 'DELIMITER') delimiter = unquote(next(option), table, option);
    else if (option === 'IGNOREHEADER') {
      ignoreHeader = Number(next(option));
      if (!Number.isInteger(ignoreHeader) || ignoreHeader < 0)
        throw new CopyError(`COPY ${table}: IGNOREHEADER needs a whole number`);
    } else if (option === 'NULL') nullAs = unquote(next(option), table, option);
    else if (option === 'EMPTYASNULL' || option === 'BLANKSASNULL') continue;
    else throw new CopyError(`COPY ${table}: option ${token} is not served by the local Redshift emulation`);
  }
  return {
    table,
    columns,
    bucket,
    prefix,
    csv,
    delimiter: delimiter ?? (csv ? ',' : '|'),
    ignoreHeader,
    nullAs,
  };
}

/**
 * The Postgres statement that loads the objects' bytes (given to PGlite as `/dev/blob`), and the bytes:
 * each object's first `ignoreHeader` lines dropped, the objects joined in key order.
 */
export function postgresCopy(copy: S3Copy, objects: readonly string[]): { sql: string; blob: string } {
  const options = [`FORMAT ${copy.csv ? 'csv' : 'text'}`, `DELIMITER ${literal(copy.delimiter)}`];
  if (copy.nullAs !== undefined) options.push(`NULL ${literal(copy.nullAs)}`);
  const blob = objects
    .map((body) => {
      const lines = body.split(/\r?\n/).slice(copy.ignoreHeader);
      while (lines.length > 0 && lines.at(-1) === '') lines.pop();
      return lines.map((line) => `${line}\n`).join('');
    })
    .join('');
  return {
    sql: `COPY ${copy.table} ${copy.columns} FROM '/dev/blob' WITH (${options.join(', ')})`,
    blob,
  };
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function unquote(token: string, table: string, option: string): string {
  if (!token.startsWith("'") || !token.endsWith("'") || token.length < 2)
    throw new CopyError(`COPY ${table}: ${option} takes a quoted string`);
  return token.slice(1, -1).replaceAll("''", "'");
}

/** Words and single-quoted strings ('' inside a string is one quote). */
function tokenize(text: string): string[] {
  return text.match(/'(?:[^']|'')*'|[^\s']+/g) ?? [];
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}
