/** The engines table's physical schema, beside its index: the local bootstrap and the CDK app both build it from here. */

import type { TableSchema } from '../config.ts';

/**
 * Engine index. Items (pk / sk):
 * - `ENGINE#name` / `VERSION#0000000042`: one immutable published version (s3 key, sha256, mode, match);
 * - `ENGINE#name` / `ALIAS#live`: the versions an alias points at, with weights;
 * - `ENGINE#name` / `META`: next version number, created / updated times;
 * - `QUARANTINE` / `time#shard#sequence`: the quarantine index (object key, reason, engine).
 * GSI1 (gsi1pk / gsi1sk) lists aliases across engines, so routes refresh in one Query.
 */
export const ENGINES_TABLE_SCHEMA: TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [{ indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
};
