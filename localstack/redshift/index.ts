/** The Redshift Data API over PGlite: what the edge registers under the `redshift-data` signing name. */
export { toField } from './fields.ts';
export { bindNamedParameters } from './parameters.ts';
export { createRedshiftDataEmulator } from './RedshiftDataEmulator.ts';
