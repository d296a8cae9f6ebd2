/**
 * The executions table's listing reads: a page of one engine's executions (by start time, or by status
 * through `gsi3`), bounded in what it reads, and a capped count per status. Kept apart from the store's
 * writes, which they share no logic with.
 */
import type { QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import {
  type ExecutionPage,
  type ExecutionPageQuery,
  type ExecutionRecord,
  type ExecutionStatus,
  isExpired,
  listingSortKey,
  matchesPageFilters,
  type StatusCount,
} from './ExecutionStore.ts';
import { fromItem, statusPartition } from './items.ts';

/** Runs one Query on the executions table (the table name is the caller's). */
export type TableQuery = (input: Omit<QueryCommandInput, 'TableName'>) => Promise<QueryCommandOutput>;

/** One page of an engine's executions, newest first, reading at most `scanLimit` items. */
export async function listPage(send: TableQuery, query: ExecutionPageQuery): Promise<ExecutionPage> {
  const byStatus = query.status !== undefined;
  const index = byStatus
    ? { name: 'gsi3', pk: 'gsi3pk', sk: 'gsi3sk', partition: statusPartition(query.engine, query.status) }
    : { name: 'gsi2', pk: 'gsi2pk', sk: 'gsi2sk', partition: `ENGINE#${query.engine}` };
  const range = sortKeyRange(query);
  const filtered = query.version !== undefined || (query.text ?? '') !== '';
  const records: ExecutionRecord[] = [];
  let read = 0;
  let readTo: string | undefined;
  let startKey: Record<string, unknown> | undefined;
  const now = Date.now();
  do {
    const page = await send({
      IndexName: index.name,
      KeyConditionExpression: `${index.pk} = :p${range.condition(index.sk)}`,
      ExpressionAttributeNames:
        query.withHistory === true ? { ...LISTING_NAMES, '#h': 'history' } : LISTING_NAMES,
      ExpressionAttributeValues: { ':p': index.partition, ...range.values },
      ProjectionExpression: query.withHistory === true ? `${LISTING_PROJECTION}, #h` : LISTING_PROJECTION,
      ScanIndexForward: false,
      // Unfiltered, one more than the page tells whether more follow; filtered, read in larger steps.
      Limit: Math.min(query.scanLimit - read, filtered ? 200 : query.limit + 1 - records.length),
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    });
    for (const item of page.Items ?? []) {
      read += 1;
      readTo = String(item[index.sk]);
      if (typeof item.status !== 'string' || readTo >= (query.before ?? '\uffff')) continue;
      const record = fromItem(item);
      if (!isExpired(record, now) && matchesPageFilters(record, query)) records.push(record);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && records.length < query.limit && read < query.scanLimit);
  const shown = records.slice(0, query.limit);
  const last = shown.at(-1);
  if (records.length > query.limit && last !== undefined)
    return { records: shown, readTo: listingSortKey(last) };
  return startKey === undefined || readTo === undefined ? { records: shown } : { records: shown, readTo };
}

/** How many executions of an engine have a status, counting up to `cap`. */
export async function countStatus(
  send: TableQuery,
  engine: string,
  status: ExecutionStatus,
  bounds: { readonly from?: string; readonly to?: string },
  cap: number,
): Promise<StatusCount> {
  const range = sortKeyRange(bounds);
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await send({
      IndexName: 'gsi3',
      KeyConditionExpression: `gsi3pk = :p${range.condition('gsi3sk')}`,
      ExpressionAttributeValues: { ':p': statusPartition(engine, status), ...range.values },
      Select: 'COUNT',
      Limit: cap - count,
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    });
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && count < cap);
  return { count, capped: startKey !== undefined };
}

/** What a listing page reads of each item: the record without its large values. */
const LISTING_FIELDS = [
  'engine',
  'dedupKey',
  'executionId',
  'version',
  'mode',
  'status',
  'rev',
  'startedAt',
  'updatedAt',
  'error',
  'expiresAt',
  'origin',
  'gsi2sk',
  'gsi3sk',
];
const LISTING_NAMES = Object.fromEntries(LISTING_FIELDS.map((field, i) => [`#l${i}`, field]));
const LISTING_PROJECTION = Object.keys(LISTING_NAMES).join(', ');

/**
 * The key condition a page's bounds put on a listing sort key (`startedAt#id`): from `from` up to the
 * end of `to`'s second and below the cursor `before` (the cursor itself is dropped by the caller).
 */
function sortKeyRange(query: { readonly from?: string; readonly to?: string; readonly before?: string }): {
  condition(sk: string): string;
  values: Record<string, string>;
} {
  const upper = [query.to === undefined ? undefined : `${query.to}\uffff`, query.before]
    .filter((v): v is string => v !== undefined)
    .sort()[0];
  if (query.from !== undefined && upper !== undefined)
    return {
      condition: (sk) => ` AND ${sk} BETWEEN :lo AND :hi`,
      values: { ':lo': query.from, ':hi': upper },
    };
  if (query.from !== undefined)
    return { condition: (sk) => ` AND ${sk} >= :lo`, values: { ':lo': query.from } };
  if (upper !== undefined) return { condition: (sk) => ` AND ${sk} <= :hi`, values: { ':hi': upper } };
  return { condition: () => '', values: {} };
}
