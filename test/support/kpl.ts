/**
 * A small protobuf writer for building KPL aggregates by hand, field by field, so tests can produce what
 * the reference aggregator never writes: tags, unknown fields of every wire type, tables after records,
 * wrong wire types, truncations, bad indexes. Independent of the reader under test.
 */

import { createHash } from 'node:crypto';

/** One protobuf field as written on the wire. `key` writes a raw key with no payload (any wire type). */
export type WireField =
  | { readonly field: number; readonly varint: number | bigint }
  | { readonly field: number; readonly fixed64: bigint }
  | { readonly field: number; readonly fixed32: number }
  | { readonly field: number; readonly bytes: Buffer | string | readonly WireField[] }
  | { readonly field: number; readonly group: readonly WireField[] }
  | { readonly key: number };

/** The KPL magic number, written out independently of the reader's constant. */
export const MAGIC = Buffer.from('f3899ac2', 'hex');

/** Unsigned LEB128 varint. */
export function varint(value: number | bigint): Buffer {
  let rest = BigInt(value);
  const out: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return Buffer.from(out);
}

function key(field: number, wire: number): Buffer {
  return varint(BigInt(field) * 8n + BigInt(wire));
}

/** The bytes of a message made of the given fields, in the given order. */
export function message(fields: readonly WireField[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    if ('key' in f) {
      parts.push(varint(f.key));
    } else if ('varint' in f) {
      parts.push(key(f.field, 0), varint(f.varint));
    } else if ('fixed64' in f) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(f.fixed64);
      parts.push(key(f.field, 1), b);
    } else if ('fixed32' in f) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(f.fixed32);
      parts.push(key(f.field, 5), b);
    } else if ('group' in f) {
      parts.push(key(f.field, 3), message(f.group), key(f.field, 4));
    } else {
      const content =
        typeof f.bytes === 'string'
          ? Buffer.from(f.bytes, 'utf8')
          : Buffer.isBuffer(f.bytes)
            ? f.bytes
            : message(f.bytes);
      parts.push(key(f.field, 2), varint(content.length), content);
    }
  }
  return Buffer.concat(parts);
}

/** Magic + body + MD5 of the body (or the given digest, to build a checksum mismatch). */
export function frame(body: Buffer, digest?: Buffer): Buffer {
  return Buffer.concat([MAGIC, body, digest ?? createHash('md5').update(body).digest()]);
}

/** A user record for {@link aggregate}: indexes are written as given, so they may be out of range. */
export interface HandRecord {
  readonly partitionKeyIndex: number | bigint;
  readonly explicitHashKeyIndex?: number | bigint;
  readonly data: Buffer | string;
  readonly tags?: readonly { readonly key: string; readonly value?: string }[];
}

/** The `Record` message fields of one hand record, in schema order. */
export function recordFields(record: HandRecord): WireField[] {
  return [
    { field: 1, varint: record.partitionKeyIndex },
    ...(record.explicitHashKeyIndex === undefined ? [] : [{ field: 2, varint: record.explicitHashKeyIndex }]),
    { field: 3, bytes: record.data },
    ...(record.tags ?? []).map(
      (tag): WireField => ({
        field: 4,
        bytes: [
          { field: 1, bytes: tag.key },
          ...(tag.value === undefined ? [] : [{ field: 2, bytes: tag.value }]),
        ],
      }),
    ),
  ];
}

/** The `AggregatedRecord` fields: tables first, then records, as the KPL writes them. */
export function aggregateFields(
  partitionKeys: readonly string[],
  explicitHashKeys: readonly string[],
  records: readonly HandRecord[],
): WireField[] {
  return [
    ...partitionKeys.map((k): WireField => ({ field: 1, bytes: k })),
    ...explicitHashKeys.map((k): WireField => ({ field: 2, bytes: k })),
    ...records.map((r): WireField => ({ field: 3, bytes: recordFields(r) })),
  ];
}

/** A complete, well-formed aggregate built by hand. */
export function aggregate(
  partitionKeys: readonly string[],
  explicitHashKeys: readonly string[],
  records: readonly HandRecord[],
): Buffer {
  return frame(message(aggregateFields(partitionKeys, explicitHashKeys, records)));
}
