/**
 * Quarantine in S3 (the raw record and the reason, one JSON object per record) indexed in the engines
 * table under pk `QUARANTINE`, so operators list by time without listing the bucket.
 *
 * Idempotency without transactions (dynalite has none):
 * ```
 * put(record) ──> GetItem QUARANTINE/id ──exists──> { created: false }        (redelivery: nothing new)
 *                      │ absent
 *                      v
 *                 PutObject quarantine/YYYY/MM/DD/shard/seq.json              (same key every time)
 *                      v
 *                 PutItem QUARANTINE/id  if attribute_not_exists(pk) ──fails──> { created: false }
 * ```
 * The object is written before the index entry, so an index entry never points at a missing object;
 * a crash between the two leaves an orphan object that the next put of the same record overwrites.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { BUCKET_PREFIXES } from '../config.ts';
import { isRetryableAwsError, StoreUnavailableError } from '../errors.ts';
import {
  type QuarantineDetail,
  type QuarantinedRecord,
  type QuarantineEntry,
  type QuarantineInput,
  type QuarantineListOptions,
  type QuarantineRef,
  type QuarantineStore,
  quarantineId,
  quarantineObjectKey,
  sinceIso,
} from './QuarantineStore.ts';

/** Partition key of the quarantine index in the engines table. */
export const QUARANTINE_PK = 'QUARANTINE';

/** Where the quarantine lives. */
export interface S3QuarantineStoreOptions {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** The engines table (`router/config.ts` `enginesTable`). */
  readonly table: string;
  readonly bucket: string;
  /** Injectable clock for `quarantinedAt`. */
  readonly now?: () => Date;
  /** Items per index Query page (default: DynamoDB's 1 MB pages). */
  readonly pageSize?: number;
}

interface IndexItem {
  pk: string;
  sk: string;
  objectKey: string;
  quarantinedAt: string;
  reason: string;
  message: string;
  engine?: string;
  attempts?: number;
  redrivenAt?: string;
  partitionKey: string;
  sequenceNumber: string;
  subSequence?: number;
  shardId: string;
  arrivedAt: string;
}

/** The JSON body of a quarantine object. */
interface QuarantineObject {
  readonly id: string;
  readonly quarantinedAt: string;
  readonly reason: string;
  readonly message: string;
  readonly engine?: string;
  readonly attempts?: number;
  readonly record: QuarantinedRecord;
}

function toEntry(item: Record<string, unknown>): QuarantineEntry {
  const i = item as unknown as IndexItem;
  return {
    id: i.sk,
    objectKey: i.objectKey,
    quarantinedAt: i.quarantinedAt,
    reason: i.reason,
    message: i.message,
    ...(i.engine === undefined ? {} : { engine: i.engine }),
    ...(i.attempts === undefined ? {} : { attempts: i.attempts }),
    ...(i.redrivenAt === undefined ? {} : { redrivenAt: i.redrivenAt }),
    record: {
      partitionKey: i.partitionKey,
      sequenceNumber: i.sequenceNumber,
      shardId: i.shardId,
      arrivedAt: i.arrivedAt,
      ...(i.subSequence === undefined ? {} : { subSequence: i.subSequence }),
    },
  };
}

/** The production quarantine: S3 objects plus a DynamoDB time index. */
export class S3QuarantineStore implements QuarantineStore {
  readonly #options: S3QuarantineStoreOptions;
  readonly #now: () => Date;

  constructor(options: S3QuarantineStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  async #call<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new StoreUnavailableError(`quarantine: ${what} failed: ${message}`, {
        cause: error,
        retryable: isRetryableAwsError(error),
      });
    }
  }

  async #readIndex(id: string): Promise<Record<string, unknown> | undefined> {
    const { table, dynamodb } = this.#options;
    const result = await this.#call(`reading index entry ${id}`, () =>
      dynamodb.send(
        new GetCommand({ TableName: table, Key: { pk: QUARANTINE_PK, sk: id }, ConsistentRead: true }),
      ),
    );
    return result.Item;
  }

  async put(entry: QuarantineInput): Promise<QuarantineRef> {
    const { table, bucket, dynamodb, s3 } = this.#options;
    const id = quarantineId(entry.record);
    const objectKey = quarantineObjectKey(entry.record, BUCKET_PREFIXES.quarantine);
    if ((await this.#readIndex(id)) !== undefined) return { id, objectKey, created: false };

    const quarantinedAt = this.#now().toISOString();
    const optional = {
      ...(entry.engine === undefined ? {} : { engine: entry.engine }),
      ...(entry.attempts === undefined ? {} : { attempts: entry.attempts }),
    };
    const body: QuarantineObject = {
      id,
      quarantinedAt,
      reason: entry.reason,
      message: entry.message,
      ...optional,
      record: entry.record,
    };
    await this.#call(`writing s3://${bucket}/${objectKey}`, () =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: objectKey,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
        }),
      ),
    );
    const { data: _data, ...record } = entry.record;
    const item: IndexItem = {
      pk: QUARANTINE_PK,
      sk: id,
      objectKey,
      quarantinedAt,
      reason: entry.reason,
      message: entry.message,
      ...optional,
      ...record,
    };
    try {
      await this.#call(`writing index entry ${id}`, () =>
        dynamodb.send(
          new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
        ),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { id, objectKey, created: false };
      throw error;
    }
    return { id, objectKey, created: true };
  }

  async *list(options: QuarantineListOptions = {}): AsyncIterable<QuarantineEntry> {
    const { table, dynamodb } = this.#options;
    const since = sinceIso(options.since);
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, string> = { ':pk': QUARANTINE_PK };
    if (since !== undefined) values[':since'] = since;
    if (options.engine !== undefined) {
      filters.push('#engine = :engine');
      names['#engine'] = 'engine';
      values[':engine'] = options.engine;
    }
    if (options.reason !== undefined) {
      filters.push('#reason = :reason');
      names['#reason'] = 'reason';
      values[':reason'] = options.reason;
    }
    let yielded = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      if (options.limit !== undefined && yielded >= options.limit) return;
      const page = await this.#call('listing the index', () =>
        dynamodb.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: since === undefined ? 'pk = :pk' : 'pk = :pk AND sk >= :since',
            ExpressionAttributeValues: values,
            ...(filters.length === 0
              ? {}
              : { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names }),
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            ...(this.#options.pageSize === undefined ? {} : { Limit: this.#options.pageSize }),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        if (options.limit !== undefined && yielded >= options.limit) return;
        yielded++;
        yield toEntry(item);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async markRedriven(id: string, at: Date): Promise<void> {
    const { table, dynamodb } = this.#options;
    await this.#call(`marking index entry ${id} redriven`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: QUARANTINE_PK, sk: id },
          UpdateExpression: 'SET redrivenAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at.toISOString() },
        }),
      ),
    );
  }

  async get(id: string): Promise<QuarantineDetail | undefined> {
    const { bucket, s3 } = this.#options;
    const item = await this.#readIndex(id);
    if (item === undefined) return undefined;
    const entry = toEntry(item);
    const object = await this.#call(`reading s3://${bucket}/${entry.objectKey}`, () =>
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: entry.objectKey })),
    );
    const text = await object.Body?.transformToString('utf8');
    if (text === undefined)
      throw new StoreUnavailableError(`quarantine: s3://${bucket}/${entry.objectKey} is empty`);
    const body = JSON.parse(text) as QuarantineObject;
    return { ...entry, record: body.record };
  }
}
