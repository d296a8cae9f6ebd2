/**
 * Executions in DynamoDB (the executions table, schema in router/config.ts). One item per execution;
 * writes are conditional on `rev` (and, for a claim, on the key being absent or expired), which is all
 * the exclusion the runtime needs. Round trips per record: the batch pre-check is one BatchGetItem per
 * 100 records, a new execution one PutItem, each checkpoint one UpdateItem, completion one UpdateItem.
 * A standard execution that ran to its end before it was ever written is inserted finished: a PartiQL
 * `INSERT` (which fails alone when the key exists), gathered with the other executions finishing at the
 * same time into `BatchExecuteStatement`s of up to 25 (`bulkInsert.ts`).
 *
 * ```
 * claim:      PutItem  if attribute_not_exists(pk) OR expiresAt <= now (as isExpired reads it)
 * finished:   INSERT (batched); key exists -> read: live -> duplicate / in-flight, expired -> as claim
 *   failed -> read (BatchGet result or GetItem; the local DynamoDB ignores ReturnValuesOnConditionCheckFailure)
 *             terminal -> duplicate | live lease -> in-flight | WAITING not due -> waiting
 *             else     -> UpdateItem lease, rev+1  if rev = :seen      (take-over, resume from checkpoint)
 * checkpoint: UpdateItem state, lease, rev+1        if rev = :rev AND leaseOwner = :me
 * complete:   UpdateItem status, expiresAt, rev+1   if rev = :rev AND leaseOwner = :me
 * ```
 * Large values (checkpoint, history, input, output, error, cause) go to S3 before the write that
 * references them (see `payloads.ts`): a value over 64 KiB, or the largest ones while the item would
 * exceed 128 KiB. Reads that lead to running the execution (`get`, `find`, a resuming claim) read them
 * back; the batch pre-check and the due listing do not.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { MARSHALL_OPTIONS } from '../aws/index.ts';
import { isRetryableAwsError, LeaseLostError, StoreUnavailableError } from '../errors.ts';
import { overlay } from '../records.ts';
import { isoTime } from '../time.ts';
import { bulkInserts, type InsertOutcome } from './bulkInsert.ts';
import { countStatus, listPage } from './dynamoListings.ts';
import {
  appliedCallbacksAfter,
  type CheckpointUpdate,
  type ClaimRequest,
  type ClaimResult,
  type Completion,
  claimedRecord,
  classifyExisting,
  completionFields,
  type ExecutionKey,
  type ExecutionListQuery,
  type ExecutionPage,
  type ExecutionPageQuery,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  engineOfExecutionId,
  executionMapKey,
  finishedClaimConflict,
  isExpired,
  REOPEN_REMOVES,
  type ReopenUpdate,
  reopenedValues,
  type StatusCount,
  withoutCheckpoint,
  withoutDue,
  withoutTerminal,
} from './ExecutionStore.ts';
import type { GroupCommit } from './groupCommit.ts';
import { inChunks, LEFTOVER_ROUNDS, leftoverBackoff } from './inChunks.ts';
import {
  attemptsItemKey,
  DUE_PARTITIONS,
  dueIndexKeys,
  executionItemKey,
  fixedItemBytes,
  fromItem,
  statusIndexKeys,
  toItem,
} from './items.ts';
import {
  hasValue,
  isSettled,
  LARGE_FIELDS,
  type LargeField,
  type PayloadStore,
  placeInline,
  placeValues,
  resolveValues,
  withRefs,
} from './payloads.ts';

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
/** Failure counts outlive any realistic retry window, then vanish. */
const ATTEMPTS_RETENTION_SECONDS = 7 * 24 * 3600;

/** Where executions are kept. */
export interface DynamoDBExecutionStoreOptions {
  readonly dynamodb: DynamoDBDocumentClient;
  /** The executions table (`router/config.ts` `executionsTable`). */
  readonly table: string;
  /** Where values too large for an item go: S3 under the engines bucket (`S3PayloadStore`). */
  readonly payloads: PayloadStore;
}

/** `ExecutionStore` over the executions table. */
export class DynamoDBExecutionStore implements ExecutionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly payloads: PayloadStore;

  /** New finished records, gathered from concurrent executions into bulk inserts. */
  private readonly inserts: GroupCommit<Record<string, unknown>, InsertOutcome>;

  constructor(options: DynamoDBExecutionStoreOptions) {
    this.client = options.dynamodb;
    this.tableName = options.table;
    this.payloads = options.payloads;
    this.inserts = bulkInserts({
      client: this.client,
      tableName: this.tableName,
      guard: (call) => this.guard(call),
    });
  }

  async peek(keys: readonly ExecutionKey[], now: number): Promise<Map<string, ExecutionRecord>> {
    const found = new Map<string, ExecutionRecord>();
    const unique = [...new Map(keys.map((k) => [executionMapKey(k), k])).values()];
    await inChunks(unique, BATCH_GET_LIMIT, async (chunk) => {
      let request = chunk.map((key) => marshall(executionItemKey(key), MARSHALL_OPTIONS));
      for (let round = 0; request.length > 0; round += 1) {
        if (round > LEFTOVER_ROUNDS) {
          throw new StoreUnavailableError('BatchGetItem kept returning unprocessed keys');
        }
        await leftoverBackoff(round);
        const result = await this.guard(
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.tableName]: { Keys: request, ConsistentRead: true } },
            }),
          ),
        );
        for (const attributes of result.Responses?.[this.tableName] ?? []) {
          const item = unmarshall(attributes);
          if (typeof item.status !== 'string') continue;
          const record = fromItem(item);
          if (!isExpired(record, now)) found.set(executionMapKey(record), record);
        }
        request = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    });
    return found;
  }

  async claim(request: ClaimRequest, known?: ExecutionRecord | null): Promise<ClaimResult> {
    let existing = known === undefined ? undefined : known;
    if (existing === null || existing === undefined) {
      const fresh = claimedRecord(request);
      if (await this.putNew(fresh, request.now)) return { kind: 'claimed', record: fresh };
      existing = await this.read(request);
      if (existing === undefined) return this.claim(request, null);
    }
    if (isExpired(existing, request.now)) return this.claim(request, null);
    const verdict = classifyExisting(existing, request.now, request.wake);
    if (verdict !== 'take-over') return { kind: verdict, record: existing };
    const taken = await this.takeOver(existing, request);
    if (taken === undefined) return { kind: 'in-flight', record: existing };
    return { kind: 'resumed', record: await this.resolve(taken, ['checkpoint', 'history']) };
  }

  async claimFinished(request: ClaimRequest, completion: Completion): Promise<ClaimResult> {
    const { leaseOwner: _owner, leaseExpiresAt: _lease, ...claimed } = claimedRecord(request);
    const next = await this.finished(claimed, claimed.rev, completion);
    const outcome = await this.inserts.submit(toItem(next));
    if (outcome === 'inserted') return { kind: 'claimed', record: next };
    if (outcome !== 'exists') throw outcome.error;
    // An expired record of the key is replaced, as a claim replaces it; a live one is the answer.
    for (;;) {
      const existing = await this.read(request);
      if (existing !== undefined && !isExpired(existing, request.now)) {
        return finishedClaimConflict(existing, request.now);
      }
      if (await this.putNew(next, request.now)) return { kind: 'claimed', record: next };
    }
  }

  /** Creates the record unless a live one holds its key (an expired one is replaced); false when one does. */
  private async putNew(record: ExecutionRecord, now: number): Promise<boolean> {
    try {
      await this.guard(
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: toItem(record),
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
            ExpressionAttributeValues: { ':nowSeconds': Math.floor(now / 1000) },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async checkpoint(record: ExecutionRecord, update: CheckpointUpdate): Promise<ExecutionRecord> {
    const status = update.status ?? 'RUNNING';
    const callbacks = appliedCallbacksAfter(record, update);
    const values = {
      checkpoint: update.checkpoint,
      ...(update.history === undefined ? {} : { history: update.history }),
    };
    const unplaced: ExecutionRecord = overlay(update.dueAt === undefined ? withoutDue(record) : record, {
      status,
      rev: record.rev + 1,
      leaseExpiresAt: update.now + update.leaseMs,
      updatedAt: isoTime(update.now),
      ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
      ...(callbacks === undefined ? {} : { callbacks }),
      ...(update.children === undefined ? {} : { children: update.children }),
    });
    const placed = await placeValues(
      this.payloads,
      record,
      { set: values },
      fixedItemBytes(unplaced),
      'live',
    );
    const next = withRefs(overlay(unplaced, values), placed.refs);
    // A RUNNING execution is due when its lease expires: if its owner dies, the sweep resumes it.
    const due =
      status === 'WAITING' && update.dueAt !== undefined
        ? dueIndexKeys(next, update.dueAt)
        : status === 'RUNNING'
          ? dueIndexKeys(next, next.leaseExpiresAt ?? update.now)
          : undefined;
    await this.conditionalUpdate(record, {
      set: {
        status,
        ...placed.set,
        leaseExpiresAt: next.leaseExpiresAt,
        updatedAt: next.updatedAt,
        ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
        ...(update.appliedCallback === undefined || callbacks === undefined ? {} : { callbacks }),
        ...(update.children === undefined ? {} : { children: update.children }),
        ...(due ?? {}),
      },
      remove: [
        ...(due === undefined ? ['gsi1pk', 'gsi1sk'] : []),
        ...(update.dueAt === undefined ? ['dueAt'] : []),
      ],
    });
    return next;
  }

  async complete(record: ExecutionRecord, completion: Completion): Promise<ExecutionRecord> {
    const expiresAt = Math.floor(completion.now / 1000) + completion.retentionSeconds;
    const values = completionFields(completion);
    const callbacks =
      completion.appliedCallback === undefined ? undefined : appliedCallbacksAfter(record, completion);
    const unplaced: ExecutionRecord = withoutDue(
      overlay(completion.checkpoint === null ? withoutCheckpoint(record) : record, {
        status: completion.status,
        rev: record.rev + 1,
        updatedAt: isoTime(completion.now),
        expiresAt,
        ...(callbacks === undefined ? {} : { callbacks }),
      }),
    );
    const placed = await placeValues(
      this.payloads,
      record,
      { set: values, remove: completion.checkpoint === null ? ['checkpoint'] : [] },
      fixedItemBytes(unplaced),
      'done',
    );
    const next = withRefs(overlay(unplaced, values), placed.refs);
    await this.conditionalUpdate(record, {
      set: {
        status: completion.status,
        updatedAt: next.updatedAt,
        expiresAt,
        ...(callbacks === undefined ? {} : { callbacks }),
        ...placed.set,
      },
      remove: [
        'gsi1pk',
        'gsi1sk',
        'dueAt',
        'leaseOwner',
        'leaseExpiresAt',
        ...(completion.checkpoint === null ? ['checkpoint'] : []),
      ],
    });
    return next;
  }

  async completeMany(
    items: readonly {
      readonly record: Omit<ExecutionRecord, 'rev' | 'attempts'>;
      readonly completion: Completion;
    }[],
  ): Promise<void> {
    // Marshalled here and sent as the low-level command (as `peek` reads): the document client would
    // walk every request again to find the items it marshals, a cost each express record pays.
    const finishing = items.map(({ record, completion }) => this.finished(record, 1, completion));
    const finished = finishing.every(isSettled) ? finishing : await Promise.all(finishing);
    const puts = finished.map((record) => marshall(toItem(record), MARSHALL_OPTIONS));
    await inChunks(puts, BATCH_WRITE_LIMIT, async (chunk) => {
      let requests: WriteRequest[] = chunk.map((Item) => ({ PutRequest: { Item } }));
      for (let round = 0; requests.length > 0; round += 1) {
        if (round > LEFTOVER_ROUNDS) {
          throw new StoreUnavailableError('BatchWriteItem kept returning unprocessed items');
        }
        await leftoverBackoff(round);
        const result = await this.guard(
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } })),
        );
        requests = result.UnprocessedItems?.[this.tableName] ?? [];
      }
    });
  }

  /** The record a finished execution is written as, its large values placed in S3 where they must be. */
  private finished(
    record: Omit<ExecutionRecord, 'rev'>,
    rev: number,
    completion: Completion,
  ): ExecutionRecord | Promise<ExecutionRecord> {
    const unplaced: ExecutionRecord = withoutDue(
      overlay(record, {
        rev,
        status: completion.status,
        updatedAt: isoTime(completion.now),
        expiresAt: Math.floor(completion.now / 1000) + completion.retentionSeconds,
      }),
    );
    const values = completionFields(completion);
    const change = { set: values };
    const otherBytes = fixedItemBytes(unplaced);
    // Most finished records keep every value inline, and need not wait for anything.
    const inline = placeInline(unplaced, change, otherBytes);
    if (inline !== undefined) return withRefs(overlay(unplaced, values), inline.refs);
    return placeValues(this.payloads, unplaced, change, otherBytes, 'done').then((placed) =>
      withRefs(overlay(unplaced, values), placed.refs),
    );
  }

  async recordFailure(key: ExecutionKey, now: number): Promise<number> {
    const result = await this.guard(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: attemptsItemKey(key),
          UpdateExpression: 'ADD attempts :one SET updatedAt = :at, expiresAt = :expires',
          ExpressionAttributeValues: {
            ':one': 1,
            ':at': isoTime(now),
            ':expires': Math.floor(now / 1000) + ATTEMPTS_RETENTION_SECONDS,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    await this.guard(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: executionItemKey(key),
          UpdateExpression: 'SET leaseExpiresAt = :now',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': now, ':running': 'RUNNING' },
        }),
      ),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
    return Number(result.Attributes?.attempts ?? 1);
  }

  /** The record as its item holds it (values kept by reference not read). */
  private async read(key: ExecutionKey): Promise<ExecutionRecord | undefined> {
    const result = await this.guard(
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: executionItemKey(key), ConsistentRead: true }),
      ),
    );
    if (result.Item === undefined || typeof result.Item.status !== 'string') return undefined;
    return fromItem(result.Item);
  }

  async get(key: ExecutionKey): Promise<ExecutionRecord | undefined> {
    const record = await this.read(key);
    return record === undefined ? undefined : this.resolve(record);
  }

  async listDue(now: number, limit: number): Promise<ExecutionRecord[]> {
    const upTo = `${String(now).padStart(15, '0')}#~`;
    const pages = await Promise.all(
      Array.from({ length: DUE_PARTITIONS }, (_, partition) =>
        this.guard(
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'gsi1',
              KeyConditionExpression: 'gsi1pk = :p AND gsi1sk <= :upTo',
              ExpressionAttributeValues: { ':p': `DUE#${partition}`, ':upTo': upTo },
              Limit: limit,
            }),
          ),
        ),
      ),
    );
    return pages
      .flatMap((page) => page.Items ?? [])
      .map(fromItem)
      .filter((r) => r.status === 'WAITING' || (r.status === 'RUNNING' && (r.leaseExpiresAt ?? 0) <= now))
      .sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0))
      .slice(0, limit);
  }

  async find(executionId: string, startTime?: number): Promise<ExecutionRecord | undefined> {
    const engine = engineOfExecutionId(executionId);
    if (engine === undefined) return undefined;
    const exact = startTime !== undefined && Number.isFinite(startTime);
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.guard(
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'gsi2',
            KeyConditionExpression: exact ? 'gsi2pk = :p AND gsi2sk = :s' : 'gsi2pk = :p',
            ...(exact ? {} : { FilterExpression: 'executionId = :id' }),
            ExpressionAttributeValues: {
              ':p': `ENGINE#${engine}`,
              ...(exact ? { ':s': `${isoTime(startTime)}#${executionId}` } : { ':id': executionId }),
            },
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      const item = page.Items?.find((i) => i.executionId === executionId && typeof i.status === 'string');
      if (item !== undefined) return this.resolve(fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return undefined;
  }

  async list(query: ExecutionListQuery): Promise<ExecutionRecord[]> {
    const found: ExecutionRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    const filter =
      query.status === undefined ? undefined : { expression: '#status = :status', value: query.status };
    do {
      const common = {
        TableName: this.tableName,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        ...(filter === undefined ? {} : { ExpressionAttributeNames: { '#status': 'status' } }),
      };
      const page =
        query.engine === undefined
          ? await this.guard(
              this.client.send(
                new ScanCommand({
                  ...common,
                  FilterExpression: `sk = :exec${filter === undefined ? '' : ` AND ${filter.expression}`}`,
                  ExpressionAttributeValues: {
                    ':exec': 'EXEC',
                    ...(filter === undefined ? {} : { ':status': filter.value }),
                  },
                }),
              ),
            )
          : await this.guard(
              this.client.send(
                new QueryCommand({
                  ...common,
                  IndexName: 'gsi2',
                  KeyConditionExpression: 'gsi2pk = :p',
                  ScanIndexForward: false,
                  ...(filter === undefined ? {} : { FilterExpression: filter.expression }),
                  ExpressionAttributeValues: {
                    ':p': `ENGINE#${query.engine}`,
                    ...(filter === undefined ? {} : { ':status': filter.value }),
                  },
                }),
              ),
            );
      for (const item of page.Items ?? []) {
        if (typeof item.status === 'string') found.push(fromItem(item));
      }
      startKey =
        query.engine !== undefined && found.length >= query.limit ? undefined : page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return found
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
      .slice(0, query.limit);
  }

  listPage(query: ExecutionPageQuery): Promise<ExecutionPage> {
    return listPage(this.query, query);
  }

  countStatus(
    engine: string,
    status: ExecutionStatus,
    bounds: { readonly from?: string; readonly to?: string },
    cap: number,
  ): Promise<StatusCount> {
    return countStatus(this.query, engine, status, bounds, cap);
  }

  /** A Query on the table, with transient failures turned into the router's retryable error. */
  private readonly query = (input: Omit<QueryCommandInput, 'TableName'>): Promise<QueryCommandOutput> =>
    this.guard(this.client.send(new QueryCommand({ ...input, TableName: this.tableName })));

  async reopen(record: ExecutionRecord, update: ReopenUpdate): Promise<ExecutionRecord> {
    const values = await reopenedValues(this.payloads, record, update, this.label(record));
    const unplaced: ExecutionRecord = overlay(withoutTerminal(record), {
      status: update.status,
      rev: record.rev + 1,
      leaseExpiresAt: update.now,
      updatedAt: isoTime(update.now),
      ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
    });
    const placed = await placeValues(
      this.payloads,
      record,
      { set: values, remove: REOPEN_REMOVES },
      fixedItemBytes(unplaced),
      'live',
    );
    const next = withRefs(overlay(unplaced, values), placed.refs);
    const due =
      update.status === 'WAITING' && update.dueAt !== undefined
        ? dueIndexKeys(next, update.dueAt)
        : update.status === 'RUNNING'
          ? dueIndexKeys(next, update.now)
          : undefined;
    await this.conditionalUpdate(
      record,
      {
        set: {
          status: update.status,
          leaseExpiresAt: update.now,
          updatedAt: next.updatedAt,
          ...placed.set,
          ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
          ...(due ?? {}),
        },
        remove: ['expiresAt', 'error', 'cause', 'output', 'leaseOwner', 'dueAt', 'gsi1pk', 'gsi1sk'],
      },
      false,
    );
    await this.guard(
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: attemptsItemKey(record) })),
    );
    return next;
  }

  /** Reads back the values of `fields` the record keeps by reference. */
  private resolve(
    record: ExecutionRecord,
    fields: readonly LargeField[] = LARGE_FIELDS,
  ): Promise<ExecutionRecord> {
    return resolveValues(this.payloads, record, this.label(record), fields);
  }

  private label(record: ExecutionRecord): string {
    return `execution ${record.executionId} (${record.engine})`;
  }

  private async takeOver(
    existing: ExecutionRecord,
    request: ClaimRequest,
  ): Promise<ExecutionRecord | undefined> {
    const next: ExecutionRecord = overlay(existing, {
      status: 'RUNNING' as const,
      rev: existing.rev + 1,
      leaseOwner: request.owner,
      leaseExpiresAt: request.now + request.leaseMs,
      updatedAt: isoTime(request.now),
    });
    try {
      await this.conditionalUpdate(
        existing,
        {
          set: {
            status: 'RUNNING',
            leaseOwner: request.owner,
            leaseExpiresAt: next.leaseExpiresAt,
            updatedAt: next.updatedAt,
            // Due again when this lease expires, so a resumed execution whose owner dies is not lost.
            ...(hasValue(existing, 'checkpoint')
              ? dueIndexKeys(next, next.leaseExpiresAt ?? request.now)
              : {}),
          },
          remove: hasValue(existing, 'checkpoint') ? [] : ['gsi1pk', 'gsi1sk'],
        },
        false,
      );
    } catch (error) {
      if (error instanceof LeaseLostError) return undefined;
      throw error;
    }
    return next;
  }

  /** UpdateItem conditional on the revision (and the lease owner unless taking over); rev + 1. */
  private async conditionalUpdate(
    record: ExecutionRecord,
    change: { readonly set: Record<string, unknown>; readonly remove: readonly string[] },
    requireOwner = true,
  ): Promise<void> {
    const names: Record<string, string> = { '#rev': 'rev' };
    const values: Record<string, unknown> = { ':rev': record.rev, ':one': 1 };
    const sets = ['#rev = #rev + :one'];
    let n = 0;
    const status = change.set.status as ExecutionStatus | undefined;
    const set = status === undefined ? change.set : overlay(change.set, statusIndexKeys(record, status));
    for (const [field, value] of Object.entries(set)) {
      n += 1;
      names[`#f${n}`] = field;
      values[`:v${n}`] = value;
      sets.push(`#f${n} = :v${n}`);
    }
    const removes = change.remove
      .filter((field) => !(field in set))
      .map((field) => {
        n += 1;
        names[`#f${n}`] = field;
        return `#f${n}`;
      });
    let condition = '#rev = :rev';
    if (requireOwner && record.leaseOwner !== undefined) {
      names['#owner'] = 'leaseOwner';
      values[':owner'] = record.leaseOwner;
      condition += ' AND #owner = :owner';
    }
    try {
      await this.guard(
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: executionItemKey(record),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new LeaseLostError(
          `execution ${record.executionId} (${record.engine}) moved on: revision ${record.rev} is no longer current`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Turns transient store failures into the router's retryable error; conditional failures pass through. */
  private async guard<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      if (isRetryableAwsError(error)) {
        throw new StoreUnavailableError(`executions table ${this.tableName}: ${describe(error)}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
