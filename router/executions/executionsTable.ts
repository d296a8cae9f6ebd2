/** The executions table's physical schema, beside its store: the local bootstrap and the CDK app both build it from here. */

import type { TableSchema } from '../config.ts';

/**
 * Executions. Items (pk / sk):
 * - `EXEC#engine#dedupKey` / `EXEC`: the execution (status, version, lease, checkpoint, history);
 * GSI1 `due` (gsi1pk = `DUE#bucket`, gsi1sk = due time ISO + id): WAITING executions by due time, so the
 * sweep queries instead of scanning; GSI2 `byEngine` (gsi2pk = `ENGINE#name`, gsi2sk = start time):
 * listing executions per engine; GSI3 `byStatus` (gsi3pk = `STATUS#engine#status`, gsi3sk = start time):
 * one engine's executions with one status, rewritten with every status change, so the console pages and
 * counts FAILED executions without reading the SUCCEEDED ones. `expiresAt` (epoch seconds) is the TTL
 * attribute.
 */
export const EXECUTIONS_TABLE_SCHEMA: TableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  ],
  ttlAttribute: 'expiresAt',
};
