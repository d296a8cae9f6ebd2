/**
 * The Redshift Data API names SQL parameters (`:id`, with `Parameters: [{ name, value }]`); Postgres
 * numbers them (`$1`). Graphs and steps write the Redshift form, so the emulator rewrites it before
 * PGlite sees the statement. The scanner skips everything that may legitimately contain a colon
 * (string literals, quoted identifiers, comments, dollar-quoted bodies, `::` casts, array slices).
 */

/** A Redshift Data API SQL parameter: values always travel as strings and are typed by the statement. */
export interface SqlParameter {
  readonly name: string;
  readonly value: string;
}

/** A statement rewritten to Postgres placeholders, with the values in placeholder order. */
export interface BoundStatement {
  readonly text: string;
  readonly values: string[];
}

/** Raised when a statement names a parameter it was not given; the emulator maps it to ValidationException. */
export class ParameterError extends Error {
  override readonly name = 'ParameterError';
}

const NAME_CHAR = /[0-9A-Za-z_]/;
const IDENT_START = /[A-Za-z_]/;

/**
 * Rewrites `:name` placeholders to `$n` (a name used twice binds once).
 *
 * @example
 * bindNamedParameters('select * from t where id = :id and x::text = :id', [{ name: 'id', value: '7' }])
 * // { text: 'select * from t where id = $1 and x::text = $1', values: ['7'] }
 */
export function bindNamedParameters(sql: string, parameters: readonly SqlParameter[] = []): BoundStatement {
  const given = new Map<string, string>();
  for (const parameter of parameters) {
    if (given.has(parameter.name)) {
      throw new ParameterError(`Parameter '${parameter.name}' is given more than once`);
    }
    given.set(parameter.name, parameter.value);
  }
  const positions = new Map<string, number>();
  const values: string[] = [];
  const missing = new Set<string>();
  let text = '';
  let i = 0;
  while (i < sql.length) {
    const char = sql[i] ?? '';
    const next = sql[i + 1] ?? '';
    const skipTo = skipLiteral(sql, i);
    if (skipTo > i) {
      text += sql.slice(i, skipTo);
      i = skipTo;
      continue;
    }
    if (char === ':' && next === ':') {
      text += '::';
      i += 2;
      continue;
    }
    if (char === ':' && NAME_CHAR.test(next)) {
      let end = i + 1;
      while (end < sql.length && NAME_CHAR.test(sql[end] ?? '')) end += 1;
      const name = sql.slice(i + 1, end);
      const value = given.get(name);
      if (value !== undefined) {
        let position = positions.get(name);
        if (position === undefined) {
          values.push(value);
          position = values.length;
          positions.set(name, position);
        }
        text += `$${position}`;
        i = end;
        continue;
      }
      // `a[1:2]` is an array slice, not a parameter; a name starting with a letter must be given.
      if (IDENT_START.test(next)) missing.add(name);
      text += sql.slice(i, end);
      i = end;
      continue;
    }
    text += char;
    i += 1;
  }
  if (missing.size > 0) {
    const names = [...missing].map((name) => `:${name}`).join(', ');
    throw new ParameterError(`The SQL statement uses ${names} but no value for it was given in Parameters`);
  }
  return { text, values };
}

/** If a literal, quoted identifier or comment starts at `i`, returns the index after it; else `i`. */
function skipLiteral(sql: string, i: number): number {
  const char = sql[i];
  const next = sql[i + 1];
  if (char === "'") {
    const escapes = i > 0 && /[eE]/.test(sql[i - 1] ?? '') && !NAME_CHAR.test(sql[i - 2] ?? '');
    let j = i + 1;
    while (j < sql.length) {
      if (escapes && sql[j] === '\\') j += 2;
      else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
      else if (sql[j] === "'") return j + 1;
      else j += 1;
    }
    return sql.length;
  }
  if (char === '"') {
    const end = sql.indexOf('"', i + 1);
    return end < 0 ? sql.length : end + 1;
  }
  if (char === '-' && next === '-') {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end + 1;
  }
  if (char === '/' && next === '*') {
    let depth = 1;
    let j = i + 2;
    while (j < sql.length && depth > 0) {
      if (sql[j] === '/' && sql[j + 1] === '*') {
        depth += 1;
        j += 2;
      } else if (sql[j] === '*' && sql[j + 1] === '/') {
        depth -= 1;
        j += 2;
      } else j += 1;
    }
    return j;
  }
  if (char === '$' && !NAME_CHAR.test(sql[i - 1] ?? '')) {
    const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
    if (tag !== null) {
      const end = sql.indexOf(tag[0], i + tag[0].length);
      return end < 0 ? sql.length : end + tag[0].length;
    }
  }
  return i;
}
