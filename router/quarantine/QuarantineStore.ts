/**
 * Where records go that the router gives up on (undecodable, unroutable, or failing retryably too many
 * times), so that one poison record never blocks its shard and an operator can inspect and redrive it.
 * The interface is small so the pipeline can be tested against {@link MemoryQuarantineStore} and run
 * against {@link S3QuarantineStore}.
 */

/** The stream record as it was received: enough to put it back on the stream unchanged. */
export interface QuarantinedRecord {
  /** The user record's bytes, base64 (for a KPL sub-record: that sub-record alone). */
  readonly data: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly subSequence?: number;
  readonly shardId: string;
  /** Approximate arrival time on the stream, ISO 8601. */
  readonly arrivedAt: string;
}

/** What the pipeline hands over. */
export interface QuarantineInput {
  readonly record: QuarantinedRecord;
  /** Machine-readable reason: a decode reason, `no-route`, `max-attempts`, ... */
  readonly reason: string;
  /** Human-readable detail, naming the record. */
  readonly message: string;
  readonly engine?: string;
  /** Retryable failures so far, for `max-attempts`. */
  readonly attempts?: number;
}

/** Where an entry lives; `created` is false when the same record was already quarantined. */
export interface QuarantineRef {
  /** `arrivedAt#shard#sequence[#sub]`: the index sort key, stable for a given record. */
  readonly id: string;
  /** `quarantine/YYYY/MM/DD/shard/sequence[-sub].json` */
  readonly objectKey: string;
  readonly created: boolean;
}

/** One index entry (without the record's bytes, which `get` returns). */
export interface QuarantineEntry {
  readonly id: string;
  readonly objectKey: string;
  readonly quarantinedAt: string;
  readonly reason: string;
  readonly message: string;
  readonly engine?: string;
  readonly attempts?: number;
  /** When `router redrive --quarantined` put the record back on the stream (ISO 8601). */
  readonly redrivenAt?: string;
  readonly record: Omit<QuarantinedRecord, 'data'>;
}

/** A whole entry, with the record's bytes. */
export interface QuarantineDetail extends QuarantineEntry {
  readonly record: QuarantinedRecord;
}

/** Filters for {@link QuarantineStore.list}. */
export interface QuarantineListOptions {
  readonly engine?: string;
  /** Only entries quarantined for this reason (`no-route`, `max-attempts`, a decode reason, ...). */
  readonly reason?: string;
  /** Only records that arrived at or after this time. */
  readonly since?: Date | string;
  /** At most this many entries. */
  readonly limit?: number;
}

/** Quarantine storage; `put` is idempotent per record (shard, sequence number, sub-sequence). */
export interface QuarantineStore {
  put(entry: QuarantineInput): Promise<QuarantineRef>;
  /** Entries oldest arrival first, read page by page as the caller iterates. */
  list(options?: QuarantineListOptions): AsyncIterable<QuarantineEntry>;
  get(id: string): Promise<QuarantineDetail | undefined>;
  /** Notes that the record was put back on the stream, so a later redrive skips it. */
  markRedriven(id: string, at: Date): Promise<void>;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The index id of a record: time-ordered, and the same every time the same record is quarantined. */
export function quarantineId(record: QuarantinedRecord): string {
  const sub = record.subSequence === undefined ? '' : `#${record.subSequence}`;
  return `${record.arrivedAt}#${record.shardId}#${record.sequenceNumber}${sub}`;
}

/** The S3 key of a record, dated by its arrival so that a repeated put lands on the same object. */
export function quarantineObjectKey(record: QuarantinedRecord, prefix = 'quarantine/'): string {
  const at = new Date(record.arrivedAt);
  if (Number.isNaN(at.getTime())) {
    throw new TypeError(`quarantine: record arrivedAt '${record.arrivedAt}' is not a valid time`);
  }
  const day = `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}`;
  const sub = record.subSequence === undefined ? '' : `-${record.subSequence}`;
  return `${prefix}${day}/${record.shardId}/${record.sequenceNumber}${sub}.json`;
}

/** ISO form of a `since` filter. */
export function sinceIso(since: Date | string | undefined): string | undefined {
  if (since === undefined) return undefined;
  const at = since instanceof Date ? since : new Date(since);
  if (Number.isNaN(at.getTime()))
    throw new TypeError(`quarantine: 'since' ${String(since)} is not a valid time`);
  return at.toISOString();
}

/** Splits the bytes off a detail, for listings. */
export function entryOf(detail: QuarantineDetail): QuarantineEntry {
  const { data: _data, ...record } = detail.record;
  return { ...detail, record };
}
