/**
 * What every part of the validator shares: where problems go (with the path, state and line of each),
 * the graph-wide set of state names, and the checks of a single field that every state type uses.
 */

import type { ResourceAllowlist } from '../allowlist.ts';
import type { Position } from '../parse.ts';
import { pointerJoin } from '../parse.ts';
import type { GraphProblem, QueryLanguage } from '../types.ts';

/** Where to report problems and which resources Task states may name. */
export interface ValidateOptions {
  /** Without one, Task resources are checked for form only. */
  readonly allowlist?: ResourceAllowlist;
  readonly file?: string;
  readonly positionOf?: (path: string) => Position | undefined;
  /**
   * A hint about how the value at exactly this path was written (a quoteless value that took the rest
   * of its line), added to a problem reported there. `ParsedSource.hintAt` gives one.
   */
  readonly hintAt?: (path: string) => string | undefined;
}

/** A JSON object as the validator sees it: nothing about its fields is known yet. */
export type Obj = Record<string, unknown>;

/** true for a plain object (not null, not an array). */
export function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A `${Name}` placeholder anywhere in a string: its value comes from the stage's variables file. */
export const PLACEHOLDER = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;
const WHOLE_PLACEHOLDER = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Checks a Step Functions-style RFC 3339 timestamp (upper-case T and Z, a real date). */
export function isRfc3339(text: string): boolean {
  return RFC3339.test(text) && !Number.isNaN(Date.parse(text));
}

/** The problems found so far and the field checks that add to them; one per `validateGraph` call. */
export class Checker {
  readonly problems: GraphProblem[] = [];
  /** Every state name in the whole graph: Step Functions wants them unique across branches too. */
  readonly names = new Map<string, string>();
  /** The root's QueryLanguage: the language of every state that names none. */
  language: QueryLanguage = 'JSONPath';

  constructor(readonly options: ValidateOptions) {}

  /** Records one problem, placed at the nearest position the source has for its path. */
  report(path: string, state: string | undefined, message: string): void {
    let position: Position | undefined;
    if (this.options.positionOf !== undefined) {
      for (let p = path; position === undefined; p = p.slice(0, p.lastIndexOf('/'))) {
        position = this.options.positionOf(p);
        if (p === '') break;
      }
    }
    const hint = this.options.hintAt?.(path);
    this.problems.push({
      path,
      message: hint === undefined ? message : `${message} (hint: ${hint})`,
      ...(this.options.file === undefined ? {} : { file: this.options.file }),
      ...(state === undefined ? {} : { state }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    });
  }

  /** Reports each key of `obj` that `allowed` does not list. */
  unknownFields(
    obj: Obj,
    allowed: ReadonlySet<string>,
    path: string,
    state: string | undefined,
    what: string,
  ): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.has(key)) this.report(pointerJoin(path, key), state, `unknown field '${key}' in ${what}`);
    }
  }

  /** A non-empty string field; undefined (after reporting, when wrong or missing and required) otherwise. */
  string(
    obj: Obj,
    key: string,
    path: string,
    state: string | undefined,
    required: boolean,
  ): string | undefined {
    const value = obj[key];
    if (value === undefined) {
      if (required) this.report(pointerJoin(path, key), state, `missing required field '${key}'`);
      return undefined;
    }
    if (typeof value !== 'string' || value === '') {
      this.report(pointerJoin(path, key), state, `'${key}' must be a non-empty string`);
      return undefined;
    }
    return value;
  }

  /** An integer field of at least `min`; a whole-string placeholder is left to the stage's variables. */
  integer(
    obj: Obj,
    key: string,
    path: string,
    state: string | undefined,
    min: number,
    what = `>= ${min}`,
  ): number | undefined {
    const value = obj[key];
    // An unsubstituted whole-string placeholder gets its type from the stage's variables file.
    if (value === undefined || (typeof value === 'string' && WHOLE_PLACEHOLDER.test(value))) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      this.report(pointerJoin(path, key), state, `'${key}' must be an integer ${what}`);
      return undefined;
    }
    return value;
  }

  /** At most one of `keys` (exactly one when `required`). */
  exclusive(
    obj: Obj,
    keys: readonly string[],
    path: string,
    state: string | undefined,
    required: boolean,
  ): void {
    const present = keys.filter((k) => obj[k] !== undefined);
    if (present.length > 1) {
      this.report(
        pointerJoin(path, present[1] ?? ''),
        state,
        `only one of ${keys.map((k) => `'${k}'`).join(', ')} may be set (found ${present.join(', ')})`,
      );
    } else if (present.length === 0 && required) {
      this.report(path, state, `exactly one of ${keys.map((k) => `'${k}'`).join(', ')} is required`);
    }
  }

  /** A field naming a state (`Next`, `Default`, `StartAt`): it must exist in the same scope. */
  target(
    obj: Obj,
    key: string,
    path: string,
    state: string | undefined,
    targets: ReadonlySet<string>,
    required: boolean,
  ): void {
    const name = this.string(obj, key, path, state, required);
    if (name !== undefined && !targets.has(name)) {
      this.report(
        pointerJoin(path, key),
        state,
        `'${key}' names state '${name}', which does not exist in this scope`,
      );
    }
  }
}
