/**
 * Large values by reference. A DynamoDB item holds at most 400 KB, and an execution's values alone can
 * exceed that (a state holding a 256 KiB input and a 256 KiB result checkpoints as more than 512 KiB).
 * So the executions store keeps each large value of an execution (its checkpoint, history, input,
 * output, error and cause) in S3 under the engines bucket, addressed by the sha256 of its bytes, and
 * the item holds a reference instead: `{ "$ref": "s3://BUCKET/payloads/live/<sha256>", "bytes": N }`.
 *
 * ```
 *  value > 64 KiB ───────────────────────────────> S3, item holds the reference
 *  values inline would make the item > 128 KiB ──> S3 too, the largest first, until it fits
 *  anything else ────────────────────────────────> inline (a string attribute, as before)
 * ```
 *
 * Objects live under two prefixes, so a lifecycle rule can expire each class on its own:
 * - `payloads/live/`: values written while the execution runs or waits (checkpoints, histories);
 * - `payloads/done/`: values written with a terminal status (final state, input, output, cause).
 * Writing the same bytes again is a PUT of the same key: idempotent, and it renews the object's age.
 */
import { createHash } from 'node:crypto';
import { BUCKET_PREFIXES } from '../config.ts';

/** Largest value kept inline in the item (UTF-8 bytes); a larger one goes to S3. */
export const INLINE_VALUE_MAX_BYTES = 64 * 1024;

/**
 * Largest item the store writes while any of its values could still move out (about a third of
 * DynamoDB's 400 KB): leaves the rest of the limit to the attributes that cannot move (keys, dedup key).
 */
export const ITEM_TARGET_BYTES = 128 * 1024;

/** The record fields that may be kept by reference. */
export const LARGE_FIELDS = ['checkpoint', 'history', 'input', 'output', 'error', 'cause'] as const;

/** A field that may be kept by reference. */
export type LargeField = (typeof LARGE_FIELDS)[number];

/** Where a value kept out of the item is, and its size. */
export interface PayloadRef {
  /** `s3://BUCKET/payloads/{live|done}/<sha256 hex>` */
  readonly uri: string;
  readonly bytes: number;
}

/** The references an item holds, by field. */
export type PayloadRefs = { readonly [F in LargeField]?: PayloadRef };

/** Which lifecycle a value belongs to: an execution still running or waiting, or a finished one. */
export type PayloadClass = 'live' | 'done';

/** Key prefix of the values of one class, inside the bucket. */
export function payloadPrefix(kind: PayloadClass): string {
  return kind === 'live' ? BUCKET_PREFIXES.payloadsLive : BUCKET_PREFIXES.payloadsDone;
}

/** Where values too large for an item are kept, by content address. */
export interface PayloadStore {
  /** Writes `text` under the sha256 of its bytes; writing the same text again is harmless. */
  put(text: string, kind: PayloadClass): Promise<PayloadRef>;
  /**
   * Reads a value back; throws naming `what` (the execution and field) and the reference if the object
   * is gone or is not what its address says.
   */
  get(ref: PayloadRef, what: string): Promise<string>;
}

/** The sha256 (hex) of a value's UTF-8 bytes, and the bytes. */
export function contentAddress(text: string): { readonly sha256: string; readonly body: Buffer } {
  const body = Buffer.from(text, 'utf8');
  return { sha256: createHash('sha256').update(body).digest('hex'), body };
}

/** Splits `s3://bucket/key`; undefined when `uri` is not one. */
export function parsePayloadUri(uri: string): { readonly bucket: string; readonly key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { bucket: match[1], key: match[2] };
}

/** The sha256 a key ends with (its content address). */
export function addressOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** The item attribute standing for a value kept by reference. */
export interface RefAttribute {
  readonly $ref: string;
  readonly bytes: number;
}

/** The attribute a reference is written as. */
export function refAttribute(ref: PayloadRef): RefAttribute {
  return { $ref: ref.uri, bytes: ref.bytes };
}

/** The reference an attribute holds, if it holds one (an inline value is a string). */
export function refOfAttribute(value: unknown): PayloadRef | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const uri = (value as { $ref?: unknown }).$ref;
  const bytes = (value as { bytes?: unknown }).bytes;
  return typeof uri === 'string' ? { uri, bytes: typeof bytes === 'number' ? bytes : 0 } : undefined;
}

/**
 * Upper bound of a reference attribute's size in the item, counted before its object is written: a map
 * of `$ref` (up to 63 characters of bucket name, the prefix and 64 hex digits) and `bytes`.
 */
export const REF_ATTRIBUTE_MAX_BYTES = 256;

/** The large values of a record as its item holds them: inline text, references, or both once read. */
export type StoredValues = { readonly [F in LargeField]?: string } & { readonly refs?: PayloadRefs };

/** What a write does to the large values: the ones it sets, and the ones it removes. */
export interface ValueChange {
  readonly set: { readonly [F in LargeField]?: string };
  readonly remove?: readonly LargeField[];
}

/** Where a write leaves the large values. */
export interface PlacedValues {
  /** Attributes to SET: the inline text, or the reference, of every value the write moves or sets. */
  readonly set: { readonly [F in LargeField]?: string | RefAttribute };
  /** The item's references after the write. */
  readonly refs: PayloadRefs;
}

interface Slot {
  readonly field: LargeField;
  readonly text: string;
  readonly bytes: number;
  readonly written: boolean;
}

/**
 * Decides which values of the item a write leaves go to S3, writes them there, and says what to SET.
 * `before` is the item as the writer last saw it (the write is conditional on that revision, so it is
 * the item being changed); `otherBytes` is the size of the item's attributes other than the large
 * values. A value already inline that now makes the item too large moves out in the same write.
 *
 * @example
 * const placed = await placeValues(payloads, record, { set: { checkpoint } }, otherBytes, 'live');
 * // UpdateItem SET ...placed.set; the record returned carries placed.refs
 */
export async function placeValues(
  payloads: PayloadStore,
  before: StoredValues,
  change: ValueChange,
  otherBytes: number,
  kind: PayloadClass,
): Promise<PlacedValues> {
  const inline = placeInline(before, change, otherBytes);
  if (inline !== undefined) return inline;
  // The item may be too large: values move out, largest first, until it fits.
  const slots: { field: LargeField; text: string; written: boolean }[] = [];
  const refs: { [F in LargeField]?: PayloadRef } = keptOf(before, change);
  for (const field of LARGE_FIELDS) {
    const written = change.set[field];
    if (written === undefined && (change.remove?.includes(field) || refs[field] !== undefined)) continue;
    const text = written ?? before[field];
    if (text !== undefined) slots.push({ field, text, written: written !== undefined });
  }
  return moveLargest(payloads, slots, refs, otherBytes, kind);
}

/** True for a value already there: a caller that placed every value inline need not wait on a promise. */
export function isSettled<T>(value: T | Promise<T>): value is T {
  return !(value instanceof Promise);
}

/** No references kept: what most writes leave. Never written to: each write that adds one builds its own. */
const NO_REFS: PayloadRefs = Object.freeze({});

/**
 * Where a write leaves the large values when every one of them stays as it is (inline, or by the
 * reference it already has) because the item is clearly small enough; undefined when it may not be.
 * Bounded without encoding (three bytes per UTF-16 unit), and without allocating: most writes stop here,
 * and a caller that needs nothing else of {@link placeValues} need not wait for it.
 */
export function placeInline(
  before: StoredValues,
  change: ValueChange,
  otherBytes: number,
): PlacedValues | undefined {
  let bound = otherBytes;
  let longest = 0;
  let keptRefs = false;
  for (const field of LARGE_FIELDS) {
    const written = change.set[field];
    let text: string | undefined;
    if (written !== undefined) text = written;
    else if (change.remove?.includes(field)) continue;
    else if (before.refs?.[field] !== undefined) {
      keptRefs = true;
      bound += field.length + REF_ATTRIBUTE_MAX_BYTES;
      continue;
    } else text = before[field];
    if (text === undefined) continue;
    bound += field.length + 3 * text.length;
    if (text.length > longest) longest = text.length;
  }
  if (bound > ITEM_TARGET_BYTES || 3 * longest > INLINE_VALUE_MAX_BYTES) return undefined;
  return { set: change.set, refs: keptRefs ? keptOf(before, change) : NO_REFS };
}

/** The references a write keeps: the item's own, but for the values it sets or removes. */
function keptOf(before: StoredValues, change: ValueChange): PayloadRefs {
  const refs: { [F in LargeField]?: PayloadRef } = {};
  for (const field of LARGE_FIELDS) {
    const kept = before.refs?.[field];
    if (kept !== undefined && change.set[field] === undefined && !change.remove?.includes(field))
      refs[field] = kept;
  }
  return refs;
}

/** Moves the largest values to the payload store until the item fits; says what to SET. */
async function moveLargest(
  payloads: PayloadStore,
  inline: readonly { field: LargeField; text: string; written: boolean }[],
  refs: { [F in LargeField]?: PayloadRef },
  otherBytes: number,
  kind: PayloadClass,
): Promise<PlacedValues> {
  const sized: Slot[] = inline.map((slot) => ({ ...slot, bytes: Buffer.byteLength(slot.text, 'utf8') }));
  let total = otherBytes;
  for (const field of Object.keys(refs)) total += field.length + REF_ATTRIBUTE_MAX_BYTES;
  for (const slot of sized) total += slot.field.length + slot.bytes;
  const moving = new Set(sized.filter((slot) => slot.bytes > INLINE_VALUE_MAX_BYTES));
  for (const slot of moving) total -= slot.bytes - REF_ATTRIBUTE_MAX_BYTES;
  const largestFirst = sized.filter((slot) => !moving.has(slot)).sort((a, b) => b.bytes - a.bytes);
  for (const slot of largestFirst) {
    if (total <= ITEM_TARGET_BYTES) break;
    moving.add(slot);
    total -= slot.bytes - REF_ATTRIBUTE_MAX_BYTES;
  }
  const set: { [F in LargeField]?: string | RefAttribute } = {};
  const written = await Promise.all(
    [...moving].map(async (slot) => ({ slot, ref: await payloads.put(slot.text, kind) })),
  );
  for (const { slot, ref } of written) {
    refs[slot.field] = ref;
    set[slot.field] = refAttribute(ref);
  }
  for (const slot of sized) {
    if (slot.written && !moving.has(slot)) set[slot.field] = slot.text;
  }
  return { set, refs };
}

/**
 * The record with the values of `fields` that are kept by reference read back. `label` names the
 * execution in the error a missing or altered object raises.
 */
export async function resolveValues<R extends StoredValues>(
  payloads: PayloadStore,
  record: R,
  label: string,
  fields: readonly LargeField[] = LARGE_FIELDS,
): Promise<R> {
  const refs = record.refs;
  if (refs === undefined) return record;
  const missing = fields.filter((field) => refs[field] !== undefined && record[field] === undefined);
  if (missing.length === 0) return record;
  const values = await Promise.all(
    missing.map(async (field) => [
      field,
      await payloads.get(refs[field] as PayloadRef, `${label}: ${field}`),
    ]),
  );
  return { ...record, ...Object.fromEntries(values) };
}

/**
 * The values a reopened execution keeps that are stored among the finished ones (`payloads/done/`,
 * which expires with finished executions), read back so that the reopening write places them among the
 * live ones. `rewritten` are the fields the reopening write sets or removes anyway.
 */
export async function finishedValuesKept(
  payloads: PayloadStore,
  record: StoredValues,
  rewritten: readonly LargeField[],
  label: string,
): Promise<{ [F in LargeField]?: string }> {
  const done = `/${payloadPrefix('done')}`;
  const fields = LARGE_FIELDS.filter(
    (field) => !rewritten.includes(field) && record.refs?.[field]?.uri.includes(done) === true,
  );
  if (fields.length === 0) return {};
  const resolved = await resolveValues(payloads, storedForm(record), label, fields);
  const values: { [F in LargeField]?: string } = {};
  for (const field of fields) {
    const value = resolved[field];
    if (value !== undefined) values[field] = value;
  }
  return values;
}

/** True when the record has a value for `field`, inline or by reference (read or not). */
export function hasValue(record: StoredValues, field: LargeField): boolean {
  return record[field] !== undefined || record.refs?.[field] !== undefined;
}

/** The record with `refs` as its references (none: no `refs` field). */
export function withRefs<R extends StoredValues>(record: R, refs: PayloadRefs): R {
  if (record.refs === undefined && Object.keys(refs).length === 0) return record;
  const { refs: _old, ...rest } = record;
  return (Object.keys(refs).length === 0 ? rest : { ...rest, refs }) as R;
}

/** The record as its item holds it: values kept by reference are left out (read again on demand). */
export function storedForm<R extends StoredValues>(record: R): R {
  const refs = record.refs;
  if (refs === undefined) return record;
  const stored: Record<string, unknown> = { ...record };
  for (const field of LARGE_FIELDS) if (refs[field] !== undefined) delete stored[field];
  return stored as R;
}
