/**
 * A Powertools idempotency persistence layer held in a Map, built on the library's own extension point
 * (`BasePersistenceLayer`). It keeps the DynamoDB layer's conditional-put rules, so the baseline handler
 * can be measured without a store, exactly as the router is measured with its in-memory stores.
 */
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';

/** Idempotency records in memory, counting the round trips the DynamoDB layer would make. */
export class MemoryPersistenceLayer extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();
  /** Requests a DynamoDB layer would have sent (GetItem, PutItem, UpdateItem, DeleteItem). */
  requests = 0;

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    this.requests += 1;
    const record = this.records.get(idempotencyKey);
    if (record === undefined) throw new IdempotencyItemNotFoundError(`no record for '${idempotencyKey}'`);
    return record;
  }

  /** The DynamoDB layer's condition: absent, expired, or in progress past its in-progress expiry. */
  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    this.requests += 1;
    const existing = this.records.get(record.idempotencyKey);
    const now = Date.now();
    const replaceable =
      existing === undefined ||
      (existing.expiryTimestamp !== undefined && existing.expiryTimestamp < now / 1000) ||
      (existing.getStatus() === IdempotencyRecordStatus.INPROGRESS &&
        existing.inProgressExpiryTimestamp !== undefined &&
        existing.inProgressExpiryTimestamp < now);
    if (!replaceable) {
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        existing,
      );
    }
    this.records.set(record.idempotencyKey, record);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.requests += 1;
    this.records.set(record.idempotencyKey, record);
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.requests += 1;
    this.records.delete(record.idempotencyKey);
  }
}
