/**
 * Executions in memory, with the same conditional semantics as the DynamoDB store: for unit tests and
 * the in-process benchmark, which measures the runtime's own cost without a store. It also counts
 * requests the way DynamoDB would bill round trips, so tests can assert on them, and refuses an item
 * over DynamoDB's 400 KB with DynamoDB's error, so a large value that misses its way to the payload
 * store (a `MemoryPayloadStore` here) fails in unit tests as it would in AWS. `records` holds each
 * record as its item would: values kept by reference are named in `refs` and left out.
 */
import { LeaseLostError } from '../errors.ts';
import { overlay, type Writable } from '../records.ts';
import { isoTime } from '../time.ts';
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
  executionMapKey,
  finishedClaimConflict,
  isExpired,
  listingSortKey,
  matchesPageFilters,
  REOPEN_REMOVES,
  type ReopenUpdate,
  reopenedValues,
  type StatusCount,
  withoutDue,
  withoutTerminal,
} from './ExecutionStore.ts';
import { DYNAMODB_ITEM_MAX_BYTES, fixedItemBytes, itemBytes, itemBytesBound, toItem } from './items.ts';
import { MemoryPayloadStore } from './MemoryPayloadStore.ts';
import {
  hasValue,
  isSettled,
  LARGE_FIELDS,
  type LargeField,
  type PayloadClass,
  type PlacedValues,
  placeInline,
  placeValues,
  resolveValues,
  storedForm,
  type ValueChange,
  withRefs,
} from './payloads.ts';

/** DynamoDB's answer to an item over 400 KB (a `ValidationException`, never retried). */
export class ItemTooLargeError extends Error {
  override readonly name = 'ValidationException';
}

/** `ExecutionStore` held in a map. */
export class MemoryExecutionStore implements ExecutionStore {
  readonly records = new Map<string, ExecutionRecord>();
  private readonly attempts = new Map<string, number>();
  /** Round trips a DynamoDB store would have made. */
  requests = 0;
  /** Where values too large for an item go. */
  readonly payloads: MemoryPayloadStore;

  constructor(options: { readonly payloads?: MemoryPayloadStore } = {}) {
    this.payloads = options.payloads ?? new MemoryPayloadStore();
  }

  async peek(keys: readonly ExecutionKey[], now: number): Promise<Map<string, ExecutionRecord>> {
    const found = new Map<string, ExecutionRecord>();
    const asked = new Set<string>();
    for (const key of keys) {
      const mapKey = executionMapKey(key);
      asked.add(mapKey);
      const record = this.records.get(mapKey);
      if (record !== undefined && !isExpired(record, now)) found.set(mapKey, record);
    }
    this.requests += Math.ceil(asked.size / 100);
    return found;
  }

  async claim(request: ClaimRequest, known?: ExecutionRecord | null): Promise<ClaimResult> {
    const mapKey = executionMapKey(request);
    const stored = this.records.get(mapKey);
    const existing = stored !== undefined && !isExpired(stored, request.now) ? stored : undefined;
    if (existing === undefined) {
      this.requests += 1;
      const fresh = claimedRecord(request);
      this.save(fresh, 'put');
      return { kind: 'claimed', record: fresh };
    }
    if (known === null || known === undefined) this.requests += 2;
    const verdict = classifyExisting(existing, request.now, request.wake);
    if (verdict !== 'take-over') return { kind: verdict, record: existing };
    this.requests += 1;
    const taken: ExecutionRecord = overlay(existing, {
      status: 'RUNNING' as const,
      rev: existing.rev + 1,
      leaseOwner: request.owner,
      leaseExpiresAt: request.now + request.leaseMs,
      updatedAt: isoTime(request.now),
    });
    this.records.set(mapKey, taken);
    return { kind: 'resumed', record: await this.resolve(taken, ['checkpoint', 'history']) };
  }

  async claimFinished(request: ClaimRequest, completion: Completion): Promise<ClaimResult> {
    const stored = this.records.get(executionMapKey(request));
    this.requests += 1;
    if (stored !== undefined && !isExpired(stored, request.now)) {
      this.requests += 1;
      return finishedClaimConflict(stored, request.now);
    }
    const unplaced = terminal(claimedRecord(request), 0, completion);
    const next = await this.place(unplaced, unplaced, { set: completionFields(completion) }, 'done');
    this.save(next, 'put');
    return { kind: 'claimed', record: next };
  }

  async checkpoint(record: ExecutionRecord, update: CheckpointUpdate): Promise<ExecutionRecord> {
    this.assertCurrent(record);
    const callbacks = appliedCallbacksAfter(record, update);
    const unplaced: ExecutionRecord = overlay(withoutDue(record), {
      status: update.status ?? 'RUNNING',
      rev: record.rev + 1,
      leaseExpiresAt: update.now + update.leaseMs,
      updatedAt: isoTime(update.now),
      ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
      ...(callbacks === undefined ? {} : { callbacks }),
      ...(update.children === undefined ? {} : { children: update.children }),
    });
    const values = {
      checkpoint: update.checkpoint,
      ...(update.history === undefined ? {} : { history: update.history }),
    };
    const next = await this.place(record, unplaced, { set: values }, 'live');
    this.save(next, 'update');
    return next;
  }

  async complete(record: ExecutionRecord, completion: Completion): Promise<ExecutionRecord> {
    this.assertCurrent(record);
    const next = await this.place(
      record,
      terminal(record, record.rev, completion),
      { set: completionFields(completion), remove: completion.checkpoint === null ? ['checkpoint'] : [] },
      'done',
    );
    this.save(next, 'update');
    return next;
  }

  async completeMany(
    items: readonly { readonly record: Omit<ExecutionRecord, 'rev'>; readonly completion: Completion }[],
  ): Promise<void> {
    this.requests += Math.ceil(items.length / 25);
    const placing = items.map(({ record, completion }) => {
      const unplaced = terminal(record, 0, completion);
      return this.place(unplaced, unplaced, { set: completionFields(completion) }, 'done');
    });
    // Values placed inline leave an item within ITEM_TARGET_BYTES: none of those is too large.
    if (placing.every(isSettled)) {
      for (const next of placing) this.keep(next);
      return;
    }
    const written = await Promise.all(placing);
    // A batch write is refused whole when one of its items is too large.
    for (const next of written) this.check(next, 'put');
    for (const next of written) this.keep(next);
  }

  async recordFailure(key: ExecutionKey, now: number): Promise<number> {
    this.requests += 2;
    const mapKey = executionMapKey(key);
    const count = (this.attempts.get(mapKey) ?? 0) + 1;
    this.attempts.set(mapKey, count);
    const record = this.records.get(mapKey);
    if (record?.status === 'RUNNING') this.records.set(mapKey, { ...record, leaseExpiresAt: now });
    return count;
  }

  async get(key: ExecutionKey): Promise<ExecutionRecord | undefined> {
    this.requests += 1;
    const record = this.records.get(executionMapKey(key));
    return record === undefined ? undefined : this.resolve(record);
  }

  async listDue(now: number, limit: number): Promise<ExecutionRecord[]> {
    this.requests += 1;
    return [...this.records.values()]
      .filter(
        (r) =>
          (r.status === 'WAITING' && r.dueAt !== undefined && r.dueAt <= now) ||
          (r.status === 'RUNNING' && hasValue(r, 'checkpoint') && (r.leaseExpiresAt ?? 0) <= now),
      )
      .sort((a, b) => (a.dueAt ?? a.leaseExpiresAt ?? 0) - (b.dueAt ?? b.leaseExpiresAt ?? 0))
      .slice(0, limit);
  }

  async find(executionId: string, startTime?: number): Promise<ExecutionRecord | undefined> {
    this.requests += 1;
    for (const record of this.records.values()) {
      if (record.executionId !== executionId) continue;
      if (startTime === undefined || Date.parse(record.startedAt) === startTime) return this.resolve(record);
    }
    return undefined;
  }

  async list(query: ExecutionListQuery): Promise<ExecutionRecord[]> {
    this.requests += 1;
    return [...this.records.values()]
      .filter((r) => query.engine === undefined || r.engine === query.engine)
      .filter((r) => query.status === undefined || r.status === query.status)
      .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
      .slice(0, query.limit);
  }

  async listPage(query: ExecutionPageQuery): Promise<ExecutionPage> {
    this.requests += 1;
    const listed = [...this.records.values()]
      .filter((r) => r.engine === query.engine && (query.status === undefined || r.status === query.status))
      .filter((r) => withinBounds(listingSortKey(r), query))
      .sort((a, b) => (listingSortKey(a) < listingSortKey(b) ? 1 : -1));
    const read = listed.slice(0, query.scanLimit);
    const records = read
      .filter((r) => matchesPageFilters(r, query))
      .map((r) => listingRecord(r, query.withHistory === true));
    const shown = records.slice(0, query.limit);
    const last = shown.at(-1);
    if (records.length > query.limit && last !== undefined)
      return { records: shown, readTo: listingSortKey(last) };
    const end = read.at(-1);
    return listed.length > read.length && end !== undefined
      ? { records: shown, readTo: listingSortKey(end) }
      : { records: shown };
  }

  async countStatus(
    engine: string,
    status: ExecutionStatus,
    bounds: { readonly from?: string; readonly to?: string },
    cap: number,
  ): Promise<StatusCount> {
    this.requests += 1;
    let count = 0;
    for (const r of this.records.values()) {
      if (r.engine === engine && r.status === status && withinBounds(listingSortKey(r), bounds)) count += 1;
    }
    return { count: Math.min(count, cap), capped: count > cap };
  }

  async reopen(record: ExecutionRecord, update: ReopenUpdate): Promise<ExecutionRecord> {
    this.assertCurrent(record);
    const unplaced: ExecutionRecord = overlay(withoutTerminal(record), {
      status: update.status,
      rev: record.rev + 1,
      leaseExpiresAt: update.now,
      updatedAt: isoTime(update.now),
      ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
    });
    const values = await reopenedValues(this.payloads, record, update, label(record));
    const next = await this.place(record, unplaced, { set: values, remove: REOPEN_REMOVES }, 'live');
    this.save(next, 'update');
    this.attempts.delete(executionMapKey(record));
    return next;
  }

  /**
   * The record a write leaves: `unplaced` (the write's other fields, and the values it keeps) with the
   * change's values, large ones moved to the payload store as the DynamoDB store moves them. `unplaced`
   * is the record this write made: it is filled in, not copied.
   */
  private place(
    before: ExecutionRecord,
    unplaced: ExecutionRecord,
    change: ValueChange,
    kind: PayloadClass,
  ): ExecutionRecord | Promise<ExecutionRecord> {
    const otherBytes = fixedItemBytes(unplaced);
    // Most writes keep every value where it is, and need not wait for anything.
    const inline = placeInline(before, change, otherBytes);
    if (inline !== undefined) return placedRecord(unplaced, change, inline);
    return placeValues(this.payloads, before, change, otherBytes, kind).then((placed) =>
      placedRecord(unplaced, change, placed),
    );
  }

  /** Refuses an item DynamoDB would refuse, with its message. */
  private check(record: ExecutionRecord, write: 'put' | 'update'): void {
    if (itemBytesBound(record) <= DYNAMODB_ITEM_MAX_BYTES) return;
    if (itemBytes(toItem(storedForm(record))) <= DYNAMODB_ITEM_MAX_BYTES) return;
    throw new ItemTooLargeError(
      write === 'put'
        ? 'Item size has exceeded the maximum allowed size'
        : 'Item size to update has exceeded the maximum allowed size',
    );
  }

  /** Keeps a record as its item would hold it. */
  private save(record: ExecutionRecord, write: 'put' | 'update'): void {
    this.check(record, write);
    this.keep(record);
  }

  /** Keeps a record already checked. */
  private keep(record: ExecutionRecord): void {
    this.records.set(executionMapKey(record), storedForm(record));
  }

  /** Reads back the values of `fields` the record keeps by reference. */
  private resolve(
    record: ExecutionRecord,
    fields: readonly LargeField[] = LARGE_FIELDS,
  ): Promise<ExecutionRecord> {
    return resolveValues(this.payloads, record, label(record), fields);
  }

  private assertCurrent(record: ExecutionRecord): void {
    this.requests += 1;
    const current = this.records.get(executionMapKey(record));
    if (current === undefined || current.rev !== record.rev || current.leaseOwner !== record.leaseOwner) {
      throw new LeaseLostError(
        `execution ${record.executionId} (${record.engine}) moved on: revision ${record.rev} is no longer current`,
      );
    }
  }
}

function label(record: ExecutionRecord): string {
  return `execution ${record.executionId} (${record.engine})`;
}

/**
 * The record a completion leaves, before its values are placed: the lease and the due time go, the
 * record's values and references stay (the completion's replace them). Built field by field rather
 * than by rest and spread: every express execution passes here.
 */
function terminal(
  record: Omit<ExecutionRecord, 'rev'>,
  rev: number,
  completion: Completion,
): ExecutionRecord {
  const next: Writable<ExecutionRecord> = {
    engine: record.engine,
    dedupKey: record.dedupKey,
    executionId: record.executionId,
    version: record.version,
    mode: record.mode,
    status: completion.status,
    rev: rev + 1,
    startedAt: record.startedAt,
    updatedAt: isoTime(completion.now),
    expiresAt: Math.floor(completion.now / 1000) + completion.retentionSeconds,
  };
  if (record.origin !== undefined) next.origin = record.origin;
  if (record.parent !== undefined) next.parent = record.parent;
  if (record.children !== undefined) next.children = record.children;
  const callbacks =
    completion.appliedCallback === undefined
      ? record.callbacks
      : appliedCallbacksAfter({ ...record, rev }, completion);
  if (callbacks !== undefined) next.callbacks = callbacks;
  if (record.refs !== undefined) next.refs = record.refs;
  if (record.checkpoint !== undefined && completion.checkpoint !== null) next.checkpoint = record.checkpoint;
  if (record.input !== undefined) next.input = record.input;
  if (record.output !== undefined) next.output = record.output;
  if (record.error !== undefined) next.error = record.error;
  if (record.cause !== undefined) next.cause = record.cause;
  if (record.history !== undefined) next.history = record.history;
  return next;
}

/** True when a listing key lies within a page's start-time bounds and before its cursor. */
function withinBounds(
  key: string,
  bounds: { readonly from?: string; readonly to?: string; readonly before?: string },
): boolean {
  if (bounds.from !== undefined && key < bounds.from) return false;
  if (bounds.to !== undefined && key > `${bounds.to}\uffff`) return false;
  return bounds.before === undefined || key < bounds.before;
}

/** A record as a listing page reads it: without its large values (the error kept when held in the item). */
function listingRecord(record: ExecutionRecord, withHistory: boolean): ExecutionRecord {
  const { refs, checkpoint: _c, history, input: _i, output: _o, cause: _a, error, ...rest } = record;
  return {
    ...rest,
    ...(error === undefined || refs?.error !== undefined ? {} : { error }),
    ...(withHistory && history !== undefined && refs?.history === undefined ? { history } : {}),
  };
}

/** The record a write leaves: `unplaced`, which it fills in, with the change's values where `placed` put them. */
function placedRecord(unplaced: ExecutionRecord, change: ValueChange, placed: PlacedValues): ExecutionRecord {
  const next: Writable<ExecutionRecord> = Object.assign(unplaced, change.set);
  for (const field of change.remove ?? []) if (field in next) delete next[field];
  return withRefs(next, placed.refs);
}
