/**
 * Second stage: envelope -> engine name. An explicit `engine` attribute wins; otherwise routes are tried
 * in a fixed order and the first whose EventBridge-style event pattern matches the envelope decides.
 *
 * The matcher is written here rather than taken from npm: the registry has no maintained EventBridge
 * pattern library for JavaScript (AWS's own `event-ruler` is Java), and patterns come from engine
 * authors, so it must not use `eval`/`new Function`. Patterns are compiled once into closures, and
 * invalid ones are rejected with the path of the offending field.
 */
import type { JsonObject, JsonValue } from '../asl/types.ts';
import { NoRouteError, type RecordRef } from '../errors.ts';
import { type Envelope, envelopeDocument } from './envelope.ts';

/** A routing rule: events matching `pattern` (all events when absent) go to `engine`. */
export interface Route {
  readonly engine: string;
  /** EventBridge event pattern, matched against the CloudEvent (or the raw JSON object). */
  readonly pattern?: JsonObject;
  /**
   * For non-CloudEvents objects: a path (`$.order.id`, `order.id`, `items[0].id`) to the message id, so
   * redeliveries and re-sends of the same message deduplicate; without it the stream position is used.
   */
  readonly idPath?: string;
  /** Lower numbers are tried first; default 0. Ties are broken by engine name, then declaration order. */
  readonly priority?: number;
}

/** The routing decision for one envelope. */
export interface RouteMatch {
  readonly engine: string;
  /** `explicit` when the envelope named its engine, else `pattern`. */
  readonly via: 'explicit' | 'pattern';
  /** The route that matched (absent for explicit routing). */
  readonly route?: Route;
  /** The final dedup key (for raw objects possibly taken from the route's `idPath`). */
  readonly dedupKey: string;
}

/** An invalid event pattern or route; the message names the route and the field. */
export class PatternError extends Error {
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

function wildcardTest(operand: JsonValue | undefined, where: string): ValueTest {
  const text = stringOperand(operand, 'wildcard', where);
  if (/(?<!\\)\*\*/.test(text)) throw new PatternError(`${where}: 'wildcard' cannot contain consecutive '*'`);
  let source = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && (text[i + 1] === '*' || text[i + 1] === '\\')) {
      source += `\\${text[i + 1]}`;
      i++;
    } else if (ch === '*') {
      source += '.*';
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => typeof value === 'string' && regex.test(value);
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

const PATH_TOKEN = /[^.[\]]+|\[(\d+)\]/g;

/** Splits `$.a.b[0].c` (the leading `$.` optional) into keys and indexes. */
export function parseIdPath(idPath: string): (string | number)[] {
  const body = idPath.startsWith('$.') ? idPath.slice(2) : idPath.startsWith('$[') ? idPath.slice(1) : idPath;
  if (body === '' || /\.\.|^\.|\.$/.test(body))
    throw new PatternError(`idPath '${idPath}' is not a simple path`);
  const parts: (string | number)[] = [];
  for (const match of body.matchAll(PATH_TOKEN)) {
    parts.push(match[1] === undefined ? match[0] : Number(match[1]));
  }
  if (parts.length === 0) throw new PatternError(`idPath '${idPath}' is not a simple path`);
  return parts;
}

/** The value at a parsed {@link parseIdPath} path, or undefined when any step is missing. */
export function readPath(document: JsonValue, parts: readonly (string | number)[]): JsonValue | undefined {
  let current: JsonValue | undefined = document;
  for (const part of parts) {
    if (typeof part === 'number') current = Array.isArray(current) ? current[part] : undefined;
    else current = isObject(current) ? current[part] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

interface CompiledRoute {
  readonly route: Route;
  readonly matches: (document: JsonObject) => boolean;
  readonly idPath?: (string | number)[];
}

/** A compiled, ordered route table. */
export interface Router {
  /** The engine for an envelope, or undefined when nothing matches (quarantine it as `no-route`). */
  route(envelope: Envelope): RouteMatch | undefined;
  /** Like `route`, but throws a `NoRouteError` naming the record. */
  routeOrThrow(envelope: Envelope, record: RecordRef): RouteMatch;
}

function dedupKeyFor(envelope: Envelope, idPath: readonly (string | number)[] | undefined): string {
  if (envelope.kind !== 'raw' || idPath === undefined) return envelope.dedupKey;
  const id = readPath(envelope.body, idPath);
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id === 'number') return String(id);
  return envelope.dedupKey;
}

function summarise(envelope: Envelope): string {
  if (envelope.kind === 'raw')
    return `object with keys ${JSON.stringify(Object.keys(envelope.body).slice(0, 8))}`;
  return `type '${envelope.event.type}' from source '${envelope.event.source}'`;
}

/**
 * Builds the router from the live routes. Patterns are compiled here, once; an invalid route throws.
 *
 * @example
 * const router = createRouter([{ engine: 'orders', pattern: { type: [{ prefix: 'order.' }] } }]);
 * router.route(envelope)?.engine; // 'orders'
 */
export function createRouter(routes: readonly Route[]): Router {
  const compiled: CompiledRoute[] = routes.map((route, index) => {
    if (typeof route.engine !== 'string' || route.engine === '') {
      throw new PatternError(`route ${index}: 'engine' must be a non-empty string`);
    }
    if (route.priority !== undefined && !Number.isFinite(route.priority)) {
      throw new PatternError(`route ${index} (${route.engine}): 'priority' must be a finite number`);
    }
    try {
      const matches = route.pattern === undefined ? () => true : compilePattern(route.pattern);
      return route.idPath === undefined
        ? { route, matches }
        : { route, matches, idPath: parseIdPath(route.idPath) };
    } catch (error) {
      if (error instanceof PatternError) {
        throw new PatternError(`route ${index} (${route.engine}): ${error.message}`, { cause: error });
      }
      throw error;
    }
  });
  const ordered = compiled
    .map((c, index) => ({ c, index }))
    .sort(
      (a, b) =>
        (a.c.route.priority ?? 0) - (b.c.route.priority ?? 0) ||
        (a.c.route.engine < b.c.route.engine ? -1 : a.c.route.engine > b.c.route.engine ? 1 : 0) ||
        a.index - b.index,
    )
    .map(({ c }) => c);

  const route = (envelope: Envelope): RouteMatch | undefined => {
    if (envelope.kind !== 'raw' && envelope.event.engine !== undefined) {
      return { engine: envelope.event.engine, via: 'explicit', dedupKey: envelope.dedupKey };
    }
    const document = envelopeDocument(envelope);
    for (const candidate of ordered) {
      if (candidate.matches(document)) {
        return {
          engine: candidate.route.engine,
          via: 'pattern',
          route: candidate.route,
          dedupKey: dedupKeyFor(envelope, candidate.idPath),
        };
      }
    }
    return undefined;
  };

  return {
    route,
    routeOrThrow(envelope, record) {
      const match = route(envelope);
      if (match === undefined) {
        throw new NoRouteError(`no route matches ${summarise(envelope)} (${ordered.length} routes)`, {
          record,
        });
      }
      return match;
    },
  };
}
