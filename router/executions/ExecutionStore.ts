/**
 * Executions: one record per (engine, dedup key). The record is the dedup claim, the lease that lets one
 * invocation at a time advance it, the checkpoint a redelivery resumes from, and the terminal status a
 * duplicate is answered with. Every write is conditional on the record's revision, so two owners can
 * never both advance it; nothing needs transactions.
 *
 * ```
 *  (none) ──claim──> RUNNING ──checkpoint──> RUNNING ... ──complete──> SUCCEEDED | FAILED | QUARANTINED
 *                      │  lease expired: taken over (resumed from checkpoint)          │ expiresAt (TTL)
 *                      └──durable wait──> WAITING ──due / callback──> RUNNING          └─> (none)
 * ```
 */
import { hash } from 'node:crypto';
import type { ExecutionMode } from '../asl/index.ts';
import type { Writable } from '../records.ts';
import { isoTime } from '../time.ts';
import type { ParentLink } from './parentLink.ts';
import { finishedValuesKept, type LargeField, type PayloadRefs, type PayloadStore } from './payloads.ts';

/** Lifecycle of an execution. */
export type ExecutionStatus = 'RUNNING' | 'WAITING' | 'SUCCEEDED' | 'FAILED' | 'QUARANTINED';

/** Terminal statuses: a message with such a record is a duplicate. */
export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'QUARANTINED',
]);

/** Where the message came from. */
export interface ExecutionOrigin {
  readonly shardId?: string;
  readonly sequenceNumber?: string;
  readonly partitionKey?: string;
}

/** The stored execution. */
export interface ExecutionRecord {
  readonly engine: string;
  readonly dedupKey: string;
  readonly executionId: string;
  readonly version: number;
  readonly mode: ExecutionMode;
  readonly status: ExecutionStatus;
  /** Incremented by every write; writes are conditional on it. */
  readonly rev: number;
  readonly leaseOwner?: string;
  /** Epoch ms. */
  readonly leaseExpiresAt?: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** The interpreter's serialised execution state, as of the last checkpoint. */
  readonly checkpoint?: string;
  /** Epoch ms when a WAITING execution is due. */
  readonly dueAt?: number;
  /** JSON text of the execution input, kept by a finished execution that no longer keeps its checkpoint. */
  readonly input?: string;
  /** JSON text of the execution output. */
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  /** Epoch seconds after which the record is gone (DynamoDB TTL) and treated as absent. */
  readonly expiresAt?: number;
  readonly origin?: ExecutionOrigin;
  /** The bounded event history, compressed (see `router/executions/history.ts`). */
  readonly history?: string;
  /**
   * The latest callback messages applied to the execution (see `CheckpointUpdate`), each as its
   * {@link callbackMark}; ask {@link hasAppliedCallback} whether one is among them.
   */
  readonly callbacks?: readonly string[];
  /**
   * The values the item keeps by reference in S3 (see `payloads.ts`). A field named here is read on
   * demand: `get`, `find` and a claim that resumes return it read; `peek`, `listDue` and `list` (whose
   * callers claim before they need the values) leave it out of the record.
   */
  readonly refs?: PayloadRefs;
  /** The execution that started this one and the token it waits on (see `parentLink.ts`). */
  readonly parent?: ParentLink;
  /** Execution ids of the children this execution started and waited for (the latest). */
  readonly children?: readonly string[];
}

/** Identifies an execution. */
export interface ExecutionKey {
  readonly engine: string;
  readonly dedupKey: string;
}

/** What claiming found. */
export type ClaimResult =
  /** New execution; the caller holds the lease. */
  | { readonly kind: 'claimed'; readonly record: ExecutionRecord }
  /** An abandoned or due execution was taken over; resume from its checkpoint. */
  | { readonly kind: 'resumed'; readonly record: ExecutionRecord }
  /** Already finished: answer as a duplicate. */
  | { readonly kind: 'duplicate'; readonly record: ExecutionRecord }
  /** Another invocation holds a live lease: retry later. */
  | { readonly kind: 'in-flight'; readonly record: ExecutionRecord }
  /** Durably waiting and not yet due: the sweep or a callback resumes it. */
  | { readonly kind: 'waiting'; readonly record: ExecutionRecord };

/** A claim attempt. */
export interface ClaimRequest extends ExecutionKey {
  readonly executionId: string;
  readonly version: number;
  readonly mode: ExecutionMode;
  readonly owner: string;
  readonly leaseMs: number;
  readonly now: number;
  readonly origin?: ExecutionOrigin;
  /** A task callback arrived: a WAITING execution is taken over even before its due time. */
  readonly wake?: boolean;
  /** A child execution's link to its parent, kept with the new record. */
  readonly parent?: ParentLink;
}

/** A checkpoint write: new state, and optionally a durable wait. */
export interface CheckpointUpdate {
  readonly checkpoint: string;
  readonly status?: 'RUNNING' | 'WAITING';
  readonly dueAt?: number;
  readonly leaseMs: number;
  readonly now: number;
  /** The compressed history so far, written with the checkpoint (no extra request). */
  readonly history?: string;
  /**
   * The dedup key of the callback message whose result this checkpoint is the first to hold: kept with
   * the record, so a redelivery of that message is known as a duplicate rather than a late answer.
   */
  readonly appliedCallback?: string;
  /** The record's child list after this write (see `childrenAfter`), when it changed. */
  readonly children?: readonly string[];
}

/** How many applied callback messages a record remembers (the latest). */
export const APPLIED_CALLBACKS_KEPT = 16;

/** Longest callback message key kept as it is; a longer one is kept as its digest, so the list stays small. */
const CALLBACK_KEY_MAX_BYTES = 128;

/** How a callback message's key is kept in `callbacks`: itself, or `sha256:<digest>` when long. */
export function callbackMark(messageKey: string): string {
  return Buffer.byteLength(messageKey, 'utf8') <= CALLBACK_KEY_MAX_BYTES
    ? messageKey
    : `sha256:${hash('sha256', messageKey, 'base64url')}`;
}

/** True when the execution already holds the result of this callback message (a redelivery of it). */
export function hasAppliedCallback(record: ExecutionRecord, messageKey: string): boolean {
  return record.callbacks?.includes(callbackMark(messageKey)) ?? false;
}

/** The record's applied callbacks after `update`: its own, plus the update's, the latest kept. */
export function appliedCallbacksAfter(
  record: ExecutionRecord,
  update: Pick<CheckpointUpdate, 'appliedCallback'>,
): readonly string[] | undefined {
  if (update.appliedCallback === undefined) return record.callbacks;
  return [...(record.callbacks ?? []), callbackMark(update.appliedCallback)].slice(-APPLIED_CALLBACKS_KEPT);
}

/** A terminal write. */
export interface Completion {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'QUARANTINED';
  /** JSON text of the execution input: what a record that drops its checkpoint keeps of it. */
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  /** The final state (kept for redrive), or null to drop the stored checkpoint (nothing to resume). */
  readonly checkpoint?: string | null;
  /** The compressed history, written with the terminal status (no extra request). */
  readonly history?: string;
  readonly now: number;
  /** How long the record (and so dedup) lasts after completion. */
  readonly retentionSeconds: number;
  /**
   * The callback message whose result the run held when it ended without a checkpoint in between: kept
   * with the record, so a redelivery of it is a duplicate rather than a callback for a finished task.
   */
  readonly appliedCallback?: string;
}

/** Filters of {@link ExecutionStore.list}; newest first. */
export interface ExecutionListQuery {
  /** Only this engine (one Query on the byEngine index); without it the table is scanned. */
  readonly engine?: string;
  readonly status?: ExecutionStatus;
  readonly limit: number;
}

/**
 * One page of one engine's executions for an operator's view, newest first. The status filter reads the
 * status index; the others are applied to what the index returns, so `scanLimit` bounds the items read
 * whatever the filters select: a page may hold fewer than `limit` records and a `readTo` to go on from.
 */
export interface ExecutionPageQuery {
  readonly engine: string;
  readonly status?: ExecutionStatus;
  readonly version?: number;
  /** Only executions whose dedup key contains this text. */
  readonly text?: string;
  /** Start time bounds (ISO 8601), inclusive. */
  readonly from?: string;
  readonly to?: string;
  /** Only executions listed after this one: a {@link listingSortKey} from an earlier page. */
  readonly before?: string;
  readonly limit: number;
  /** Most index items read for this page. */
  readonly scanLimit: number;
  /** Read each record's history too (when held in the item): what the console's cost figures need. */
  readonly withHistory?: boolean;
}

/** What {@link ExecutionStore.listPage} found. */
export interface ExecutionPage {
  /** Matching executions, newest first, without their large values (checkpoint, input, ...). */
  readonly records: ExecutionRecord[];
  /**
   * The listing key of the last item read when the page stopped before the end of the listing: every
   * execution listed after `records` and before this key has been read already.
   */
  readonly readTo?: string;
}

/** A status count that stopped at its cap. */
export interface StatusCount {
  readonly count: number;
  /** True when there are at least `count` (the count stopped at its cap). */
  readonly capped: boolean;
}

/** Where an execution sits in the listing indexes (start time, then id): the cursor of a page. */
export function listingSortKey(record: Pick<ExecutionRecord, 'startedAt' | 'executionId'>): string {
  return `${record.startedAt}#${record.executionId}`;
}

/** True when a record passes the filters of a page query other than engine, status and position. */
export function matchesPageFilters(record: ExecutionRecord, query: ExecutionPageQuery): boolean {
  if (query.version !== undefined && record.version !== query.version) return false;
  if (query.text !== undefined && query.text !== '' && !record.dedupKey.includes(query.text)) return false;
  return true;
}

/**
 * Reopening a finished execution (redrive): its new checkpoint, and either RUNNING with the lease
 * released (the next delivery of its message resumes it) or WAITING due at `dueAt` (the sweep resumes it).
 */
export interface ReopenUpdate {
  readonly checkpoint?: string;
  readonly status: 'RUNNING' | 'WAITING';
  readonly dueAt?: number;
  readonly history?: string;
  readonly now: number;
}

/** The values a reopened execution no longer has. */
export const REOPEN_REMOVES: readonly LargeField[] = ['error', 'cause', 'output'];

/**
 * The large values a reopening write sets: the update's, plus any kept value stored among the finished
 * ones (which expire with finished executions), read back to be stored among the live ones.
 */
export async function reopenedValues(
  payloads: PayloadStore,
  record: ExecutionRecord,
  update: ReopenUpdate,
  label: string,
): Promise<{ [F in LargeField]?: string }> {
  const set = {
    ...(update.checkpoint === undefined ? {} : { checkpoint: update.checkpoint }),
    ...(update.history === undefined ? {} : { history: update.history }),
  };
  const rewritten = [...REOPEN_REMOVES, ...(Object.keys(set) as LargeField[])];
  return { ...(await finishedValuesKept(payloads, record, rewritten, label)), ...set };
}

/** Persistence of executions. */
export interface ExecutionStore {
  /** Reads many records at once (the batch pre-check); absent or expired keys are missing from the map. */
  peek(keys: readonly ExecutionKey[], now: number): Promise<Map<string, ExecutionRecord>>;
  /** Claims an execution; `known` is what `peek` found (null = known absent), saving a round trip. */
  claim(request: ClaimRequest, known?: ExecutionRecord | null): Promise<ClaimResult>;
  /**
   * Claims a new execution that already ran to its end, in one conditional write: its record is created
   * finished. When a record exists (and has not expired) nothing is written, and the answer classifies
   * it as `claim` would, but never takes it over (`resumed` is not answered: a live one is `in-flight`).
   */
  claimFinished(request: ClaimRequest, completion: Completion): Promise<ClaimResult>;
  /** Writes a checkpoint and extends the lease; throws LeaseLostError if the record moved on. */
  checkpoint(record: ExecutionRecord, update: CheckpointUpdate): Promise<ExecutionRecord>;
  /** Writes the terminal status; throws LeaseLostError if the record moved on. */
  complete(record: ExecutionRecord, completion: Completion): Promise<ExecutionRecord>;
  /** Records many terminal results unconditionally, batched (express engines, which never claim). */
  completeMany(
    items: readonly { readonly record: Omit<ExecutionRecord, 'rev'>; readonly completion: Completion }[],
  ): Promise<void>;
  /**
   * Counts a retryable failure of a message and returns the new count; also ends the caller's lease so
   * the redelivery can take the execution over at once. Counts live beside the execution, not in it, so
   * a failure before any claim is counted too.
   */
  recordFailure(key: ExecutionKey, now: number): Promise<number>;
  get(key: ExecutionKey): Promise<ExecutionRecord | undefined>;
  /**
   * Executions due at or before `now`, earliest first, read from the due index (no scan): WAITING ones
   * whose timer is due, and RUNNING ones resumed from a checkpoint whose lease expired (their owner died).
   */
  listDue(now: number, limit: number): Promise<ExecutionRecord[]>;
  /**
   * Finds an execution by its id (the CLI's handle, and a task token's locator). With `startTime` (epoch
   * ms, carried by task tokens) it is one exact index lookup; without it the engine's listing is searched.
   */
  find(executionId: string, startTime?: number): Promise<ExecutionRecord | undefined>;
  /** Lists executions, newest first (operators' view). */
  list(query: ExecutionListQuery): Promise<ExecutionRecord[]>;
  /**
   * One page of one engine's executions for an operator (see {@link ExecutionPageQuery}): an index query
   * from a cursor, never a scan, reading at most `scanLimit` items.
   */
  listPage(query: ExecutionPageQuery): Promise<ExecutionPage>;
  /**
   * How many of an engine's executions have a status (optionally started within bounds), counted on the
   * status index up to `cap`.
   */
  countStatus(
    engine: string,
    status: ExecutionStatus,
    bounds: { readonly from?: string; readonly to?: string },
    cap: number,
  ): Promise<StatusCount>;
  /**
   * Makes a finished execution live again (redrive): conditional on its revision, clears the terminal
   * fields and the expiry, and resets the message's failure count; throws LeaseLostError if it moved on.
   */
  reopen(record: ExecutionRecord, update: ReopenUpdate): Promise<ExecutionRecord>;
}

/** The engine part of an execution id (`engine:digest`, see {@link executionIdFor}). */
export function engineOfExecutionId(executionId: string): string | undefined {
  const colon = executionId.lastIndexOf(':');
  return colon <= 0 ? undefined : executionId.slice(0, colon);
}

/** The map key `peek` uses. */
export function executionMapKey(key: ExecutionKey): string {
  return `${key.engine}#${key.dedupKey}`;
}

/** Deterministic execution id: the same message always gets the same id, so step idempotency keys are stable. */
export function executionIdFor(key: ExecutionKey): string {
  const digest = hash('sha256', `${key.engine}\u0000${key.dedupKey}`, 'base64url');
  return `${key.engine}:${digest.slice(0, 22)}`;
}

/** The record a successful claim creates: RUNNING, revision 1, leased to the claimer. */
export function claimedRecord(request: ClaimRequest): ExecutionRecord {
  const at = isoTime(request.now);
  return {
    engine: request.engine,
    dedupKey: request.dedupKey,
    executionId: request.executionId,
    version: request.version,
    mode: request.mode,
    status: 'RUNNING',
    rev: 1,
    leaseOwner: request.owner,
    leaseExpiresAt: request.now + request.leaseMs,
    startedAt: at,
    updatedAt: at,
    ...(request.origin === undefined ? {} : { origin: request.origin }),
    ...(request.parent === undefined ? {} : { parent: request.parent }),
  };
}

/** What a record that exists answers {@link ExecutionStore.claimFinished}. */
export function finishedClaimConflict(existing: ExecutionRecord, now: number): ClaimResult {
  const verdict = classifyExisting(existing, now);
  return { kind: verdict === 'take-over' ? 'in-flight' : verdict, record: existing };
}

/** The record fields a completion sets; a null checkpoint is dropped by the caller, not stored. */
export function completionFields(completion: Completion): Partial<ExecutionRecord> {
  // Set one by one: every finished execution passes here (see `router/records.ts`).
  const fields: Writable<Partial<ExecutionRecord>> = {};
  if (completion.input !== undefined) fields.input = completion.input;
  if (completion.output !== undefined) fields.output = completion.output;
  if (completion.error !== undefined) fields.error = completion.error;
  if (completion.cause !== undefined) fields.cause = completion.cause;
  if (completion.checkpoint !== undefined && completion.checkpoint !== null) {
    fields.checkpoint = completion.checkpoint;
  }
  if (completion.history !== undefined) fields.history = completion.history;
  return fields;
}

/** True when a record has passed its TTL (the local DynamoDB ignores TTL, so it is checked on read too). */
export function isExpired(record: ExecutionRecord, now: number): boolean {
  return record.expiresAt !== undefined && record.expiresAt * 1000 <= now;
}

/**
 * What an existing record means for a new delivery of its message. `take-over` means the caller may
 * claim the lease (conditional on the revision) and resume; `wake` (a task callback) takes over a
 * WAITING execution before it is due.
 */
export function classifyExisting(
  record: ExecutionRecord,
  now: number,
  wake = false,
): 'duplicate' | 'in-flight' | 'waiting' | 'take-over' {
  if (TERMINAL_STATUSES.has(record.status)) return 'duplicate';
  if (record.status === 'WAITING')
    return wake || (record.dueAt !== undefined && record.dueAt <= now) ? 'take-over' : 'waiting';
  return record.leaseExpiresAt !== undefined && record.leaseExpiresAt > now ? 'in-flight' : 'take-over';
}

/** The record without its checkpoint: a success that has nothing to resume drops it. */
export function withoutCheckpoint(record: ExecutionRecord): ExecutionRecord {
  const { checkpoint: _checkpoint, ...rest } = record;
  return rest;
}

/** The record without what only a finished or leased run has: reopening for a redrive starts afresh. */
export function withoutTerminal(record: ExecutionRecord): ExecutionRecord {
  const {
    expiresAt: _expires,
    error: _error,
    cause: _cause,
    output: _output,
    dueAt: _dueAt,
    leaseOwner: _owner,
    ...rest
  } = record;
  return rest;
}

/** The record without a due time: only a WAITING execution keeps one. */
export function withoutDue(record: ExecutionRecord): ExecutionRecord {
  if (record.dueAt === undefined) return record;
  const { dueAt: _dueAt, ...rest } = record;
  return rest;
}
