/**
 * How an error raised while running a state reads. A States.Runtime error fails the execution (no Catch
 * sees it), so its cause is written for the person who reads it: the state first, with the Map item or
 * Parallel branch it ran in; for a path that found nothing, the field it sits in and the value the path
 * was applied to (the state's data or the context object), cut to a readable length. Every other error
 * keeps its cause, which a Catch hands to the graph.
 *
 * ```
 * Task state 'Charge' (in Map state 'Orders' item 3): Parameters field 'customer.$': path
 * '$$.Map.Item.Value.customer' found nothing in the context object (field 'Map' is missing): {...}
 * ```
 */
import { type PathMiss, STATES_ERRORS, StatesError } from '../errors.ts';
import type { JsonValue } from '../types.ts';
import type { CompiledState } from './compiled.ts';
import { FieldError, type Frame, stateOf, toError } from './ctx.ts';

/** Characters of a value shown in a cause, at most. */
const SHOWN_CHARS = 1_000;
/** Characters of one string shown, at most. */
const SHOWN_STRING = 100;
/** Items of one array or fields of one object shown, at most. */
const SHOWN_ITEMS = 10;
/** Levels shown below the node where the path stopped. */
const SHOWN_DEPTH = 3;

/** The spec error and cause of an error raised in state `s` of `f` (for its Map item `item`, if given). */
export function stateError(
  f: Frame,
  s: CompiledState,
  error: unknown,
  item?: number,
): { error: string; cause: string } {
  const e = toError(error);
  if (e.error !== STATES_ERRORS.Runtime) return e;
  const miss = error instanceof StatesError ? error.miss : undefined;
  const field = error instanceof FieldError ? error.field : undefined;
  const detail = miss === undefined ? e.cause : describeMiss(miss, field, s);
  return { error: e.error, cause: `${whereIs(f, s, item)}: ${detail}` };
}

/** `Task state 'Charge' (in Parallel state 'P' branch 0 > Map state 'Orders' item 3)`. */
function whereIs(f: Frame, s: CompiledState, item: number | undefined): string {
  const outer: string[] = [];
  for (let child = f; child.parent !== undefined; child = child.parent) {
    const parent = stateOf(child.parent.machine, child.parent.thread.state);
    const index = child.loc[child.loc.length - 1] ?? 0;
    outer.unshift(
      `${parent.type} state '${parent.name}' ${parent.type === 'Map' ? 'item' : 'branch'} ${index}`,
    );
  }
  const around: string[] = [];
  if (item !== undefined) around.push(`item ${item}`);
  if (outer.length > 0) around.push(`in ${outer.join(' > ')}`);
  return `${s.type} state '${s.name}'${around.length > 0 ? ` (${around.join(', ')})` : ''}`;
}

/** What `$` is for the expression of a field of state `s`. */
function dataOf(field: string | undefined, s: CompiledState): string {
  switch (field) {
    case undefined:
      return "the state's data";
    case 'InputPath':
    case 'ErrorPath':
    case 'CausePath':
      return 'the state input';
    case 'ResultSelector':
      return 'the result';
    case 'OutputPath':
      return 'the state output before OutputPath';
    default:
      return s.inputPath === undefined ? 'the state input' : 'the state input after InputPath';
  }
}

function describeMiss(miss: PathMiss, field: string | undefined, s: CompiledState): string {
  const parts = [field, miss.field === undefined ? undefined : `field '${miss.field}'`];
  const where = parts.filter((part) => part !== undefined).join(' ');
  const read =
    miss.root === 'context'
      ? 'the context object'
      : miss.root === 'variable'
        ? `the variable '${miss.path.split(/[.[]/)[0] ?? miss.path}'`
        : dataOf(field, s);
  const text = `path '${miss.path}' found nothing in ${read} (${miss.reason}): ${showValue(miss.value, miss.steps)}`;
  return where === '' ? text : `${where}: ${text}`;
}

/**
 * JSON text of a value cut to a readable length, keeping the path's way open: the nodes the path went
 * through show every field (the others one level deep), and the node where it stopped shows a few levels.
 * Long strings, wide arrays and objects are elided with `…`; the cost is bounded whatever the value.
 */
function showValue(value: JsonValue, steps: readonly (string | number)[]): string {
  const text = render(value, steps, SHOWN_DEPTH);
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS - 1)}…` : text;
}

/** `way`: the steps still to take when the node is on the path's way, else undefined. */
function render(value: JsonValue, way: readonly (string | number)[] | undefined, depth: number): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > SHOWN_STRING ? `${value.slice(0, SHOWN_STRING)}…` : value);
  }
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const next = way?.[0];
  const follows = Array.isArray(value)
    ? typeof next === 'number' && next < value.length
    : typeof next === 'string' && Object.hasOwn(value, next);
  const budget = way !== undefined && !follows ? SHOWN_DEPTH : depth;
  const child = (key: string | number, item: JsonValue): string =>
    follows && key === next
      ? render(item, way?.slice(1), depth)
      : render(item, undefined, follows ? 1 : budget - 1);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (!follows && budget <= 0) return '[…]';
    const parts: string[] = [];
    const shown = Math.min(value.length, SHOWN_ITEMS);
    for (let i = 0; i < shown; i++) parts.push(child(i, value[i] as JsonValue));
    let after = value.length - shown;
    if (follows && typeof next === 'number' && next >= shown) {
      if (next > shown) parts.push(`…${next - shown} more`);
      parts.push(child(next, value[next] as JsonValue));
      after = value.length - next - 1;
    }
    if (after > 0) parts.push(`…${after} more`);
    return `[${parts.join(',')}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  if (!follows && budget <= 0) return '{…}';
  const parts: string[] = [];
  let hidden = 0;
  for (const key of keys) {
    if (parts.length >= SHOWN_ITEMS && !(follows && key === next)) {
      hidden += 1;
      continue;
    }
    parts.push(`${JSON.stringify(key)}:${child(key, value[key] as JsonValue)}`);
  }
  if (hidden > 0) parts.push(`…${hidden} more`);
  return `{${parts.join(',')}}`;
}
