/**
 * First stage of the pipeline: Kinesis record -> bytes -> (KPL de-aggregation) -> JSON -> envelope.
 * Nothing here throws for bad input: every record yields results, and a bad one carries a
 * `DecodeError` (never retryable) plus its raw bytes so the caller can quarantine it and move on.
 *
 * KPL aggregates are unpacked by `kpl.ts`. The format is small and fixed (a magic number, three protobuf
 * messages, an MD5 digest), so a dedicated strict reader does the job of a general protobuf runtime:
 * it keeps protobufjs out of the Lambda bundle and its cold start, and hands out payloads as bytes,
 * without a base64 round trip per user record.
 */

import type { KinesisStreamRecord } from 'aws-lambda';
import type { JsonObject } from '../asl/index.ts';
import { DecodeError, type DecodeReason, type RecordRef } from '../errors.ts';
import type { QuarantinedRecord } from '../quarantine/index.ts';
import { type Envelope, EnvelopeError, envelopeDocument, toEnvelope } from './envelope.ts';
import { deaggregate, isAggregated, KplError, type KplUserRecord } from './kpl.ts';

/** Default size limit of one user record's payload: 256 KiB, the size of a Lambda async payload. */
export const DEFAULT_MAX_BYTES = 256 * 1024;

/** Options of {@link decodeRecords}. */
export interface DecodeOptions {
  /** Largest accepted user-record payload in bytes; larger ones are rejected as `oversize`. */
  readonly maxBytes?: number;
}

interface DecodedBase {
  /** The Kinesis record as Lambda delivered it (shared by all sub-records of an aggregate). */
  readonly record: KinesisStreamRecord;
  /** Position inside a KPL aggregate; absent for plain records. */
  readonly subSequence?: number;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly shardId: string;
  /** Payload size of this user record. */
  readonly bytes: number;
}

/** A user record that decoded to an envelope. */
export interface DecodedOk extends DecodedBase {
  readonly ok: true;
  readonly envelope: Envelope;
  /** The JSON text the envelope was parsed from. */
  readonly text?: string;
}

/** A user record that did not; `raw` is what to quarantine. */
export interface DecodedFailure extends DecodedBase {
  readonly ok: false;
  readonly error: DecodeError;
  readonly raw: Buffer;
}

/** One user record, decoded or rejected. */
export type DecodedRecord = DecodedOk | DecodedFailure;

/**
 * Strict base64 without a regular expression over every record: Node's decoder skips characters it does
 * not know and stops at misplaced padding, so the text is accepted only when it is whole 4-character
 * groups that decode to exactly as many bytes as that many groups hold.
 */
function strictBase64(data: string): Buffer | undefined {
  if (data.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(data, 'base64');
  return Math.ceil(bytes.length / 3) * 4 === data.length ? bytes : undefined;
}
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The shard a Lambda-delivered record came from. Lambda builds `eventID` as `shardId:sequenceNumber`.
 */
export function shardIdOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.indexOf(':');
  return colon > 0 ? record.eventID.slice(0, colon) : record.eventID;
}

/** `shard#sequence[#sub]`: the dedup key of a record that has no id of its own. */
export function positionKey(shardId: string, sequenceNumber: string, subSequence?: number): string {
  return subSequence === undefined
    ? `${shardId}#${sequenceNumber}`
    : `${shardId}#${sequenceNumber}#${subSequence}`;
}

type Parsed =
  | { readonly body: JsonObject; readonly text: string }
  | { readonly reason: DecodeReason; readonly detail: string };

function parseBody(bytes: Buffer, maxBytes: number): Parsed {
  if (bytes.length > maxBytes) {
    return { reason: 'oversize', detail: `payload is ${bytes.length} bytes, the limit is ${maxBytes}` };
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { reason: 'bad-json', detail: 'payload is not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { reason: 'bad-json', detail: error instanceof Error ? error.message : String(error) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { reason: 'not-an-object', detail: `payload is ${what}, not a JSON object` };
  }
  return { body: value as JsonObject, text };
}

/** A user record that failed to decode, with the reference its error names. */
function failedUserRecord(
  base: Omit<DecodedBase, 'bytes'>,
  bytes: Buffer,
  reason: DecodeReason,
  detail: string,
  cause?: unknown,
): DecodedFailure {
  const ref: RecordRef = {
    shardId: base.shardId,
    sequenceNumber: base.sequenceNumber,
    partitionKey: base.partitionKey,
    ...(base.subSequence === undefined ? {} : { subSequence: base.subSequence }),
  };
  return {
    ...base,
    bytes: bytes.length,
    ok: false,
    raw: bytes,
    error: new DecodeError(reason, detail, cause === undefined ? { record: ref } : { record: ref, cause }),
  };
}

/** Every record of a batch passes here: the success path allocates only the result itself. */
function decodeUserRecord(base: Omit<DecodedBase, 'bytes'>, bytes: Buffer, maxBytes: number): DecodedRecord {
  const parsed = parseBody(bytes, maxBytes);
  if ('reason' in parsed) return failedUserRecord(base, bytes, parsed.reason, parsed.detail);
  let envelope: Envelope;
  try {
    envelope = toEnvelope(parsed.body, positionKey(base.shardId, base.sequenceNumber, base.subSequence));
  } catch (error) {
    if (error instanceof EnvelopeError)
      return failedUserRecord(base, bytes, 'bad-envelope', error.message, error);
    throw error;
  }
  const ok: DecodedOk = {
    record: base.record,
    partitionKey: base.partitionKey,
    sequenceNumber: base.sequenceNumber,
    shardId: base.shardId,
    bytes: bytes.length,
    ok: true,
    envelope,
    text: parsed.text,
  };
  return base.subSequence === undefined ? ok : { ...ok, subSequence: base.subSequence };
}

/**
 * Decodes one Kinesis record into its user records: one for a plain record, one per sub-record for a
 * KPL aggregate (sharing the sequence number, told apart by `subSequence`).
 */
export function decodeRecord(record: KinesisStreamRecord, options: DecodeOptions = {}): DecodedRecord[] {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const { data, partitionKey, sequenceNumber } = record.kinesis;
  const shardId = shardIdOf(record);
  const base = { record, partitionKey, sequenceNumber, shardId };
  const ref: RecordRef = { shardId, sequenceNumber, partitionKey };
  const bytes = typeof data === 'string' ? strictBase64(data) : undefined;
  if (bytes === undefined) {
    const raw = Buffer.from(typeof data === 'string' ? data : '', 'utf8');
    return [
      {
        ...base,
        ok: false,
        bytes: raw.length,
        raw,
        error: new DecodeError('bad-base64', 'data is not valid base64', { record: ref }),
      },
    ];
  }
  if (!isAggregated(bytes)) return [decodeUserRecord(base, bytes, maxBytes)];

  let users: KplUserRecord[];
  let failure: KplError | undefined;
  try {
    users = deaggregate(bytes);
  } catch (error) {
    if (!(error instanceof KplError)) throw error;
    failure = error;
    users = [];
  }
  if (failure !== undefined || users.length === 0) {
    const detail = failure === undefined ? 'aggregate holds no user records' : failure.message;
    return [
      {
        ...base,
        ok: false,
        bytes: bytes.length,
        raw: bytes,
        error: new DecodeError('bad-aggregate', `KPL aggregate cannot be unpacked: ${detail}`, {
          record: ref,
          ...(failure === undefined ? {} : { cause: failure }),
        }),
      },
    ];
  }
  return users.map((user) =>
    decodeUserRecord(
      {
        record,
        partitionKey: user.partitionKey,
        sequenceNumber,
        shardId,
        subSequence: user.subSequenceNumber,
      },
      user.data,
      maxBytes,
    ),
  );
}

/**
 * Decodes a Lambda Kinesis batch, keeping stream order (sub-records in aggregate order).
 *
 * @example
 * const decoded = decodeRecords(event.Records, { maxBytes: 256 * 1024 });
 * const bad = decoded.filter((d) => !d.ok); // quarantine these, with d.error.reason
 */
export function decodeRecords(
  records: readonly KinesisStreamRecord[],
  options: DecodeOptions = {},
): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (const record of records) {
    for (const decoded of decodeRecord(record, options)) out.push(decoded);
  }
  return out;
}

/**
 * The quarantine form of a decoded user record. A rejected record keeps its exact bytes; an accepted
 * KPL sub-record (quarantined later, e.g. `no-route`) is re-serialised from its JSON, since the
 * aggregate's other sub-records must not be redriven with it.
 */
export function quarantineRecordOf(decoded: DecodedRecord): QuarantinedRecord {
  let data: string;
  if (!decoded.ok) data = decoded.raw.toString('base64');
  else if (decoded.subSequence === undefined) data = decoded.record.kinesis.data;
  else data = Buffer.from(JSON.stringify(envelopeDocument(decoded.envelope)), 'utf8').toString('base64');
  return {
    data,
    partitionKey: decoded.partitionKey,
    sequenceNumber: decoded.sequenceNumber,
    shardId: decoded.shardId,
    arrivedAt: new Date(Math.round(decoded.record.kinesis.approximateArrivalTimestamp * 1000)).toISOString(),
    ...(decoded.subSequence === undefined ? {} : { subSequence: decoded.subSequence }),
  };
}
