/**
 * GetStatementResult returns each value as a tagged union (`{ longValue }`, `{ stringValue }`, ...) and
 * describes each column; code written against Redshift reads those tags, so PGlite's rows (fetched as
 * Postgres text) are converted the way Redshift types them: integers as longValue, floats as
 * doubleValue, DECIMAL and dates as stringValue, bytea as blobValue.
 */

/** One value of a result row, as the Data API's `Field` union. */
export type Field =
  | { readonly isNull: true }
  | { readonly booleanValue: boolean }
  | { readonly longValue: number }
  | { readonly doubleValue: number }
  | { readonly stringValue: string }
  | { readonly blobValue: string };

/** Column description as the Data API's `ColumnMetadata`. */
export interface ColumnMetadata {
  readonly name: string;
  readonly label: string;
  readonly typeName: string;
  readonly isCaseSensitive: boolean;
  readonly isCurrency: boolean;
  readonly isSigned: boolean;
  readonly nullable: number;
  readonly length: number;
  readonly precision: number;
  readonly scale: number;
  readonly schemaName: string;
  readonly tableName: string;
}

const BOOL = 16;
const BYTEA = 17;
const INTEGERS = new Set([20, 21, 23, 26]);
const FLOATS = new Set([700, 701]);
const NUMERIC = 1700;
const TEXTUAL = new Set([18, 19, 25, 1042, 1043]);

/** Postgres type names for the common OIDs; the emulator adds the rest from `pg_type` at start. */
export const BUILTIN_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'bool'],
  [17, 'bytea'],
  [18, 'char'],
  [19, 'name'],
  [20, 'int8'],
  [21, 'int2'],
  [23, 'int4'],
  [25, 'text'],
  [26, 'oid'],
  [114, 'json'],
  [700, 'float4'],
  [701, 'float8'],
  [1042, 'bpchar'],
  [1043, 'varchar'],
  [1082, 'date'],
  [1083, 'time'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1186, 'interval'],
  [1700, 'numeric'],
  [2950, 'uuid'],
  [3802, 'jsonb'],
]);

/** Converts one value in Postgres text form to a Data API field. */
export function toField(value: string | null, typeId: number): Field {
  if (value === null) return { isNull: true };
  if (typeId === BOOL) return { booleanValue: value === 't' || value === 'true' };
  if (INTEGERS.has(typeId)) return { longValue: Number(value) };
  if (FLOATS.has(typeId)) {
    const number = Number(value);
    // JSON has no NaN / Infinity; Redshift itself returns those as strings.
    return Number.isFinite(number) ? { doubleValue: number } : { stringValue: value };
  }
  if (typeId === BYTEA) {
    const hex = value.startsWith('\\x') ? value.slice(2) : value;
    return { blobValue: Buffer.from(hex, 'hex').toString('base64') };
  }
  return { stringValue: value };
}

/** Describes one result column. */
export function columnMetadata(name: string, typeId: number, typeName: string): ColumnMetadata {
  const numeric = INTEGERS.has(typeId) || FLOATS.has(typeId) || typeId === NUMERIC;
  return {
    name,
    label: name,
    typeName,
    isCaseSensitive: TEXTUAL.has(typeId),
    isCurrency: false,
    isSigned: numeric,
    nullable: 1,
    length: 0,
    precision: 0,
    scale: 0,
    schemaName: '',
    tableName: '',
  };
}
