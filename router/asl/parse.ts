/**
 * HJSON / JSON source -> plain value, with a map from JSON-pointer paths to line and column.
 *
 * The hjson package gives values but no positions, and it trusts its input (a `__proto__` key replaces an
 * object's prototype, deep nesting overflows the stack). So a small scanner that follows hjson's grammar
 * runs first: it rejects hostile input before hjson sees it and records where every key and array element
 * starts, so later stages can point engine authors at the exact line of a problem.
 *
 * It also notes each quoteless value holding `,`, `}` or `]`: hjson reads such a value to the end of its
 * line, so an object written on one line (`{ ErrorEquals: [X], Next: Rejected }`) swallows its own
 * closing brackets and fails far below, at the end of the file. When a note explains a syntax error,
 * the error is reported at that value with a hint; in a document that parses, the note waits for the
 * validator to find the value wrong (a state named `Rejected } ]`).
 */
import Hjson from 'hjson';
import { InputError } from '../errors.ts';
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

/** What {@link parseGraphSource} returns: the value when the source is usable, and every problem found. */
export interface ParsedSource {
  readonly value?: unknown;
  readonly problems: GraphProblem[];
  positionOf(path: string): Position | undefined;
  /**
   * A hint about the source text of the value at exactly `path`, for a later stage that finds the value
   * wrong: set when it is a quoteless string holding `,`, `}` or `]`, which hjson reads to the end of the
   * line, so `{ Next: Done }` written on one line names a state `Done }`.
   */
  hintAt(path: string): string | undefined;
}

/** What an engine author is told when a quoteless value has swallowed the rest of its line. */
const QUOTELESS_HINT =
  'a quoteless value runs to the end of the line: put the object on several lines or quote the value';

/** Appends one segment to a JSON pointer, escaping `~` and `/` as RFC 6901 says. */
export function pointerJoin(path: string, segment: string | number): string {
  const text = String(segment);
  return `${path}/${text.includes('~') || text.includes('/') ? text.replaceAll('~', '~0').replaceAll('/', '~1') : text}`;
}

class ScanError extends InputError {
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

/**
 * A quoteless string value that hjson read to the end of its line although it holds `,`, `}` or `]`,
 * where JSON (and an author writing an object on one line) would have ended it.
 */
interface RunOn {
  readonly path: string;
  /** Offset of the value's first character. */
  readonly at: number;
  /** Offset of the end of its line. */
  readonly end: number;
}

/** A range of source offsets (whole lines) where quoteless values end at `,`, `}` or `]` as in JSON. */
interface Cut {
  readonly start: number;
  readonly end: number;
}

/**
 * One pass over the source in hjson's grammar, recording offsets; throws ScanError on fatal problems.
 * With `cuts`, quoteless values starting inside them end at `,`, `}` or `]`: a what-if reading that
 * tells whether a run-on value explains a syntax error.
 */
class Scanner {
  private at = 0;
  readonly offsets = new Map<string, number>();
  readonly hostile: { message: string; at: number; path: string }[] = [];
  readonly runOns: RunOn[] = [];

  constructor(
    private readonly text: string,
    private readonly cuts: readonly Cut[] = [],
  ) {}

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
    const cut = this.cuts.some((range) => start >= range.start && start < range.end);
    let punctuated = false;
    for (;;) {
      this.at++;
      const c = t.charAt(this.at);
      const eol = c === '' || c === '\n' || c === '\r';
      const punctuator = c === ',' || c === '}' || c === ']';
      if (
        eol ||
        punctuator ||
        c === '#' ||
        (c === '/' && (t.charAt(this.at + 1) === '/' || t.charAt(this.at + 1) === '*'))
      ) {
        const word = t.slice(start, this.at).trim();
        // A number too large for a double is a quoteless string to hjson, running to the end of the line.
        if (word === 'true' || word === 'false' || word === 'null' || isFiniteNumber(word)) return;
        if (cut && punctuator) return;
        if (eol) {
          if (punctuated) this.runOns.push({ path, at: start, end: this.at });
          return;
        }
        if (punctuator) punctuated = true;
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

/** A scan: the scanner (with what it recorded up to the end or the error) and the error, if any. */
interface Scan {
  readonly scanner: Scanner;
  readonly error?: ScanError;
}

function runScanner(source: string, cuts: readonly Cut[] = []): Scan {
  const attempt = (braceless: boolean): Scan => {
    const scanner = new Scanner(source, cuts);
    try {
      scanner.root(braceless);
      return { scanner };
    } catch (error) {
      if (error instanceof ScanError) return { scanner, error };
      throw error;
    }
  };
  const first = new Scanner(source).firstSignificant();
  if (first === '{' || first === '[' || first === '') return attempt(false);
  // hjson allows a root object without braces, else a single value; report the object reading's error.
  const braceless = attempt(true);
  if (braceless.error === undefined) return braceless;
  const single = attempt(false);
  return single.error === undefined ? single : braceless;
}

/** Run-on values tried as the cause of one syntax error; the nearest ones before it when there are more. */
const MAX_RUN_ON_TRIALS = 32;

/**
 * The run-on value that explains a syntax error, if one does: read as JSON would read its line, the
 * source scans cleanly, or gets further than the error. Each candidate is tried alone, then all
 * together (several objects written on one line each). A quoteless value that means its `}` is not
 * blamed for an unrelated error: ending it early breaks the scan on its own line or the next one.
 */
function runOnBehind(source: string, failed: Scan & { readonly error: ScanError }): RunOn | undefined {
  const before = failed.scanner.runOns.filter((runOn) => runOn.at < failed.error.at);
  const candidates = before.slice(-MAX_RUN_ON_TRIALS);
  const lineOf = (runOn: RunOn): Cut => ({ start: source.lastIndexOf('\n', runOn.at) + 1, end: runOn.end });
  const explains = (cuts: readonly Cut[]): boolean => {
    const { error } = runScanner(source, cuts);
    return error === undefined || (!error.limit && error.at > failed.error.at);
  };
  const alone = candidates.find((runOn) => explains([lineOf(runOn)]));
  if (alone !== undefined) return alone;
  return candidates.length > 1 && explains(candidates.map(lineOf)) ? candidates[0] : undefined;
}

/** The syntax problem for a scan error, placed at the run-on value behind it when there is one. */
function syntaxProblem(
  source: string,
  failed: Scan & { readonly error: ScanError },
  file: string | undefined,
): GraphProblem {
  const { error } = failed;
  const at = locate(source, error.at);
  if (error.limit) return problem(error.message, error.path, at, file);
  const runOn = runOnBehind(source, failed);
  if (runOn === undefined) return problem(`syntax: ${error.message}`, error.path, at, file);
  const start = locate(source, runOn.at);
  const text = source.slice(runOn.at, runOn.end).trim();
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return problem(
    `syntax: the quoteless value '${shown}' takes the rest of line ${start.line}, and then at line ${at.line}, column ${at.column}: ${error.message} (hint: ${QUOTELESS_HINT})`,
    runOn.path,
    start,
    file,
  );
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
  let runOns: ReadonlySet<string> = new Set();
  const hintAt = (path: string): string | undefined => (runOns.has(path) ? QUOTELESS_HINT : undefined);
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
      hintAt,
    };
  }
  if (new Scanner(source).firstSignificant() === '') {
    return {
      problems: [problem('the source is empty (only whitespace and comments)', '', undefined, file)],
      positionOf,
      hintAt,
    };
  }
  const scan = runScanner(source);
  if (scan.error !== undefined) {
    return { problems: [syntaxProblem(source, { ...scan, error: scan.error }, file)], positionOf, hintAt };
  }
  const { scanner } = scan;
  offsets = scanner.offsets;
  runOns = new Set(scanner.runOns.map((runOn) => runOn.path));
  if (scanner.hostile.length > 0) {
    return {
      problems: scanner.hostile.map((h) => problem(h.message, h.path, locate(source, h.at), file)),
      positionOf,
      hintAt,
    };
  }
  try {
    // Plain JSON is common (exported Step Functions definitions) and JSON.parse is several times faster.
    const value: unknown = tryJson(source) ?? Hjson.parse(source);
    return { value, problems: [], positionOf, hintAt };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const where = /at line (\d+),(\d+)/.exec(message);
    const position = where ? { line: Number(where[1]), column: Number(where[2]) + 1 } : undefined;
    return {
      problems: [problem(`syntax: ${message.replace(/ at line .*$/s, '')}`, '', position, file)],
      positionOf,
      hintAt,
    };
  }
}
