/**
 * JSONPath as the Amazon States Language uses it.
 *
 * Two grammars: a *reference path* (`$`, `.field`, `['field']`, `[n]`) names exactly one node and is what
 * InputPath, ResultPath, OutputPath, Choice `Variable` and most `.$` fields hold; a *full path* adds
 * wildcards, recursive descent, unions, slices and filters and always yields an array. Reference paths
 * are parsed once into segments and walked by hand (the interpreter's hot path); full paths go through
 * jsonpath-plus with its script-free filter evaluator. `$$` roots a path at the context object.
 */
import { JSONPath } from 'jsonpath-plus';
import { type PathMiss, STATES_ERRORS, StatesError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { InternTable } from './interned.ts';

/** Which grammar a field accepts: a reference path (one node) or any JSONPath. */
export type PathKind = 'reference' | 'path';

/** One step of a reference path: a field name or an array index. */
export type PathSegment = string | number;

/** A reference path parsed once: which root it starts from and the steps below it. */
export interface ReferencePath {
  /** The source text, for error messages. */
  readonly text: string;
  /** true for `$$...` (the context object), false for `$...` (the state input) and `$name...`. */
  readonly context: boolean;
  /** The variable a `$name...` path starts from. */
  readonly variable?: string;
  readonly segments: readonly PathSegment[];
}

/** The workflow variables a state can read (`$name` paths), by name. */
export type Variables = Readonly<Record<string, JsonValue>>;

/** A path compiled once and evaluated per state transition (`vars` for `$name` paths). */
export type CompiledPath = (input: JsonValue, context: JsonValue, vars?: Variables) => JsonValue;

/** Characters that may not appear in a dot-notation field name (they belong to the JSONPath syntax). */
const NOT_IN_DOT_NAME = new Set([...'.[]*?@,()\'"\\ \t\r\n']);

/**
 * The path as Step Functions reads it: a dot directly before a bracket (`$.[0]`, `$.Snapshots.[0].State`,
 * `$.[?(@.OU > 0)]`) is accepted there and means the bracket alone, so it is dropped here. A `..[`
 * (recursive descent) and anything inside brackets or quotes are left as written.
 */
export function loosePath(path: string): string {
  if (!path.includes('.[')) return path;
  let out = '';
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] ?? '';
    if (quote !== undefined) {
      if (ch === '\\') {
        out += ch + (path[i + 1] ?? '');
        i++;
        continue;
      }
      if (ch === quote) quote = undefined;
    } else if (depth > 0 && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (depth === 0 && ch === '.' && path[i + 1] === '[' && path[i - 1] !== '.') continue;
    out += ch;
  }
  return out;
}

/**
 * Parses a reference path, returning the parsed form or a message saying what is wrong and where.
 * Accepts `$`, `$$`, `.name`, `['name']` / `["name"]` (backslash escapes the quote), `[n]`.
 */
export function parseReferencePath(written: string): ReferencePath | string {
  const path = loosePath(written);
  if (!path.startsWith('$')) return `path '${path}' must start with '$'`;
  const context = path.startsWith('$$');
  const segments: PathSegment[] = [];
  let i = context ? 2 : 1;
  const variable = context ? undefined : variableAt(path);
  if (variable !== undefined) i = 1 + variable.length;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      let j = i + 1;
      while (j < path.length && !NOT_IN_DOT_NAME.has(path[j] ?? '')) j++;
      if (j === i + 1) {
        const next = path[j];
        if (next === '.') return `path '${path}': recursive descent '..' is not allowed in a reference path`;
        if (next === '*') return `path '${path}': wildcard '*' is not allowed in a reference path`;
        return next === undefined
          ? `path '${path}': a field name must follow '.' at the end`
          : `path '${path}': unexpected '${next}' after '.' at offset ${j}`;
      }
      segments.push(path.slice(i + 1, j));
      i = j;
    } else if (c === '[') {
      const quote = path[i + 1];
      if (quote === "'" || quote === '"') {
        let j = i + 2;
        let name = '';
        while (j < path.length && path[j] !== quote) {
          if (path[j] === '\\' && j + 1 < path.length) j++;
          name += path[j];
          j++;
        }
        if (j >= path.length) return `path '${path}': unterminated string starting at offset ${i + 1}`;
        if (path[j + 1] !== ']')
          return `path '${path}': expected ']' after the quoted name at offset ${j + 1}`;
        segments.push(name);
        i = j + 2;
      } else {
        const close = path.indexOf(']', i);
        if (close < 0) return `path '${path}': unclosed '[' at offset ${i}`;
        const inner = path.slice(i + 1, close);
        if (!/^\d+$/.test(inner)) {
          return `path '${path}': '[${inner}]' is not allowed in a reference path (only a field name or an index >= 0)`;
        }
        segments.push(Number(inner));
        i = close + 1;
      }
    } else {
      return `path '${path}': unexpected '${c}' at offset ${i}`;
    }
  }
  return variable === undefined
    ? { text: written, context, segments }
    : { text: written, context, variable, segments };
}

/** A variable name as the documentation defines it: a letter or `_`, then letters, digits and `_`. */
const VARIABLE_NAME = /^[\p{L}_][\p{L}\p{N}_]*/u;

/** The variable name after the `$` of a `$name...` path, or undefined for `$`, `$.x`, `$[0]`, `$$`. */
function variableAt(path: string): string | undefined {
  const next = path[1];
  if (next === undefined || next === '.' || next === '[' || next === '$') return undefined;
  return VARIABLE_NAME.exec(path.slice(1))?.[0];
}

/** Operators a filter may use; anything that assigns is refused (filters must not change the data). */
const ASSIGNMENT = /(^|[^=!<>])=(?!=)|\+\+|--/;
/** Quoted strings inside a filter (their content is data, not operators). */
const QUOTED = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g;

/** Scans the body of `[...]` in a full path starting at `open`; returns the index after `]` or a message. */
function scanBracket(path: string, open: number): number | string {
  const at = `path '${path}'`;
  if (path[open + 1] === '?') {
    if (path[open + 2] !== '(') return `${at}: expected '(' after '[?' at offset ${open + 2}`;
    let depth = 0;
    let quote: string | undefined;
    for (let j = open + 2; j < path.length; j++) {
      const ch = path[j];
      if (quote !== undefined) {
        if (ch === '\\') j++;
        else if (ch === quote) quote = undefined;
        continue;
      }
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') {
        depth--;
        if (depth === 0) {
          if (path[j + 1] !== ']') return `${at}: expected ']' after the filter at offset ${j + 1}`;
          const body = path.slice(open + 3, j);
          if (body.trim() === '') return `${at}: empty filter at offset ${open}`;
          if (ASSIGNMENT.test(body.replace(QUOTED, "''")))
            return `${at}: a filter must not assign ('${body}')`;
          return j + 2;
        }
      }
    }
    return `${at}: unterminated filter starting at offset ${open}`;
  }
  if (path[open + 1] === '(') return `${at}: script expressions '[(...)]' are not supported (offset ${open})`;
  const close = path.indexOf(']', open);
  if (close < 0) return `${at}: unclosed '[' at offset ${open}`;
  const inner = path.slice(open + 1, close).trim();
  if (inner === '*') return close + 1;
  if (/^-?\d*\s*:\s*-?\d*(\s*:\s*-?\d*)?$/.test(inner)) return close + 1;
  const parts = splitUnion(inner);
  if (parts === undefined) return `${at}: malformed '[${inner}]' at offset ${open}`;
  for (const part of parts) {
    if (!/^-?\d+$/.test(part) && !/^'(?:[^'\\]|\\.)*'$/.test(part) && !/^"(?:[^"\\]|\\.)*"$/.test(part)) {
      return `${at}: '${part}' in '[${inner}]' is neither an index nor a quoted name`;
    }
  }
  return close + 1;
}

/** Splits a union body (`0,1` or `'a','b'`) at commas outside quotes. */
function splitUnion(inner: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let j = 0; j < inner.length; j++) {
    const ch = inner[j] ?? '';
    if (quote !== undefined) {
      current += ch;
      if (ch === '\\') {
        current += inner[j + 1] ?? '';
        j++;
      } else if (ch === quote) quote = undefined;
    } else if (ch === ',') {
      parts.push(current.trim());
      current = '';
    } else {
      if (ch === "'" || ch === '"') quote = ch;
      current += ch;
    }
  }
  if (quote !== undefined) return undefined;
  parts.push(current.trim());
  return parts.some((p) => p === '') ? undefined : parts;
}

/** Checks a full JSONPath (wildcards, `..`, unions, slices, filters); returns a message or undefined. */
function validateFullPath(written: string): string | undefined {
  const path = loosePath(written);
  if (!path.startsWith('$')) return `path '${path}' must start with '$'`;
  let i = path.startsWith('$$') ? 2 : 1 + (variableAt(path)?.length ?? 0);
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      let j = i + 1;
      if (path[j] === '.') j++;
      if (path[j] === '*') {
        i = j + 1;
        continue;
      }
      if (path[j] === '[' && j === i + 2) {
        i = j;
        continue;
      }
      const start = j;
      while (j < path.length && !NOT_IN_DOT_NAME.has(path[j] ?? '')) j++;
      if (j === start) {
        const next = path[j];
        return next === undefined
          ? `path '${path}': a field name must follow '.' at the end`
          : `path '${path}': unexpected '${next}' at offset ${j}`;
      }
      i = j;
    } else if (c === '[') {
      const next = scanBracket(path, i);
      if (typeof next === 'string') return next;
      i = next;
    } else {
      return `path '${path}': unexpected '${c}' at offset ${i}`;
    }
  }
  return undefined;
}

/**
 * Checks a path written in a graph, so the validator can report it with its location before anything runs.
 * Returns a message naming the path and the problem, or undefined when the path is valid for `kind`.
 *
 * @example
 * validatePath('$.items[0].id', 'reference'); // undefined
 * validatePath('$.items[*].id', 'reference'); // "path '$.items[*].id': '[*]' is not allowed in a reference path ..."
 */
export function validatePath(path: string, kind: PathKind): string | undefined {
  const parsed = parseReferencePath(path);
  if (typeof parsed !== 'string') return undefined;
  if (kind === 'reference') return parsed;
  return validateFullPath(path);
}

/** true when the path uses only the reference-path grammar (so it names a single node). */
export function isReferencePath(path: string): boolean {
  return typeof parseReferencePath(path) !== 'string';
}

/** Short JSON rendering of a value for error messages (Step Functions quotes the input in its causes). */
export function preview(value: JsonValue | undefined): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Looks up one segment: own properties only, so `__proto__` or `constructor` never reach the prototype. */
function step(node: JsonValue, segment: PathSegment): JsonValue | undefined {
  if (typeof segment === 'number') {
    return Array.isArray(node) ? node[segment] : undefined;
  }
  if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, segment)) {
    return node[segment];
  }
  return undefined;
}

/** Why a segment did not match, for the error cause. */
function missReason(node: JsonValue, segment: PathSegment): string {
  if (typeof segment === 'number') {
    return Array.isArray(node)
      ? `index ${segment} is out of range (length ${node.length})`
      : `cannot index [${segment}] into ${kindOf(node)}`;
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node)
    ? `field '${segment}' is missing`
    : `cannot read field '${segment}' of ${kindOf(node)}`;
}

/** The JSON type of a value, in words. */
export function kindOf(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Walks a parsed reference path; returns undefined when it matches nothing (IsPresent needs the
 * difference between "absent" and "null").
 */
export function lookupReferencePath(
  parsed: ReferencePath,
  input: JsonValue,
  context: JsonValue,
  vars?: Variables,
): JsonValue | undefined {
  let node: JsonValue | undefined = rootOf(parsed, input, context, vars);
  for (const segment of parsed.segments) {
    if (node === undefined) return undefined;
    node = step(node, segment);
  }
  return node;
}

/** What a reference path starts from: the input, the context object or a variable (undefined if unset). */
function rootOf(
  parsed: ReferencePath,
  input: JsonValue,
  context: JsonValue,
  vars: Variables | undefined,
): JsonValue | undefined {
  if (parsed.variable !== undefined) {
    return vars !== undefined && Object.hasOwn(vars, parsed.variable) ? vars[parsed.variable] : undefined;
  }
  return parsed.context ? context : input;
}

function missOf(
  parsed: ReferencePath,
  input: JsonValue,
  context: JsonValue,
  vars: Variables | undefined,
): PathMiss {
  const root = rootOf(parsed, input, context, vars);
  if (root === undefined) {
    return {
      path: parsed.text,
      steps: parsed.segments,
      root: 'variable',
      value: null,
      reason: `the variable '$${parsed.variable ?? ''}' is not defined`,
    };
  }
  const value = root;
  let node: JsonValue = value;
  let reason = 'it matched nothing';
  for (const segment of parsed.segments) {
    const next = step(node, segment);
    if (next === undefined) {
      reason = missReason(node, segment);
      break;
    }
    node = next;
  }
  return {
    path: parsed.text,
    steps: parsed.segments,
    root: parsed.variable !== undefined ? 'variable' : parsed.context ? 'context' : 'data',
    value,
    reason,
  };
}

/**
 * Why a reference path finds nothing in `input` / `context`, with the value it was applied to (undefined
 * for a path that is not a reference path, or that finds something).
 */
export function pathMiss(
  path: string,
  input: JsonValue,
  context: JsonValue,
  vars?: Variables,
): PathMiss | undefined {
  const parsed = parseReferencePath(path);
  if (typeof parsed === 'string' || lookupReferencePath(parsed, input, context, vars) !== undefined)
    return undefined;
  return missOf(parsed, input, context, vars);
}

/** The error for a reference path that matched nothing, naming the path and the failing step. */
function notFound(
  parsed: ReferencePath,
  input: JsonValue,
  context: JsonValue,
  vars: Variables | undefined,
): StatesError {
  const miss = missOf(parsed, input, context, vars);
  const where =
    parsed.variable !== undefined
      ? `the variable '$${parsed.variable}'`
      : parsed.context
        ? 'the context object'
        : 'the input';
  return new StatesError(
    STATES_ERRORS.Runtime,
    `The JSONPath '${parsed.text}' could not be found in ${where} ${preview(miss.value)}: ${miss.reason}`,
    { miss },
  );
}

/**
 * Compiles a reference path to a closure over its segments (no parsing per call). Field names that an
 * object inherits (`constructor`, `__proto__`, `toString`...) are flagged once here, so only they pay for
 * an own-property check; any other name cannot resolve through the prototype.
 */
function compileReference(parsed: ReferencePath): CompiledPath {
  const { segments, variable } = parsed;
  const fromContext = parsed.context;
  if (variable !== undefined) {
    return (input, context, vars) => {
      const found = lookupReferencePath(parsed, input, context, vars);
      if (found === undefined) throw notFound(parsed, input, context, vars);
      return found;
    };
  }
  if (segments.length === 0) {
    return fromContext ? (_input, context) => context : (input) => input;
  }
  const count = segments.length;
  const inherited = segments.map((s) => typeof s === 'string' && s in Object.prototype);
  return (input, context) => {
    let node: JsonValue | undefined = fromContext ? context : input;
    for (let k = 0; k < count; k++) {
      const segment = segments[k] as PathSegment;
      if (typeof segment === 'number') {
        node = Array.isArray(node) ? node[segment] : undefined;
      } else if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
        node = inherited[k] && !Object.hasOwn(node, segment) ? undefined : node[segment];
      } else {
        node = undefined;
      }
      if (node === undefined) throw notFound(parsed, input, context, undefined);
    }
    return node as JsonValue;
  };
}

/** A path ending in a union of two or more quoted names (`$[*]['bucket','key']`), split there. */
function trailingNames(path: string): { prefix: string; names: string[] } | undefined {
  if (!path.endsWith(']')) return undefined;
  for (let open = path.lastIndexOf('['); open > 0; open = path.lastIndexOf('[', open - 1)) {
    if (scanBracket(path, open) !== path.length) continue;
    const parts = splitUnion(path.slice(open + 1, -1).trim());
    if (parts === undefined || parts.length < 2 || !parts.every((p) => /^(['"]).*\1$/s.test(p)))
      return undefined;
    const names = parts.map((p) => p.slice(1, -1).replace(/\\(.)/g, '$1'));
    return { prefix: path.slice(0, open), names };
  }
  return undefined;
}

/** The named fields an object has, as one object (fields it lacks are left out). */
function pick(node: JsonValue, names: readonly string[]): JsonObject | undefined {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const out: JsonObject = {};
  for (const name of names) {
    const value = Object.hasOwn(node, name) ? node[name] : undefined;
    if (value !== undefined) setOwn(out, name, value);
  }
  return out;
}

/**
 * Compiles a full JSONPath: always an array of the matched values (empty when nothing matches). A path
 * that ends in a union of names reads, as Step Functions' JSONPath does, one object per match holding
 * those fields (`$[*]['bucket','key']` -> `[{ bucket, key }, ...]`; a single object after a reference
 * path), not the fields' values one after the other.
 */
function compileFull(written: string): CompiledPath {
  const path = loosePath(written);
  const names = trailingNames(path);
  if (names !== undefined) {
    const prefix = parseReferencePath(names.prefix);
    if (typeof prefix !== 'string') {
      const lookup = compileReference(prefix);
      return (input, ctx) => pick(lookup(input, ctx), names.names) ?? [];
    }
    const matches = compileFull(names.prefix);
    return (input, ctx) => {
      const found = matches(input, ctx);
      const out: JsonValue[] = [];
      for (const node of Array.isArray(found) ? found : []) {
        const picked = pick(node, names.names);
        if (picked !== undefined) out.push(picked);
      }
      return out;
    };
  }
  const context = path.startsWith('$$');
  const variable = context ? undefined : variableAt(path);
  const local = context
    ? path.slice(1)
    : variable !== undefined
      ? `$${path.slice(1 + variable.length)}`
      : path;
  return (input, ctx, vars) => {
    if (variable !== undefined && (vars === undefined || !Object.hasOwn(vars, variable))) {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `The JSONPath '${path}': the variable '$${variable}' is not defined`,
      );
    }
    const json = variable !== undefined ? (vars?.[variable] ?? null) : context ? ctx : input;
    try {
      const found: unknown = JSONPath({ path: local, json, eval: 'safe', wrap: true, resultType: 'value' });
      return Array.isArray(found) ? (found as JsonValue[]) : [];
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `The JSONPath '${path}' could not be evaluated: ${reason}`,
      );
    }
  };
}

/**
 * Parses a path once for repeated evaluation: the interpreter compiles every path of a graph at load, so a
 * transition only walks segments. Throws a `TypeError` naming the path when it is not valid JSONPath
 * (the validator reports those earlier with their location).
 *
 * @example
 * const id = compilePath('$$.Execution.Id');
 * id(input, context); // the execution id
 */
export function compilePath(path: string, kind: PathKind = 'path'): CompiledPath {
  // A reference path is valid for either kind; a full path only where any JSONPath is.
  const known = referencePaths.get(path) ?? (kind === 'path' ? fullPaths.get(path) : undefined);
  if (known !== undefined) return known;
  const parsed = parseReferencePath(path);
  if (typeof parsed !== 'string') return referencePaths.keep(path, compileReference(parsed));
  if (kind === 'reference') throw new TypeError(`invalid reference path: ${parsed}`);
  const problem = validateFullPath(path);
  if (problem !== undefined) throw new TypeError(`invalid path: ${problem}`);
  return fullPaths.keep(path, compileFull(path));
}

/** Compiled reference paths by their text. */
const referencePaths = new InternTable<CompiledPath>();
/** Compiled full paths (wildcards, filters, unions...) by their text. */
const fullPaths = new InternTable<CompiledPath>();

/**
 * Evaluates a path once: `$...` against the input, `$$...` against the context object. A reference path
 * returns its single node and fails with `States.Runtime` naming the path when it matches nothing; any
 * other JSONPath returns the array of matches.
 */
export function evaluatePath(
  path: string,
  input: JsonValue,
  context: JsonValue,
  vars?: Variables,
): JsonValue {
  let compiled: CompiledPath;
  try {
    compiled = compilePath(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StatesError(STATES_ERRORS.Runtime, reason);
  }
  return compiled(input, context, vars);
}

/** Sets an own property, defining it outright when the key is `__proto__` so no prototype is changed. */
function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Copies an object's own enumerable properties. Spread defines properties rather than assigning them, so
 * an own `__proto__` key is copied as data and never becomes the copy's prototype.
 */
function copyObject(source: JsonObject): JsonObject {
  return { ...source };
}

/** Compiled form of {@link setAtReferencePath}. */
export type CompiledSetter = (target: JsonValue, value: JsonValue) => JsonValue;

/**
 * Compiles a ResultPath-style setter: copies only the objects along the path (structural sharing, the
 * caller's value is never mutated), creates missing fields, and fails with `States.ResultPathMatchFailure`
 * when the path crosses something that is not an object (or an index outside an array).
 */
export function compileSetter(path: string): CompiledSetter {
  return setters.get(path) ?? setters.keep(path, newSetter(path));
}

/** Compiled setters by their path's text: one per path however many states and graphs write it. */
const setters = new InternTable<CompiledSetter>();

function newSetter(path: string): CompiledSetter {
  const parsed = parseReferencePath(path);
  if (typeof parsed === 'string') throw new TypeError(`invalid reference path: ${parsed}`);
  if (parsed.context) throw new TypeError(`path '${path}': cannot write into the context object ('$$')`);
  if (parsed.variable !== undefined) {
    throw new TypeError(`path '${path}': cannot write into a variable (use Assign)`);
  }
  const { segments } = parsed;
  if (segments.length === 0) return (_target, value) => value;
  const fail = (target: JsonValue, depth: number, node: JsonValue | undefined): StatesError =>
    new StatesError(
      STATES_ERRORS.ResultPathMatchFailure,
      `Unable to apply ResultPath '${path}' to the input ${preview(target)}: ${
        depth === 0 ? 'the input' : `'${pathText(segments.slice(0, depth))}'`
      } is ${kindOf(node)}, not ${typeof segments[depth] === 'number' ? 'an array' : 'an object'}`,
    );
  const set = (
    target: JsonValue,
    node: JsonValue | undefined,
    depth: number,
    value: JsonValue,
  ): JsonValue => {
    const segment = segments[depth] as PathSegment;
    const last = depth === segments.length - 1;
    if (typeof segment === 'number') {
      if (!Array.isArray(node) || segment >= node.length) throw fail(target, depth, node);
      const copy = node.slice();
      copy[segment] = last ? value : set(target, node[segment], depth + 1, value);
      return copy;
    }
    if (node === undefined) node = {};
    if (node === null || typeof node !== 'object' || Array.isArray(node)) throw fail(target, depth, node);
    const copy = copyObject(node);
    const child = Object.hasOwn(node, segment) ? node[segment] : undefined;
    setOwn(copy, segment, last ? value : set(target, child, depth + 1, value));
    return copy;
  };
  return (target, value) => set(target, target, 0, value);
}

/** Renders segments back to path text for messages. */
function pathText(segments: readonly PathSegment[]): string {
  return `$${segments.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`;
}

/**
 * Writes `value` at a reference path inside a copy of `target` (ResultPath semantics): `$` replaces the
 * whole target, missing fields are created, the caller's object is never mutated.
 */
export function setAtReferencePath(target: JsonValue, path: string, value: JsonValue): JsonValue {
  return compileSetter(path)(target, value);
}
