/**
 * How an execution record is laid out as a DynamoDB item: keys, the due-timer index entry and the
 * per-engine listing index entry. Kept apart from the store so the sweep and the CLI read the same layout.
 */
import { createHash } from 'node:crypto';
import { isJsonObject } from '../asl/types.ts';
import type { ExecutionKey, ExecutionOrigin, ExecutionRecord, ExecutionStatus } from './ExecutionStore.ts';

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

/** The item for a record. */
export function toItem(record: ExecutionRecord): Record<string, unknown> {
  return {
    ...executionItemKey(record),
    gsi2pk: `ENGINE#${record.engine}`,
    gsi2sk: `${record.startedAt}#${record.executionId}`,
    ...record,
  };
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

/** The record in an item. */
export function fromItem(item: Record<string, unknown>): ExecutionRecord {
  const status = String(item.status);
  const origin = item.origin;
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
  };
}
