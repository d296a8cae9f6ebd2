/**
 * The message fields the seed-004 steps receive. The legacy graph passes only the keys named in a step's
 * `args`, so each step reads just those and names the missing or malformed one.
 */

/** Reads a required string field of a step's payload. */
export function stringField(event: unknown, field: string, step: string): string {
  const value =
    typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${step}: payload field '${field}' must be a non-empty string`);
  }
  return value;
}

/** Reads a required finite number field of a step's payload. */
export function numberField(event: unknown, field: string, step: string): number {
  const value =
    typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${step}: payload field '${field}' must be a number`);
  }
  return value;
}
