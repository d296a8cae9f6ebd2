/**
 * EventBridge event patterns, compiled once into predicates on JSON documents. The router matches its
 * routes with them and the graph validator checks a graph's `Match` with them, so a pattern accepted at
 * publish is the pattern that routes.
 *
 * The matcher is written here rather than taken from npm: the registry has no maintained EventBridge
 * pattern library for JavaScript (AWS's own `event-ruler` is Java), and patterns come from engine
 * authors, so it must not use `eval`/`new Function`. Invalid patterns are rejected with the path of the
 * offending field.
 */

import { InputError } from '../errors.ts';
import type { JsonObject, JsonValue } from '../json.ts';
import { compileWildcard, WildcardSyntaxError } from './wildcard.ts';

/** An invalid event pattern (or a route holding one); the message names the field and the reason. */
export class PatternError extends InputError {
  override readonly name = 'PatternError';
}

type Leaf = string | number | boolean | null;
type ValueTest = (value: Leaf) => boolean;
/** A compiled matcher for one field: gets every leaf value found at the field's path. */
interface FieldMatcher {
  readonly path: readonly string[];
  /** Tests on present values (any one matching is enough). */
  readonly tests: readonly ValueTest[];
  /** `exists: false` among the alternatives: an absent field matches. */
  readonly matchesAbsent: boolean;
}
/** A compiled pattern: all fields must match, and one alternative of each `$or` group. */
interface CompiledPattern {
  readonly fields: readonly FieldMatcher[];
  readonly ors: readonly (readonly CompiledPattern[])[];
}

const KNOWN_OPERATORS = [
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'equals-ignore-case',
  'wildcard',
  'cidr',
];

function describe(path: readonly string[]): string {
  return path.length === 0 ? 'pattern' : `pattern.${path.join('.')}`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOperand(value: JsonValue | undefined, op: string, where: string): string {
  if (typeof value !== 'string')
    throw new PatternError(`${where}: '${op}' needs a string, got ${JSON.stringify(value)}`);
  return value;
}

/** `prefix` / `suffix` accept a string or `{ "equals-ignore-case": string }`. */
function affixTest(op: 'prefix' | 'suffix', operand: JsonValue | undefined, where: string): ValueTest {
  let text: string;
  let ignoreCase = false;
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new PatternError(`${where}: '${op}' takes a string or { "equals-ignore-case": string }`);
    }
    text = stringOperand(operand['equals-ignore-case'], `${op}.equals-ignore-case`, where);
    ignoreCase = true;
  } else {
    text = stringOperand(operand, op, where);
  }
  const needle = ignoreCase ? text.toLowerCase() : text;
  return (value) => {
    if (typeof value !== 'string') return false;
    const hay = ignoreCase ? value.toLowerCase() : value;
    return op === 'prefix' ? hay.startsWith(needle) : hay.endsWith(needle);
  };
}

/** EventBridge's `wildcard`: `*` runs, `\*` and `\\` escapes, and no two `*` in a row. */
function wildcardTest(operand: JsonValue | undefined, where: string): ValueTest {
  const text = stringOperand(operand, 'wildcard', where);
  let matches: (value: string) => boolean;
  try {
    matches = compileWildcard(text, { consecutiveStars: 'reject' });
  } catch (error) {
    if (!(error instanceof WildcardSyntaxError)) throw error;
    throw new PatternError(
      error.kind === 'consecutive-stars'
        ? `${where}: 'wildcard' cannot contain consecutive '*'`
        : `${where}: 'wildcard' ${JSON.stringify(text)}: ${error.message}`,
      { cause: error },
    );
  }
  return (value) => typeof value === 'string' && matches(value);
}

const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);

function numericTest(operand: JsonValue | undefined, where: string): ValueTest {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new PatternError(`${where}: 'numeric' needs pairs of operator and number, e.g. [">", 0, "<=", 5]`);
  }
  const checks: ((n: number) => boolean)[] = [];
  let lower = false;
  let upper = false;
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) {
      throw new PatternError(`${where}: 'numeric' has unknown operator ${JSON.stringify(op)}`);
    }
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new PatternError(
        `${where}: 'numeric' operator '${op}' needs a finite number, got ${JSON.stringify(bound)}`,
      );
    }
    if (op === '=') {
      if (operand.length !== 2)
        throw new PatternError(`${where}: 'numeric' '=' cannot be combined with other bounds`);
      checks.push((n) => n === bound);
      continue;
    }
    const isLower = op === '>' || op === '>=';
    if ((isLower && lower) || (!isLower && upper)) {
      throw new PatternError(`${where}: 'numeric' has two ${isLower ? 'lower' : 'upper'} bounds`);
    }
    if (isLower) lower = true;
    else upper = true;
    if (op === '>') checks.push((n) => n > bound);
    else if (op === '>=') checks.push((n) => n >= bound);
    else if (op === '<') checks.push((n) => n < bound);
    else checks.push((n) => n <= bound);
  }
  return (value) => typeof value === 'number' && checks.every((check) => check(value));
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

function cidrTest(operand: JsonValue | undefined, where: string): ValueTest {
  const text = stringOperand(operand, 'cidr', where);
  const [address, bitsText] = text.split('/');
  const base = address === undefined ? undefined : parseIpv4(address);
  const bits = Number(bitsText);
  if (base === undefined || !/^\d{1,2}$/.test(bitsText ?? '') || bits > 32) {
    throw new PatternError(`${where}: 'cidr' needs an IPv4 CIDR block such as "10.0.0.0/24", got "${text}"`);
  }
  const size = 2 ** (32 - bits);
  const start = Math.floor(base / size) * size;
  return (value) => {
    if (typeof value !== 'string') return false;
    const ip = parseIpv4(value);
    return ip !== undefined && ip >= start && ip < start + size;
  };
}

function literalTest(literal: Leaf): ValueTest {
  return (value) => value === literal;
}

function anythingButTest(operand: JsonValue | undefined, where: string): ValueTest {
  let inner: ValueTest;
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw new PatternError(`${where}: 'anything-but' needs at least one value`);
    const tests = operand.map((v) => {
      if (isObject(v) || Array.isArray(v)) {
        throw new PatternError(`${where}: 'anything-but' lists only strings, numbers, booleans or null`);
      }
      return literalTest(v);
    });
    inner = (value) => tests.some((t) => t(value));
  } else if (isObject(operand)) {
    const keys = Object.keys(operand);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) {
      throw new PatternError(
        `${where}: 'anything-but' takes a value, a list, or one of prefix / suffix / ...`,
      );
    }
    if (op === 'prefix' || op === 'suffix') inner = affixTest(op, operand[op], where);
    else if (op === 'equals-ignore-case') inner = equalsIgnoreCaseTest(operand[op], where);
    else if (op === 'wildcard') inner = wildcardTest(operand[op], where);
    else throw new PatternError(`${where}: 'anything-but' does not support operator '${op}'`);
  } else {
    inner = literalTest(operand ?? null);
  }
  return (value) => !inner(value);
}

function equalsIgnoreCaseTest(operand: JsonValue | undefined, where: string): ValueTest {
  if (Array.isArray(operand)) {
    const words = operand.map((w) => stringOperand(w, 'equals-ignore-case', where).toLowerCase());
    return (value) => typeof value === 'string' && words.includes(value.toLowerCase());
  }
  const word = stringOperand(operand, 'equals-ignore-case', where).toLowerCase();
  return (value) => typeof value === 'string' && value.toLowerCase() === word;
}

function compileField(path: readonly string[], alternatives: JsonValue[]): FieldMatcher {
  const where = describe(path);
  if (alternatives.length === 0) throw new PatternError(`${where}: an empty list matches nothing`);
  const tests: ValueTest[] = [];
  let matchesAbsent = false;
  for (const [index, alternative] of alternatives.entries()) {
    const at = `${where}[${index}]`;
    if (Array.isArray(alternative)) throw new PatternError(`${at}: nested arrays are not allowed`);
    if (!isObject(alternative)) {
      tests.push(literalTest(alternative));
      continue;
    }
    const keys = Object.keys(alternative);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) {
      throw new PatternError(`${at}: an operator object has exactly one key, got ${JSON.stringify(keys)}`);
    }
    const operand = alternative[op];
    switch (op) {
      case 'prefix':
      case 'suffix':
        tests.push(affixTest(op, operand, at));
        break;
      case 'anything-but':
        tests.push(anythingButTest(operand, at));
        break;
      case 'numeric':
        tests.push(numericTest(operand, at));
        break;
      case 'equals-ignore-case':
        tests.push(equalsIgnoreCaseTest(operand, at));
        break;
      case 'wildcard':
        tests.push(wildcardTest(operand, at));
        break;
      case 'cidr':
        tests.push(cidrTest(operand, at));
        break;
      case 'exists':
        if (typeof operand !== 'boolean') throw new PatternError(`${at}: 'exists' needs true or false`);
        if (operand) tests.push(() => true);
        else matchesAbsent = true;
        break;
      default:
        throw new PatternError(`${at}: unknown operator '${op}' (known: ${KNOWN_OPERATORS.join(', ')})`);
    }
  }
  return { path, tests, matchesAbsent };
}

function compileObject(pattern: JsonObject, path: readonly string[]): CompiledPattern {
  const fields: FieldMatcher[] = [];
  const ors: (readonly CompiledPattern[])[] = [];
  const keys = Object.keys(pattern);
  if (keys.length === 0) throw new PatternError(`${describe(path)}: an empty object matches nothing`);
  for (const key of keys) {
    const value = pattern[key];
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        throw new PatternError(`${describe(path)}.$or: needs a list of at least two pattern objects`);
      }
      ors.push(value.map((alt) => compileObject(alt, path)));
      continue;
    }
    const childPath = [...path, key];
    if (Array.isArray(value)) {
      fields.push(compileField(childPath, value));
    } else if (isObject(value)) {
      const child = compileObject(value, childPath);
      fields.push(...child.fields);
      ors.push(...child.ors);
    } else {
      throw new PatternError(
        `${describe(childPath)}: must be a list of values or a nested object, got ${JSON.stringify(value)}`,
      );
    }
  }
  return { fields, ors };
}

/** Every leaf value at `path`, descending into arrays the way EventBridge flattens them. */
function collect(value: JsonValue | undefined, path: readonly string[], index: number, out: Leaf[]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, path, index, out);
    return;
  }
  if (index === path.length) {
    if (!isObject(value)) out.push(value);
    return;
  }
  if (isObject(value)) collect(value[path[index] as string], path, index + 1, out);
}

function matchCompiled(pattern: CompiledPattern, document: JsonObject): boolean {
  for (const field of pattern.fields) {
    const values: Leaf[] = [];
    collect(document, field.path, 0, values);
    if (values.length === 0) {
      if (!field.matchesAbsent) return false;
    } else if (!values.some((v) => field.tests.some((test) => test(v)))) {
      return false;
    }
  }
  return pattern.ors.every((group) => group.some((alt) => matchCompiled(alt, document)));
}

/**
 * Compiles an EventBridge event pattern once into a predicate on JSON objects.
 *
 * @example
 * const isBigOrder = compilePattern({ type: ['order.created'], data: { amount: [{ numeric: ['>', 100] }] } });
 * isBigOrder({ type: 'order.created', data: { amount: 250 } }); // true
 * @throws PatternError naming the field and what is wrong with it.
 */
export function compilePattern(pattern: JsonValue): (document: JsonObject) => boolean {
  if (!isObject(pattern)) throw new PatternError('pattern: must be a JSON object');
  const compiled = compileObject(pattern, []);
  return (document) => matchCompiled(compiled, document);
}
