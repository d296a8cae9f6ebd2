/**
 * Executions in memory, with the same conditional semantics as the DynamoDB store: for unit tests and
 * the in-process benchmark, which measures the runtime's own cost without a store. It also counts
 * requests the way DynamoDB would bill round trips, so tests can assert on them.
 */
import { LeaseLostError } from '../errors.ts';
import { isoTime } from '../time.ts';
import {
  appliedCallbacksAfter,
  type CheckpointUpdate,
  type ClaimRequest,
  type ClaimResult,
  type Completion,
  claimedRecord,
  classifyExisting,
  type ExecutionKey,
  type ExecutionListQuery,
  type ExecutionRecord,
  type ExecutionStore,
  executionMapKey,
  isExpired,
  type ReopenUpdate,
} from './ExecutionStore.ts';

/** `ExecutionStore` held in a map. */
export class MemoryExecutionStore implements ExecutionStore {
  readonly records = new Map<string, ExecutionRecord>();
  private readonly attempts = new Map<string, number>();
  /** Round trips a DynamoDB store would have made. */
  requests = 0;

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
      this.records.set(mapKey, fresh);
      return { kind: 'claimed', record: fresh };
    }
    if (known === null || known === undefined) this.requests += 2;
    const verdict = classifyExisting(existing, request.now, request.wake);
    if (verdict !== 'take-over') return { kind: verdict, record: existing };
    this.requests += 1;
    const taken: ExecutionRecord = {
      ...existing,
      status: 'RUNNING',
      rev: existing.rev + 1,
      leaseOwner: request.owner,
      leaseExpiresAt: request.now + request.leaseMs,
      updatedAt: isoTime(request.now),
    };
    this.records.set(mapKey, taken);
    return { kind: 'resumed', record: taken };
  }

  async checkpoint(record: ExecutionRecord, update: CheckpointUpdate): Promise<ExecutionRecord> {
    this.assertCurrent(record);
    const { dueAt: _dueAt, ...rest } = record;
    const callbacks = appliedCallbacksAfter(record, update);
    const next: ExecutionRecord = {
      ...rest,
      status: update.status ?? 'RUNNING',
      rev: record.rev + 1,
      checkpoint: update.checkpoint,
      leaseExpiresAt: update.now + update.leaseMs,
      updatedAt: isoTime(update.now),
      ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
      ...(update.history === undefined ? {} : { history: update.history }),
      ...(callbacks === undefined ? {} : { callbacks }),
    };
    this.records.set(executionMapKey(record), next);
    return next;
  }

  async complete(record: ExecutionRecord, completion: Completion): Promise<ExecutionRecord> {
    this.assertCurrent(record);
    const next = terminal(record, record.rev, completion);
    this.records.set(executionMapKey(record), next);
    return next;
  }

  async completeMany(
    items: readonly { readonly record: Omit<ExecutionRecord, 'rev'>; readonly completion: Completion }[],
  ): Promise<void> {
    this.requests += Math.ceil(items.length / 25);
    for (const { record, completion } of items) {
      this.records.set(executionMapKey(record), terminal(record, 0, completion));
    }
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
    return this.records.get(executionMapKey(key));
  }

  async listDue(now: number, limit: number): Promise<ExecutionRecord[]> {
    this.requests += 1;
    return [...this.records.values()]
      .filter(
        (r) =>
          (r.status === 'WAITING' && r.dueAt !== undefined && r.dueAt <= now) ||
          (r.status === 'RUNNING' && r.checkpoint !== undefined && (r.leaseExpiresAt ?? 0) <= now),
      )
      .sort((a, b) => (a.dueAt ?? a.leaseExpiresAt ?? 0) - (b.dueAt ?? b.leaseExpiresAt ?? 0))
      .slice(0, limit);
  }

  async find(executionId: string, startTime?: number): Promise<ExecutionRecord | undefined> {
    this.requests += 1;
    for (const record of this.records.values()) {
      if (record.executionId !== executionId) continue;
      if (startTime === undefined || Date.parse(record.startedAt) === startTime) return record;
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

  async reopen(record: ExecutionRecord, update: ReopenUpdate): Promise<ExecutionRecord> {
    this.assertCurrent(record);
    const {
      expiresAt: _expires,
      error: _error,
      cause: _cause,
      output: _output,
      dueAt: _dueAt,
      leaseOwner: _owner,
      ...rest
    } = record;
    const next: ExecutionRecord = {
      ...rest,
      status: update.status,
      rev: record.rev + 1,
      leaseExpiresAt: update.now,
      updatedAt: isoTime(update.now),
      ...(update.checkpoint === undefined ? {} : { checkpoint: update.checkpoint }),
      ...(update.dueAt === undefined ? {} : { dueAt: update.dueAt }),
      ...(update.history === undefined ? {} : { history: update.history }),
    };
    this.records.set(executionMapKey(record), next);
    this.attempts.delete(executionMapKey(record));
    return next;
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

/**
 * The record a completion leaves: the lease and the due time go, the completion's fields replace the
 * record's. Built field by field rather than by rest and spread: every express execution passes here.
 */
function terminal(
  record: Omit<ExecutionRecord, 'rev'>,
  rev: number,
  completion: Completion,
): ExecutionRecord {
  const next: { -readonly [K in keyof ExecutionRecord]: ExecutionRecord[K] } = {
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
  if (record.callbacks !== undefined) next.callbacks = record.callbacks;
  const checkpoint = completion.checkpoint === undefined ? record.checkpoint : completion.checkpoint;
  if (checkpoint !== undefined && checkpoint !== null) next.checkpoint = checkpoint;
  const input = completion.input ?? record.input;
  if (input !== undefined) next.input = input;
  const output = completion.output ?? record.output;
  if (output !== undefined) next.output = output;
  const error = completion.error ?? record.error;
  if (error !== undefined) next.error = error;
  const cause = completion.cause ?? record.cause;
  if (cause !== undefined) next.cause = cause;
  const history = completion.history ?? record.history;
  if (history !== undefined) next.history = history;
  return next;
}
