/**
 * The root's own fields beyond StartAt and States: the runtime's (`Engine`, `Mode`, `Match`, `IdPath`)
 * and the spec's `Version` and `TimeoutSeconds`. `Match` is compiled by the router's event-pattern
 * compiler, so a pattern accepted here is the pattern that routes.
 */
import { compilePattern, PatternError } from '../../patterns/index.ts';
import { pointerJoin } from '../parse.ts';
import type { JsonValue } from '../types.ts';
import type { Checker, Obj } from './Checker.ts';
import { checkPath } from './dataflow.ts';

/** Checks the root object's engine-level fields. */
export function checkEngineFields(c: Checker, value: Obj): void {
  const engine = value.Engine;
  if (engine !== undefined && (typeof engine !== 'string' || engine.trim() === '')) {
    c.report('/Engine', undefined, `'Engine' must be a non-empty string`);
  }
  if (value.Mode !== undefined && value.Mode !== 'standard' && value.Mode !== 'express') {
    c.report('/Mode', undefined, `'Mode' must be 'standard' or 'express'`);
  }
  if (value.Checkpoint !== undefined && value.Checkpoint !== 'durable' && value.Checkpoint !== 'every-step') {
    c.report('/Checkpoint', undefined, `'Checkpoint' must be 'durable' or 'every-step'`);
  }
  if (value.Version !== undefined && typeof value.Version !== 'string') {
    c.report('/Version', undefined, `'Version' must be a string`);
  }
  c.integer(value, 'TimeoutSeconds', '', undefined, 1, '> 0');
  checkPath(c, value, 'IdPath', '', undefined, 'reference', false);
  if (value.Match !== undefined) checkMatch(c, value.Match, '/Match');
}

/** Reports a `Match` the event-pattern compiler refuses, at the pointer of the field it names. */
function checkMatch(c: Checker, value: unknown, path: string): void {
  try {
    compilePattern(value as JsonValue);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    // The compiler names the field as `pattern.a.b[0]: reason`; turn that into a pointer under /Match.
    const parsed = /^pattern((?:\.[^.:[\]]+|\[\d+\])*):\s*(.*)$/s.exec(error.message);
    const segments = [...(parsed?.[1] ?? '').matchAll(/\.([^.:[\]]+)|\[(\d+)\]/g)].map(
      (m) => m[1] ?? m[2] ?? '',
    );
    const where = segments.reduce<string>((p, segment) => pointerJoin(p, segment), path);
    c.report(where, undefined, `'Match' event pattern: ${parsed?.[2] ?? error.message}`);
  }
}
