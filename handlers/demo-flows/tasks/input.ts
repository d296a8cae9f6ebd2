/**
 * Input checks shared by the reusable flow tasks: a task is called from many workflows, so a bad payload
 * must say which task and which field.
 */

/** Reads a required non-empty string field. */
export function requireString(event: unknown, field: string, task: string): string {
  const value =
    typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`${task}: input field '${field}' must be a non-empty string`);
  return value;
}
