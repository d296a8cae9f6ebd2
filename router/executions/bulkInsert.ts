/**
 * Finished records inserted in bulk: a PartiQL `INSERT` per record, which fails alone when its key
 * exists, up to 25 to a `BatchExecuteStatement`, the records of concurrent executions gathered by
 * group commit. `BatchWriteItem` takes no conditions, and a transaction would fail all of them on one
 * duplicate and cost twice the write capacity.
 */
import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  type BatchStatementRequest,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { convertToAttr } from '@aws-sdk/util-dynamodb';
import { MARSHALL_OPTIONS } from '../aws/index.ts';
import { StoreUnavailableError } from '../errors.ts';
import { GroupCommit } from './groupCommit.ts';
import { LEFTOVER_ROUNDS, leftoverBackoff, PARALLEL_BATCH_REQUESTS } from './inChunks.ts';

/** What one bulk insert did to one record: written, refused because its key exists, or failed alone. */
export type InsertOutcome = 'inserted' | 'exists' | { readonly error: Error };

/** Where the records go. */
export interface BulkInsertDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Turns a whole request's transient failure into the router's retryable error. */
  readonly guard: <T>(call: Promise<T>) => Promise<T>;
}

/** Statements per `BatchExecuteStatement`: DynamoDB's limit. */
const STATEMENTS_PER_BATCH = 25;

/** Statement errors that a later request may not meet: sent again. */
const RETRIED_STATEMENT_ERRORS = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
  'TransactionConflict',
  'InternalServerError',
]);

/** The group commit that inserts items (DynamoDB items, as `toItem` builds them) into the table. */
export function bulkInserts(deps: BulkInsertDeps): GroupCommit<Record<string, unknown>, InsertOutcome> {
  return new GroupCommit((items) => insertMany(deps, items), {
    batch: STATEMENTS_PER_BATCH,
    parallel: PARALLEL_BATCH_REQUESTS,
  });
}

/**
 * One request's inserts, their outcomes in order. Throttled statements are sent again with backoff;
 * any other failure of a statement is its item's own.
 */
async function insertMany(
  deps: BulkInsertDeps,
  items: readonly Record<string, unknown>[],
): Promise<InsertOutcome[]> {
  const { tableName } = deps;
  const outcomes: (InsertOutcome | undefined)[] = items.map(() => undefined);
  let pending = items.map((_, index) => index);
  for (let round = 0; pending.length > 0; round += 1) {
    if (round > LEFTOVER_ROUNDS) {
      const error = new StoreUnavailableError(
        `executions table ${tableName}: BatchExecuteStatement kept throttling its inserts`,
      );
      for (const index of pending) outcomes[index] = { error };
      break;
    }
    await leftoverBackoff(round);
    let result: Awaited<ReturnType<typeof send>>;
    try {
      result = await send(
        deps,
        pending.map((index) => insertStatement(tableName, items[index] ?? {})),
      );
    } catch (error) {
      // The first request fails every caller; a later one only those it carried, not the inserted.
      if (round === 0) throw error;
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const index of pending) outcomes[index] = { error: failure };
      break;
    }
    const again: number[] = [];
    pending.forEach((index, position) => {
      const response = result.Responses?.[position];
      const code = response?.Error?.Code;
      if (response === undefined || (code !== undefined && RETRIED_STATEMENT_ERRORS.has(code))) {
        again.push(index);
      } else if (code === undefined) {
        outcomes[index] = 'inserted';
      } else if (code === 'DuplicateItem' || code === 'ConditionalCheckFailed') {
        outcomes[index] = 'exists';
      } else {
        outcomes[index] = {
          error: new Error(
            `executions table ${tableName}: inserting execution ${String(items[index]?.executionId)} failed: ${code}: ${response.Error?.Message ?? ''}`,
          ),
        };
      }
    });
    pending = again;
  }
  return outcomes.map(
    (outcome) => outcome ?? { error: new Error(`executions table ${tableName}: an insert had no answer`) },
  );
}

/** One `BatchExecuteStatement`, its whole-request failures made the router's retryable error. */
function send(deps: BulkInsertDeps, statements: BatchStatementRequest[]) {
  return deps.guard(deps.client.send(new BatchExecuteStatementCommand({ Statements: statements })));
}

/**
 * A PartiQL `INSERT` of `item`, its values passed as parameters, marshalled here: the low-level command
 * skips the document client's second walk over every statement.
 */
function insertStatement(table: string, item: Record<string, unknown>): BatchStatementRequest {
  const names: string[] = [];
  const values: AttributeValue[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    names.push(`'${name.replaceAll("'", "''")}': ?`);
    values.push(convertToAttr(value, MARSHALL_OPTIONS));
  }
  return { Statement: `INSERT INTO "${table}" VALUE {${names.join(', ')}}`, Parameters: values };
}
