/** The Redshift Data API over PGlite: what the edge registers under the `redshift-data` signing name. */
export { RedshiftDataError, type RedshiftDataErrorType } from './errors.ts';
export { type ColumnMetadata, type Field, toField } from './fields.ts';
export { type BoundStatement, bindNamedParameters, ParameterError, type SqlParameter } from './parameters.ts';
export {
  createRedshiftDataEmulator,
  type EmulatorLog,
  type RedshiftDataEmulator,
  type RedshiftDataEmulatorOptions,
  type StatementStatus,
} from './RedshiftDataEmulator.ts';
