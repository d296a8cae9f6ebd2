/**
 * HJSON / JSON source -> plain value, with a map from JSON-pointer paths to line and column.
 *
 * The hjson package gives values but no positions, and it trusts its input (a `__proto__` key replaces an
 * object's prototype, deep nesting overflows the stack). So a small scanner that follows hjson's grammar
 * runs first: it rejects hostile input before hjson sees it and records where every key and array element
 * starts, so later stages can point engine authors at the exact line of a problem.
 */
import Hjson from 'hjson';
import type { GraphProblem } from './types.ts';

/** Sources above this many bytes are rejected before scanning. */
export const MAX_SOURCE_BYTES = 1024 * 1024;
/** Objects and arrays nested deeper than this are rejected (the interpreter recurses over them). */
export const MAX_DEPTH = 64;
/** Arrays with more elements than this are rejected. */
export const MAX_ARRAY_ELEMENTS = 10_000;
/** Keys that could reach an object's prototype chain once the value is used. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Looks up where a JSON-pointer path (`/States/Foo/Next`) starts in the source. */
export type PositionLookup = (path: string) => Position | undefined;

/** What {@link parseGraphSource} returns: the value when the source is usable, and every problem found. */
export interface ParsedSource {
  readonly value?: unknown;
  readonly problems: GraphProblem[];
  positionOf(path: string): Position | undefined;
}

/** Appends one segment to a JSON pointer, escaping `~` and `/` as RFC 6901 says. */
export function pointerJoin(path: string, segment: string | number): string {
  const text = String(segment);
  return `${path}/${text.includes('~') || text.includes('/') ? text.replaceAll('~', '~0').replaceAll('/', '~1') : text}`;
}

class ScanError extends Error {
  constructor(
    message: string,
    readonly at: number,
    readonly path: string,
    readonly limit = false,
  ) {
    super(message);
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Decodes the escapes hjson accepts in quoted strings; undefined when one is invalid. */
function decodeEscapes(raw: string): string | undefined {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = raw.charAt(++i);
    if (e === 'u') {
      const hex = raw.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else {
      const mapped = ESCAPES[e];
      if (mapped === undefined) return undefined;
      out += mapped;
    }
  }
  return out;
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d*)?(?:[eE][+-]?\d+)?$/;

function isPunctuator(c: string): boolean {
  return c === '{' || c === '}' || c === '[' || c === ']' || c === ',' || c === ':';
}

/** One pass over the source in hjson's grammar, recording offsets; throws ScanError on fatal problems. */
class Scanner {
  private at = 0;
  readonly offsets = new Map<string, number>();
  readonly hostile: { message: string; at: number; path: string }[] = [];

  constructor(private readonly text: string) {}

  /** The first character that is neither whitespace nor part of a comment. */
  firstSignificant(): string {
    this.white();
    const c = this.ch();
    this.at = 0;
    return c;
  }

  private ch(offset = 0): string {
    return this.text.charAt(this.at + offset);
  }

  private white(): void {
    const t = this.text;
    for (;;) {
      while (this.at < t.length && t.charCodeAt(this.at) <= 32) this.at++;
      const c = t.charAt(this.at);
      if (c === '#' || (c === '/' && t.charAt(this.at + 1) === '/')) {
        while (this.at < t.length && t.charAt(this.at) !== '\n') this.at++;
      } else if (c === '/' && t.charAt(this.at + 1) === '*') {
        const end = t.indexOf('*/', this.at + 2);
        this.at = end < 0 ? t.length : end + 2;
      } else return;
    }
  }

  root(braceless: boolean): void {
    this.white();
    if (braceless) {
      this.offsets.set('', this.at);
      this.object('', 1, true);
    } else this.value('', 0);
    this.white();
    if (this.at < this.text.length) throw new ScanError('unexpected trailing characters', this.at, '');
  }

  private value(path: string, depth: number): void {
    this.white();
    if (!this.offsets.has(path)) this.offsets.set(path, this.at);
    const c = this.ch();
    if (c === '{') this.object(path, depth + 1, false);
    else if (c === '[') this.array(path, depth + 1);
    else if (c === '"' || c === "'") this.string(true, path);
    else this.quoteless(path);
  }

  private object(path: string, depth: number, braceless: boolean): void {
    if (depth > MAX_DEPTH)
      throw new ScanError(`nesting deeper than ${MAX_DEPTH} levels`, this.at, path, true);
    if (!braceless) this.at++;
    const seen = new Set<string>();
    this.white();
    if (!braceless && this.ch() === '}') {
      this.at++;
      return;
    }
    while (this.at < this.text.length) {
      const keyAt = this.at;
      const key = this.key(path);
      const memberPath = pointerJoin(path, key);
      if (FORBIDDEN_KEYS.has(key)) {
        this.hostile.push({
          message: `key '${key}' is not allowed (it could reach a prototype)`,
          at: keyAt,
          path: memberPath,
        });
      }
      if (seen.has(key)) {
        this.hostile.push({ message: `duplicate key '${key}'`, at: keyAt, path: memberPath });
      }
      seen.add(key);
      this.offsets.set(memberPath, keyAt);
      this.white();
      if (this.ch() !== ':') throw new ScanError(`expected ':' after key '${key}'`, this.at, memberPath);
      this.at++;
      this.value(memberPath, depth);
      this.white();
      if (this.ch() === ',') {
        this.at++;
        this.white();
      }
      if (!braceless && this.ch() === '}') {
        this.at++;
        return;
      }
      this.white();
    }
    if (!braceless) throw new ScanError("end of input inside an object (missing '}')", this.at, path);
  }

  private array(path: string, depth: number): void {
    if (depth > MAX_DEPTH)
      throw new ScanError(`nesting deeper than ${MAX_DEPTH} levels`, this.at, path, true);
    this.at++;
    this.white();
    if (this.ch() === ']') {
      this.at++;
      return;
    }
    let index = 0;
    while (this.at < this.text.length) {
      if (index >= MAX_ARRAY_ELEMENTS) {
        throw new ScanError(`array has more than ${MAX_ARRAY_ELEMENTS} elements`, this.at, path, true);
      }
      this.value(pointerJoin(path, index), depth);
      index++;
      this.white();
      if (this.ch() === ',') {
        this.at++;
        this.white();
      }
      if (this.ch() === ']') {
        this.at++;
        return;
      }
    }
    throw new ScanError("end of input inside an array (missing ']')", this.at, path);
  }

  private key(path: string): string {
    const c = this.ch();
    if (c === '"' || c === "'") return this.string(false, path);
    const start = this.at;
    let spaceAt = -1;
    for (;;) {
      const k = this.ch();
      if (k === ':') {
        if (this.at === start) throw new ScanError("found ':' but no key name", this.at, path);
        return this.text.slice(start, spaceAt >= 0 ? spaceAt : this.at);
      }
      if (k === '') throw new ScanError('end of input while reading a key name', this.at, path);
      if (k <= ' ') {
        if (spaceAt < 0) spaceAt = this.at;
      } else if (isPunctuator(k)) {
        throw new ScanError(`found '${k}' where a key name was expected`, this.at, path);
      } else if (spaceAt >= 0) {
        throw new ScanError('whitespace in a key name (quote the key)', spaceAt, path);
      }
      this.at++;
    }
  }

  /** Quoted string (or `'''` multiline when allowed); returns its decoded text only for keys. */
  private string(allowMultiline: boolean, path: string): string {
    const t = this.text;
    const quote = t.charAt(this.at);
    if (allowMultiline && t.startsWith("'''", this.at)) {
      const end = t.indexOf("'''", this.at + 3);
      if (end < 0) throw new ScanError('unterminated multiline string', this.at, path);
      this.at = end + 3;
      return '';
    }
    const start = this.at;
    this.at++;
    let simple = true;
    for (;;) {
      const c = t.charAt(this.at);
      if (c === '') throw new ScanError('unterminated string', start, path);
      if (c === quote) {
        this.at++;
        break;
      }
      if (c === '\n' || c === '\r') throw new ScanError('newline inside a quoted string', this.at, path);
      if (c === '\\') {
        simple = false;
        this.at += 2;
      } else this.at++;
    }
    const raw = t.slice(start + 1, this.at - 1);
    if (simple) return raw;
    const decoded = decodeEscapes(raw);
    if (decoded === undefined) throw new ScanError('invalid escape in a quoted string', start, path);
    return decoded;
  }

  private quoteless(path: string): void {
    const t = this.text;
    const first = t.charAt(this.at);
    if (first === '') throw new ScanError('end of input where a value was expected', this.at, path);
    if (isPunctuator(first))
      throw new ScanError(`found '${first}' where a value was expected`, this.at, path);
    const start = this.at;
    for (;;) {
      this.at++;
      const c = t.charAt(this.at);
      const eol = c === '' || c === '\n' || c === '\r';
      if (
        eol ||
        c === ',' ||
        c === '}' ||
        c === ']' ||
        c === '#' ||
        (c === '/' && (t.charAt(this.at + 1) === '/' || t.charAt(this.at + 1) === '*'))
      ) {
        const word = t.slice(start, this.at).trim();
        // A number too large for a double is a quoteless string to hjson, running to the end of the line.
        if (word === 'true' || word === 'false' || word === 'null' || isFiniteNumber(word)) return;
        if (eol) return;
      }
    }
  }
}

function isFiniteNumber(word: string): boolean {
  return NUMBER.test(word) && Number.isFinite(Number(word));
}

/** A number JSON.parse would turn into ±Infinity (hjson keeps such a word as a string). */
const OVERFLOWING_NUMBER = /[eE][+-]?\d{3}|\d{309}/;

/** The value by the fast JSON parser, when that gives what hjson would; undefined otherwise. */
function tryJson(source: string): unknown {
  if (OVERFLOWING_NUMBER.test(source)) return undefined;
  try {
    return JSON.parse(source) as unknown;
  } catch {
    return undefined;
  }
}

function locate(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function lineIndex(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function problem(
  message: string,
  path: string,
  position: Position | undefined,
  file: string | undefined,
): GraphProblem {
  return {
    message,
    path,
    ...(file === undefined ? {} : { file }),
    ...(position === undefined ? {} : { line: position.line, column: position.column }),
  };
}

function runScanner(source: string): Scanner | ScanError {
  const attempt = (braceless: boolean): Scanner | ScanError => {
    const scanner = new Scanner(source);
    try {
      scanner.root(braceless);
      return scanner;
    } catch (error) {
      if (error instanceof ScanError) return error;
      throw error;
    }
  };
  const first = new Scanner(source).firstSignificant();
  if (first === '{' || first === '[' || first === '') return attempt(false);
  // hjson allows a root object without braces, else a single value; report the object reading's error.
  const braceless = attempt(true);
  if (!(braceless instanceof ScanError)) return braceless;
  const single = attempt(false);
  return single instanceof ScanError ? braceless : single;
}

/**
 * Parses an engine graph source (HJSON or JSON). Never throws for bad input: syntax errors, hostile keys,
 * excessive nesting, oversized arrays or sources all come back as problems with line and column, and then
 * `value` is absent.
 *
 * @example
 * const { value, problems, positionOf } = parseGraphSource('{ StartAt: A, States: { A: { Type: Succeed } } }');
 * positionOf('/States/A/Type'); // { line: 1, column: 36 }
 */
export function parseGraphSource(source: string, file?: string): ParsedSource {
  let starts: number[] | undefined;
  let offsets: ReadonlyMap<string, number> = new Map();
  const positionOf = (path: string): Position | undefined => {
    const offset = offsets.get(path);
    if (offset === undefined) return undefined;
    starts ??= lineIndex(source);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
  };
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_SOURCE_BYTES) {
    return {
      problems: [
        problem(`source is ${bytes} bytes, over the ${MAX_SOURCE_BYTES}-byte limit`, '', undefined, file),
      ],
      positionOf,
    };
  }
  if (new Scanner(source).firstSignificant() === '') {
    return {
      problems: [problem('the source is empty (only whitespace and comments)', '', undefined, file)],
      positionOf,
    };
  }
  const scanned = runScanner(source);
  if (scanned instanceof ScanError) {
    return {
      problems: [
        problem(
          scanned.limit ? scanned.message : `syntax: ${scanned.message}`,
          scanned.path,
          locate(source, scanned.at),
          file,
        ),
      ],
      positionOf,
    };
  }
  offsets = scanned.offsets;
  if (scanned.hostile.length > 0) {
    return {
      problems: scanned.hostile.map((h) => problem(h.message, h.path, locate(source, h.at), file)),
      positionOf,
    };
  }
  try {
    // Plain JSON is common (exported Step Functions definitions) and JSON.parse is several times faster.
    const value: unknown = tryJson(source) ?? Hjson.parse(source);
    return { value, problems: [], positionOf };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const where = /at line (\d+),(\d+)/.exec(message);
    const position = where ? { line: Number(where[1]), column: Number(where[2]) + 1 } : undefined;
    return {
      problems: [problem(`syntax: ${message.replace(/ at line .*$/s, '')}`, '', position, file)],
      positionOf,
    };
  }
}
