/**
 * How an execution record is laid out as a DynamoDB item: keys, the due-timer index entry and the
 * per-engine listing and status index entries. Kept apart from the store so the sweep and the CLI read the same layout.
 */
import { createHash } from 'node:crypto';
import { isJsonObject } from '../asl/index.ts';
import {
  type ExecutionKey,
  type ExecutionOrigin,
  type ExecutionRecord,
  type ExecutionStatus,
  listingSortKey,
} from './ExecutionStore.ts';
import type { ParentLink } from './parentLink.ts';
import {
  LARGE_FIELDS,
  type LargeField,
  type PayloadRef,
  REF_ATTRIBUTE_MAX_BYTES,
  refAttribute,
  refOfAttribute,
} from './payloads.ts';

/** Due timers are spread over this many index partitions so the sweep never hits one hot key. */
export const DUE_PARTITIONS = 4;

const MAX_KEY_PART = 900;

function keyPart(dedupKey: string): string {
  return dedupKey.length <= MAX_KEY_PART
    ? dedupKey
    : `sha256:${createHash('sha256').update(dedupKey).digest('hex')}`;
}

/** Primary key of an execution item. */
export function executionItemKey(key: ExecutionKey): { pk: string; sk: string } {
  return { pk: `EXEC#${key.engine}#${keyPart(key.dedupKey)}`, sk: 'EXEC' };
}

/** Key of the failure counter kept beside an execution. */
export function attemptsItemKey(key: ExecutionKey): { pk: string; sk: string } {
  return { pk: executionItemKey(key).pk, sk: 'ATTEMPTS' };
}

/** The due-index attributes of a WAITING execution. */
export function dueIndexKeys(record: ExecutionRecord, dueAt: number): { gsi1pk: string; gsi1sk: string } {
  const partition = createHash('sha256').update(record.executionId).digest().readUInt8(0) % DUE_PARTITIONS;
  return { gsi1pk: `DUE#${partition}`, gsi1sk: `${String(dueAt).padStart(15, '0')}#${record.executionId}` };
}

/** The status index partition of an engine's executions with one status. */
export function statusPartition(engine: string, status: ExecutionStatus): string {
  return `STATUS#${engine}#${status}`;
}

/**
 * The status index entry of a record with `status`: rewritten by every write that sets the status, so an
 * operator lists one engine's FAILED executions, or counts them, without reading the others.
 */
export function statusIndexKeys(
  record: Pick<ExecutionRecord, 'engine' | 'startedAt' | 'executionId'>,
  status: ExecutionStatus,
): { gsi3pk: string; gsi3sk: string } {
  return { gsi3pk: statusPartition(record.engine, status), gsi3sk: listingSortKey(record) };
}

/** The item for a record: a value kept by reference is written as its reference. */
export function toItem(record: ExecutionRecord): Record<string, unknown> {
  // Every write of every message passes here: built without spreading (see `router/records.ts`).
  const key = executionItemKey(record);
  const status = statusIndexKeys(record, record.status);
  const item: Record<string, unknown> = {
    pk: key.pk,
    sk: key.sk,
    gsi2pk: `ENGINE#${record.engine}`,
    gsi2sk: status.gsi3sk,
    gsi3pk: status.gsi3pk,
    gsi3sk: status.gsi3sk,
  };
  Object.assign(item, record);
  const refs = record.refs;
  if (refs !== undefined) {
    delete item.refs;
    for (const field in refs) {
      const ref = refs[field as LargeField];
      if (ref !== undefined) item[field] = refAttribute(ref);
    }
  }
  return item;
}

/** DynamoDB's item size limit: 400 KB, counted as attribute names plus values. */
export const DYNAMODB_ITEM_MAX_BYTES = 400 * 1024;

/**
 * A value's size as DynamoDB counts it towards the item limit: strings by UTF-8 bytes, numbers by
 * digits (about one byte per two), maps and lists by their entries plus a few bytes each.
 */
export function attributeBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return 2 + Math.ceil(String(Math.abs(value)).length / 2);
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return value.reduce<number>((sum, v) => sum + 1 + attributeBytes(v), 3);
  if (typeof value === 'object') {
    let sum = 3;
    for (const [name, v] of Object.entries(value)) {
      if (v !== undefined) sum += Buffer.byteLength(name, 'utf8') + 1 + attributeBytes(v);
    }
    return sum;
  }
  return 0;
}

/** Size of an item as DynamoDB counts it (undefined attributes are not written). */
export function itemBytes(item: Record<string, unknown>): number {
  let sum = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) sum += Buffer.byteLength(name, 'utf8') + attributeBytes(value);
  }
  return sum;
}

/** Most bytes DynamoDB counts for a number. */
const NUMBER_MAX_BYTES = 21;

/**
 * An upper bound of {@link attributeBytes} that encodes nothing (every write sizes its item): three
 * bytes per UTF-16 unit of a string, the most a number can take.
 */
function attributeBound(value: unknown): number {
  if (typeof value === 'string') return 3 * value.length;
  if (typeof value === 'number') return NUMBER_MAX_BYTES;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) {
    let sum = 3;
    for (const v of value) sum += 1 + attributeBound(v);
    return sum;
  }
  if (typeof value === 'object') {
    let sum = 3;
    for (const name in value) {
      const v: unknown = (value as Record<string, unknown>)[name];
      if (v !== undefined) sum += 3 * name.length + 1 + attributeBound(v);
    }
    return sum;
  }
  return 0;
}

/** Room for the due-index entry (`gsi1pk`, `gsi1sk`) a write may add to an item. */
const DUE_INDEX_BYTES = 128;

const LARGE: ReadonlySet<string> = new Set<LargeField>(LARGE_FIELDS);

/**
 * An upper bound of the size of a record's item without its large values (which `placeValues` sizes),
 * with room for the due-index entry: what the values must leave room for.
 */
export function fixedItemBytes(record: ExecutionRecord): number {
  const engine = record.engine.length;
  const pk = 2 + 3 * (6 + engine + Math.min(record.dedupKey.length, MAX_KEY_PART));
  const sk = 2 + 4;
  const gsi2 = 6 + 3 * (7 + engine) + 6 + 3 * (record.startedAt.length + 1 + record.executionId.length);
  const gsi3 = gsi2 + 3 * (5 + 'QUARANTINED'.length);
  let sum = DUE_INDEX_BYTES + pk + sk + gsi2 + gsi3;
  for (const name in record) {
    if (name === 'refs' || LARGE.has(name)) continue;
    const value = record[name as keyof ExecutionRecord];
    if (value !== undefined) sum += name.length + attributeBound(value);
  }
  return sum;
}

/** An upper bound of the size of the item a record is written as. */
export function itemBytesBound(record: ExecutionRecord): number {
  let sum = fixedItemBytes(record);
  for (const field of LARGE_FIELDS) {
    const value = record[field];
    if (record.refs?.[field] !== undefined) sum += field.length + REF_ATTRIBUTE_MAX_BYTES;
    else if (value !== undefined) sum += field.length + 3 * value.length;
  }
  return sum;
}

const STATUSES: ReadonlySet<string> = new Set(['RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'QUARANTINED']);

function optionalString(item: Record<string, unknown>, field: string): Record<string, string> {
  const value = item[field];
  return typeof value === 'string' ? { [field]: value } : {};
}

function optionalNumber(item: Record<string, unknown>, field: string): Record<string, number> {
  const value = item[field];
  return typeof value === 'number' ? { [field]: value } : {};
}

/** The references an item holds, by field; undefined when it holds none. */
function refsOf(item: Record<string, unknown>): Record<string, PayloadRef> | undefined {
  let refs: Record<string, PayloadRef> | undefined;
  for (const field of LARGE_FIELDS) {
    const ref = refOfAttribute(item[field]);
    if (ref === undefined) continue;
    refs = refs ?? {};
    refs[field] = ref;
  }
  return refs;
}

/**
 * The record in an item. A value kept by reference is named in `refs` and left out (see
 * `resolveValues`).
 */
export function fromItem(item: Record<string, unknown>): ExecutionRecord {
  const status = String(item.status);
  const origin = item.origin;
  const refs = refsOf(item);
  return {
    engine: String(item.engine),
    dedupKey: String(item.dedupKey),
    executionId: String(item.executionId),
    version: Number(item.version),
    mode: item.mode === 'express' ? 'express' : 'standard',
    status: (STATUSES.has(status) ? status : 'RUNNING') as ExecutionStatus,
    rev: Number(item.rev ?? 0),
    startedAt: String(item.startedAt),
    updatedAt: String(item.updatedAt),
    ...optionalString(item, 'leaseOwner'),
    ...optionalNumber(item, 'leaseExpiresAt'),
    ...optionalString(item, 'checkpoint'),
    ...optionalNumber(item, 'dueAt'),
    ...optionalString(item, 'input'),
    ...optionalString(item, 'output'),
    ...optionalString(item, 'error'),
    ...optionalString(item, 'cause'),
    ...optionalNumber(item, 'expiresAt'),
    ...optionalString(item, 'history'),
    ...(isJsonObject(origin) ? { origin: origin as ExecutionOrigin } : {}),
    ...(Array.isArray(item.callbacks)
      ? { callbacks: item.callbacks.filter((key): key is string => typeof key === 'string') }
      : {}),
    ...(refs === undefined ? {} : { refs }),
    ...(isJsonObject(item.parent) && typeof item.parent.executionId === 'string'
      ? { parent: item.parent as unknown as ParentLink }
      : {}),
    ...(Array.isArray(item.children)
      ? { children: item.children.filter((id): id is string => typeof id === 'string') }
      : {}),
  };
}
