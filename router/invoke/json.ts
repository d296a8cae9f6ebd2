/**
 * SDK responses hold Dates, byte arrays, streams and `$metadata`; a workflow only carries JSON. This
 * turns a response into the JSON Step Functions would pass on.
 */
import type { JsonValue } from '../asl/index.ts';

/** A JSON copy of an SDK value: Dates as ISO strings, bytes as base64, `$metadata` and undefined dropped. */
export function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === '$metadata' || item === undefined || typeof item === 'function') continue;
      out[key] = toJson(item);
    }
    return out;
  }
  return null;
}
