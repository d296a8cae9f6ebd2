/**
 * Reader of KPL aggregated records: the 4-byte magic, a protobuf `AggregatedRecord`, and the MD5 digest
 * of the protobuf bytes. The format is small and fixed (three messages, eight fields), so a dedicated
 * reader of a few hundred lines replaces a general protobuf runtime in the Lambda bundle and its cold
 * start, and hands out each payload as a view of the record's bytes instead of a base64 string.
 *
 * It is strict: the checksum must match, every length must fit inside its enclosing message, every index
 * must point into its table, required fields must be present, known fields must have their declared wire
 * type, and strings the router uses must be valid UTF-8. Unknown fields are skipped by wire type, as
 * protobuf requires, so a producer on a newer schema still reads. Every failure is a {@link KplError}
 * whose message names the record, the field and the byte offset (counted from the start of the whole
 * aggregate, magic included).
 *
 * Schema (proto2):
 * ```proto
 * message AggregatedRecord {
 *   repeated string partition_key_table = 1;
 *   repeated string explicit_hash_key_table = 2;
 *   repeated Record records = 3;
 * }
 * message Record {
 *   required uint64 partition_key_index = 1;
 *   optional uint64 explicit_hash_key_index = 2;
 *   required bytes data = 3;
 *   repeated Tag tags = 4;
 * }
 * message Tag { required string key = 1; optional string value = 2; }
 * ```
 */

import { hash } from 'node:crypto';
import { RouterError, type RouterErrorOptions } from '../errors.ts';

/** The 4-byte magic prefix of a KPL aggregated record: what tells an aggregate from a plain record. */
export const KPL_MAGIC: Buffer = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/** Length of the MD5 digest that ends an aggregate. */
const DIGEST_BYTES = 16;

/**
 * One user record unpacked from an aggregate: what the producer passed to the KPL's `addUserRecord`, plus
 * its position, which is what tells sub-records of one Kinesis record apart.
 */
export interface KplUserRecord {
  /** The user record's own partition key (the Kinesis record carries only the aggregate's). */
  readonly partitionKey: string;
  /** The explicit hash key the producer set, if any (a decimal 128-bit integer as text). */
  readonly explicitHashKey?: string;
  /** The payload, a view of the aggregate's bytes (not a copy). */
  readonly data: Buffer;
  /** Zero-based position inside the aggregate: the KPL sub-sequence number. */
  readonly subSequenceNumber: number;
}

/**
 * Why an aggregate cannot be read. A separate class so callers can tell a malformed aggregate (quarantine
 * it) from a bug in the code around the reader (let it surface).
 */
export class KplError extends RouterError {
  override readonly name = 'KplError';

  constructor(message: string, options: RouterErrorOptions = {}) {
    super(message, false, options);
  }
}

/** True when the bytes start with the KPL aggregation magic number. */
export function isAggregated(bytes: Buffer): boolean {
  // Byte by byte: every record of a batch asks, and a subarray view per record is an allocation.
  return (
    bytes.length >= KPL_MAGIC.length &&
    bytes[0] === KPL_MAGIC[0] &&
    bytes[1] === KPL_MAGIC[1] &&
    bytes[2] === KPL_MAGIC[2] &&
    bytes[3] === KPL_MAGIC[3]
  );
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;
const WIRE_NAMES = ['varint', '64-bit', 'length-delimited', 'start-group', 'end-group', '32-bit'];

/** Nesting limit of unknown groups being skipped, so crafted input cannot exhaust the stack. */
const MAX_GROUP_DEPTH = 32;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function wireName(wire: number): string {
  return WIRE_NAMES[wire] ?? 'not defined by protobuf';
}

/** An index as text; past 2^53 a double is no longer exact, so the message says so instead of lying. */
function describeIndex(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : 'above 2^53';
}

/** A field's name in messages: `name`, or `name[index]` for an entry of a repeated field. */
function label(name: string, index: number): string {
  return index < 0 ? name : `${name}[${index}]`;
}

/**
 * A cursor over one message's bytes. `end` is the end of the enclosing message, so a length that runs
 * past it is caught even when the whole buffer would have room. Errors name the record (and tag) being
 * read; that prefix is built only when something fails, never on the way through a good aggregate.
 */
class Reader {
  pos: number;
  /** The field number, wire type and offset of the key {@link nextField} read last. */
  field = 0;
  wire = 0;
  fieldAt = 0;

  constructor(
    private readonly bytes: Buffer,
    start: number,
    readonly end: number,
    /** Index of the record being read, or -1 at the top level. */
    private readonly record = -1,
    /** Index and offset of the tag being read, or -1. */
    private readonly tag = -1,
    private readonly tagAt = 0,
  ) {
    this.pos = start;
  }

  fail(message: string): never {
    const record = this.record < 0 ? '' : `record ${this.record}: `;
    const tag = this.tag < 0 ? '' : `tags[${this.tag}] at byte ${this.tagAt}: `;
    throw new KplError(`${record}${tag}${message}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * An unsigned varint of up to 64 bits (at most 10 bytes, the last holding only bit 63); exact up to
   * 2^53, approximate above, where it can only be out of range anyway.
   */
  varint(): number {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) this.fail(`truncated varint at byte ${start}`);
      const byte = this.bytes[this.pos++] ?? 0;
      if (i === 9 && byte > 1) this.fail(`varint at byte ${start} is longer than 64 bits`);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }

  /** A field key (field number << 3 | wire type), read at `pos`; callers split it with `>>> 3` and `& 7`. */
  key(): number {
    const at = this.pos;
    const key = this.varint();
    if (key > 0xffffffff) this.fail(`field key at byte ${at} is larger than 32 bits`);
    if (key < 8) this.fail(`field number 0 at byte ${at}`);
    return key;
  }

  /** Reads the next field's key and returns its field number (its wire type and offset stay beside it). */
  nextField(): number {
    this.fieldAt = this.pos;
    const key = this.key();
    this.field = key >>> 3;
    this.wire = key & 7;
    return this.field;
  }

  /** Steps over the field {@link nextField} read, which this reader does not know. */
  skipField(): void {
    this.skip(this.field, this.wire, this.fieldAt);
  }

  /**
   * Steps over a length-delimited field's content and returns where it starts (it ends at `pos`). `name`
   * and `index` only label errors, see {@link label}.
   */
  length(name: string, index = -1): number {
    const at = this.pos;
    const length = this.varint();
    const left = this.end - this.pos;
    if (length > left) {
      this.fail(
        `${label(name, index)} at byte ${at} is ${describeIndex(length)} bytes long, only ${left} are left`,
      );
    }
    const start = this.pos;
    this.pos += length;
    return start;
  }

  /** A length-delimited field's content as valid UTF-8 text. */
  string(name: string, index = -1): string {
    const start = this.length(name, index);
    try {
      return UTF8.decode(this.bytes.subarray(start, this.pos));
    } catch {
      return this.fail(`${label(name, index)} at byte ${start} is not valid UTF-8`);
    }
  }

  /** Steps over `n` fixed bytes. */
  private skipBytes(n: number, at: number): void {
    if (this.end - this.pos < n) this.fail(`truncated ${n * 8}-bit field at byte ${at}`);
    this.pos += n;
  }

  /** Steps over a field this reader does not know, by its wire type. */
  skip(field: number, wire: number, at: number, depth = 0): void {
    if (wire === WIRE_END_GROUP) this.fail(`end of group ${field} at byte ${at} without its start`);
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.skipBytes(8, at);
        return;
      case WIRE_LENGTH:
        this.length(`field ${field}`);
        return;
      case WIRE_FIXED32:
        this.skipBytes(4, at);
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) this.fail(`groups nested deeper than ${MAX_GROUP_DEPTH} at byte ${at}`);
        for (;;) {
          if (this.done) this.fail(`group ${field} opened at byte ${at} is never closed`);
          const innerAt = this.pos;
          const inner = this.key();
          if ((inner & 7) === WIRE_END_GROUP) {
            if (inner >>> 3 !== field) {
              this.fail(
                `group ${field} opened at byte ${at} is closed as group ${inner >>> 3} at byte ${innerAt}`,
              );
            }
            return;
          }
          this.skip(inner >>> 3, inner & 7, innerAt, depth + 1);
        }
      }
      default:
        this.fail(`field ${field} at byte ${at} has wire type ${wire}, which protobuf does not define`);
    }
  }

  /** Fails unless the field {@link nextField} read arrived with the wire type the schema declares. */
  expectWire(expected: number, name: string, index = -1): void {
    const { wire } = this;
    if (wire !== expected) {
      this.fail(
        `${label(name, index)} at byte ${this.fieldAt} has wire type ${wire} (${wireName(wire)}), expected ${expected} (${wireName(expected)})`,
      );
    }
  }
}

/** Checks one `Tag`'s shape (the router does not use tags, so they are not kept). */
function checkTag(
  bytes: Buffer,
  start: number,
  end: number,
  record: number,
  tag: number,
  tagAt: number,
): void {
  const reader = new Reader(bytes, start, end, record, tag, tagAt);
  let hasKey = false;
  while (!reader.done) {
    const field = reader.nextField();
    if (field === 1 || field === 2) {
      const name = field === 1 ? 'key' : 'value';
      reader.expectWire(WIRE_LENGTH, name);
      reader.length(name);
      if (field === 1) hasKey = true;
    } else {
      reader.skipField();
    }
  }
  if (!hasKey) reader.fail('required key is missing');
}

/** Reads one `Record` message into a user record, resolving its indexes against the tables. */
function readRecord(
  bytes: Buffer,
  start: number,
  end: number,
  subSequenceNumber: number,
  partitionKeys: readonly string[],
  explicitHashKeys: readonly string[],
): KplUserRecord {
  const reader = new Reader(bytes, start, end, subSequenceNumber);
  let partitionKeyIndex: number | undefined;
  let explicitHashKeyIndex: number | undefined;
  let data: Buffer | undefined;
  let tags = 0;
  while (!reader.done) {
    switch (reader.nextField()) {
      case 1:
        reader.expectWire(WIRE_VARINT, 'partition_key_index');
        partitionKeyIndex = reader.varint();
        break;
      case 2:
        reader.expectWire(WIRE_VARINT, 'explicit_hash_key_index');
        explicitHashKeyIndex = reader.varint();
        break;
      case 3: {
        reader.expectWire(WIRE_LENGTH, 'data');
        data = bytes.subarray(reader.length('data'), reader.pos);
        break;
      }
      case 4: {
        reader.expectWire(WIRE_LENGTH, 'tags', tags);
        const tagAt = reader.fieldAt;
        checkTag(bytes, reader.length('tags', tags), reader.pos, subSequenceNumber, tags, tagAt);
        tags++;
        break;
      }
      default:
        reader.skipField();
    }
  }
  if (partitionKeyIndex === undefined) return reader.fail('required partition_key_index is missing');
  if (data === undefined) return reader.fail('required data is missing');
  const partitionKey = partitionKeys[partitionKeyIndex];
  if (partitionKey === undefined) {
    return reader.fail(
      `partition_key_index ${describeIndex(partitionKeyIndex)} is outside the table of ${partitionKeys.length} keys`,
    );
  }
  if (explicitHashKeyIndex === undefined) return { partitionKey, data, subSequenceNumber };
  const explicitHashKey = explicitHashKeys[explicitHashKeyIndex];
  if (explicitHashKey === undefined) {
    return reader.fail(
      `explicit_hash_key_index ${describeIndex(explicitHashKeyIndex)} is outside the table of ${explicitHashKeys.length} keys`,
    );
  }
  return { partitionKey, explicitHashKey, data, subSequenceNumber };
}

/**
 * Unpacks a KPL aggregated record into its user records, in order. This is what lets the router accept
 * streams written by the Kinesis Producer Library (or any aggregator of the same format) next to plain
 * records; {@link isAggregated} tells which is which.
 *
 * Throws a {@link KplError} naming what is wrong when the bytes are not a well-formed aggregate: a missing
 * magic, a checksum mismatch, a truncated or overlong field, a wrong wire type, a missing required field,
 * an index outside its table. An aggregate with no records returns an empty array.
 *
 * @example
 * if (isAggregated(bytes)) for (const user of deaggregate(bytes)) handle(user.partitionKey, user.data);
 */
export function deaggregate(bytes: Buffer): KplUserRecord[] {
  if (!isAggregated(bytes)) throw new KplError('the record does not start with the KPL magic number');
  const bodyEnd = bytes.length - DIGEST_BYTES;
  if (bodyEnd < KPL_MAGIC.length) {
    throw new KplError(
      `truncated: ${bytes.length} bytes cannot hold the ${KPL_MAGIC.length}-byte magic and ${DIGEST_BYTES}-byte checksum`,
    );
  }
  const body = bytes.subarray(KPL_MAGIC.length, bodyEnd);
  if (!hash('md5', body, 'buffer').equals(bytes.subarray(bodyEnd))) {
    throw new KplError('checksum mismatch: the MD5 digest does not match the aggregated bytes');
  }

  const reader = new Reader(bytes, KPL_MAGIC.length, bodyEnd);
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  // Record spans are read after the whole message: protobuf allows the tables to follow the records.
  const spans: number[] = [];
  while (!reader.done) {
    switch (reader.nextField()) {
      case 1:
        reader.expectWire(WIRE_LENGTH, 'partition_key_table', partitionKeys.length);
        partitionKeys.push(reader.string('partition_key_table', partitionKeys.length));
        break;
      case 2:
        reader.expectWire(WIRE_LENGTH, 'explicit_hash_key_table', explicitHashKeys.length);
        explicitHashKeys.push(reader.string('explicit_hash_key_table', explicitHashKeys.length));
        break;
      case 3: {
        reader.expectWire(WIRE_LENGTH, 'records', spans.length / 2);
        const start = reader.length('records', spans.length / 2);
        spans.push(start, reader.pos);
        break;
      }
      default:
        reader.skipField();
    }
  }

  const records: KplUserRecord[] = [];
  for (let i = 0; 2 * i < spans.length; i++) {
    records.push(
      readRecord(bytes, spans[2 * i] ?? 0, spans[2 * i + 1] ?? 0, i, partitionKeys, explicitHashKeys),
    );
  }
  return records;
}
