/**
 * The intrinsic functions (`States.Format(...)`, `States.Array(...)`, ...) usable in `.$` fields.
 *
 * An expression is parsed once into a small tree (calls, literals, paths) and compiled into a closure.
 * Argument counts and literal argument types are checked when the graph is validated; values read from
 * paths are checked at run time. Every failure is the spec's `States.IntrinsicFailure`, reported, as Step
 * Functions reports it, under the name `States.Runtime`, with a cause naming the function.
 */
import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { InputError } from '../../errors.ts';
import { STATES_ERRORS, type StatesError, statesFailure } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { InternTable } from './interned.ts';
import { type CompiledPath, compilePath, kindOf, preview, type Variables, validatePath } from './paths.ts';

/** The sources of non-determinism an intrinsic may use, injected so an execution can be replayed. */
export interface IntrinsicEnv {
  /** A number in [0, 1), like `Math.random()`. */
  random(): number;
  /** A version-4 UUID. */
  uuid(): string;
}

/** Real randomness, for executions that need not be replayed. */
export const defaultIntrinsicEnv: IntrinsicEnv = {
  random: () => Math.random(),
  uuid: () => randomUUID(),
};

/** A string literal: its value, plus the pieces a `States.Format` template splits into. */
export interface StringLiteralNode {
  readonly type: 'string';
  /** The value with every escape resolved. */
  readonly value: string;
  /** Text between unescaped `{}` placeholders (one more piece than placeholders). */
  readonly pieces: readonly string[];
}

/** A node of a parsed intrinsic expression. */
export type IntrinsicNode =
  | StringLiteralNode
  | { readonly type: 'literal'; readonly value: number | boolean | null }
  | { readonly type: 'path'; readonly path: string }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly IntrinsicNode[] };

/** The nesting depth Step Functions allows for intrinsics within one field. */
export const MAX_INTRINSIC_NESTING = 10;

/** Thrown by the parser; carries the offset so the validator can point at it. */
export class IntrinsicSyntaxError extends InputError {
  override readonly name = 'IntrinsicSyntaxError';
  readonly offset: number;

  constructor(expression: string, offset: number, reason: string) {
    super(`intrinsic '${expression}': ${reason} at offset ${offset}`);
    this.offset = offset;
  }
}

/** Recursive-descent parser over one expression. */
class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(): IntrinsicNode {
    this.skipSpace();
    const node = this.call(1);
    this.skipSpace();
    if (this.i < this.text.length) this.fail(`unexpected '${this.text[this.i]}' after the call`);
    return node;
  }

  private fail(reason: string): never {
    throw new IntrinsicSyntaxError(this.text, this.i, reason);
  }

  private skipSpace(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i] ?? '')) this.i++;
  }

  private call(depth: number): IntrinsicNode {
    if (depth > MAX_INTRINSIC_NESTING)
      this.fail(`more than ${MAX_INTRINSIC_NESTING} nested intrinsic functions`);
    const match = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.i));
    if (match === null) this.fail("expected an intrinsic function name such as 'States.Format'");
    const name = match[0];
    this.i += name.length;
    this.skipSpace();
    if (this.text[this.i] !== '(') this.fail(`expected '(' after ${name}`);
    this.i++;
    const args: IntrinsicNode[] = [];
    this.skipSpace();
    if (this.text[this.i] === ')') {
      this.i++;
      return { type: 'call', name, args };
    }
    for (;;) {
      this.skipSpace();
      args.push(this.argument(depth));
      this.skipSpace();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
      } else if (c === ')') {
        this.i++;
        return { type: 'call', name, args };
      } else {
        this.fail(c === undefined ? `missing ')' to close ${name}` : `expected ',' or ')' but found '${c}'`);
      }
    }
  }

  private argument(depth: number): IntrinsicNode {
    const c = this.text[this.i];
    if (c === "'") return this.string();
    if (c === '$') return this.path();
    const rest = this.text.slice(this.i);
    if (rest.startsWith('States.')) return this.call(depth + 1);
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest);
    if (number !== null) {
      this.i += number[0].length;
      return { type: 'literal', value: Number(number[0]) };
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (rest.startsWith(word) && !/[A-Za-z0-9_]/.test(rest[word.length] ?? '')) {
        this.i += word.length;
        return { type: 'literal', value };
      }
    }
    return this.fail(c === undefined ? 'missing argument' : `unexpected '${c}' where an argument belongs`);
  }

  /** `'...'` with `\'`, `\\`, `\{`, `\}` escapes; unescaped braces delimit Format placeholders. */
  private string(): StringLiteralNode {
    const start = this.i;
    this.i++;
    let value = '';
    let piece = '';
    const pieces: string[] = [];
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) {
        this.i = start;
        this.fail('unterminated string literal');
      }
      this.i++;
      if (c === "'") break;
      if (c === '\\') {
        const next = this.text[this.i];
        if (next === "'" || next === '\\' || next === '{' || next === '}') {
          value += next;
          piece += next;
          this.i++;
          continue;
        }
        this.i--;
        this.fail(`unknown escape '\\${next ?? ''}' (only \\' \\\\ \\{ \\} are allowed)`);
      }
      if (c === '{' && this.text[this.i] === '}') {
        pieces.push(piece);
        piece = '';
        value += '{}';
        this.i++;
        continue;
      }
      value += c;
      piece += c;
    }
    pieces.push(piece);
    return { type: 'string', value, pieces };
  }

  /** A path argument runs to the next `,` or `)` outside brackets and quotes. */
  private path(): IntrinsicNode {
    const start = this.i;
    let depth = 0;
    let quote: string | undefined;
    while (this.i < this.text.length) {
      const c = this.text[this.i];
      if (quote !== undefined) {
        if (c === '\\') this.i++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '[' || c === '(') depth++;
      else if (c === ']' || (c === ')' && depth > 0)) depth--;
      else if (depth === 0 && (c === ',' || c === ')')) break;
      this.i++;
    }
    const path = this.text.slice(start, this.i).trim();
    const problem = validatePath(path, 'path');
    if (problem !== undefined) {
      this.i = start;
      this.fail(problem);
    }
    return { type: 'path', path };
  }
}

/** Parses an intrinsic expression; throws {@link IntrinsicSyntaxError} naming the offset of the problem. */
export function parseIntrinsic(expression: string): IntrinsicNode {
  return new Parser(expression).parse();
}

/** true when a `.$` value is an intrinsic call rather than a path. */
export function isIntrinsic(value: string): boolean {
  return value.trimStart().startsWith('States.');
}

/** A type an argument may be required to have. */
type ArgType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'any';

/** Signature and implementation of one intrinsic function. */
interface IntrinsicFunction {
  /** Minimum and maximum argument counts (max Infinity for variadic). */
  readonly min: number;
  readonly max: number;
  /** Type of each positional argument; the last entry repeats for variadic tails. */
  readonly types: readonly ArgType[];
  readonly run: (args: readonly JsonValue[], env: IntrinsicEnv, name: string, node: CallNode) => JsonValue;
}

type CallNode = Extract<IntrinsicNode, { type: 'call' }>;

/** The failure every intrinsic raises, naming the function. */
function failure(name: string, reason: string): StatesError {
  return statesFailure(STATES_ERRORS.IntrinsicFailure, `${name}: ${reason}`);
}

/** The input-size limit Step Functions applies to encode/decode/hash inputs. */
export const INTRINSIC_STRING_LIMIT = 10_000;
/** Refuses an encode, decode or hash input longer than Step Functions accepts. */
function limitLength(name: string, what: string, text: string): string {
  if (text.length > INTRINSIC_STRING_LIMIT) {
    throw failure(
      name,
      `the ${what} has ${text.length} characters; at most ${INTRINSIC_STRING_LIMIT} are allowed`,
    );
  }
  return text;
}

/** The largest array States.ArrayRange may build. */
export const ARRAY_RANGE_LIMIT = 1000;

/** The algorithms States.Hash and $hash accept, by the names Step Functions uses. */
export const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** Renders one value into a Format template. */
function formatValue(name: string, value: JsonValue, index: number): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  throw failure(
    name,
    `argument ${index + 1} is ${kindOf(value)}; only strings, numbers, booleans and null can be formatted`,
  );
}

/** Splits a template read from a path at run time (same escapes as a literal). */
function templatePieces(name: string, template: string): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '\\' && (template[i + 1] === '{' || template[i + 1] === '}' || template[i + 1] === '\\')) {
      piece += template[i + 1];
      i++;
    } else if (c === '{' && template[i + 1] === '}') {
      pieces.push(piece);
      piece = '';
      i++;
    } else if (c === '{' || c === '}') {
      throw failure(name, `unescaped '${c}' at offset ${i} of the template '${template}'`);
    } else {
      piece += c;
    }
  }
  pieces.push(piece);
  return pieces;
}

/** A small seeded generator (mulberry32), so `States.MathRandom(start, end, seed)` and `$random(seed)` are repeatable. */
export function seededRandom(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Every intrinsic function, by name. */
const FUNCTIONS: Readonly<Record<string, IntrinsicFunction>> = {
  'States.Format': {
    min: 1,
    max: Number.POSITIVE_INFINITY,
    types: ['string', 'any'],
    run: (args, _env, name, node) => {
      const first = node.args[0];
      const pieces = first?.type === 'string' ? first.pieces : templatePieces(name, args[0] as string);
      const values = args.slice(1);
      if (values.length !== pieces.length - 1) {
        throw failure(
          name,
          `the template has ${pieces.length - 1} placeholder(s) but ${values.length} value(s) were given`,
        );
      }
      let out = pieces[0] ?? '';
      for (let k = 0; k < values.length; k++) {
        out += formatValue(name, values[k] as JsonValue, k + 1) + (pieces[k + 1] ?? '');
      }
      return out;
    },
  },
  'States.StringToJson': {
    min: 1,
    max: 1,
    types: ['string'],
    run: (args, _env, name) => {
      try {
        return JSON.parse(args[0] as string) as JsonValue;
      } catch (error) {
        throw failure(
          name,
          `the string is not JSON (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    },
  },
  'States.JsonToString': {
    min: 1,
    max: 1,
    types: ['any'],
    run: (args) => JSON.stringify(args[0]),
  },
  'States.Array': {
    min: 0,
    max: Number.POSITIVE_INFINITY,
    types: ['any'],
    run: (args) => [...args],
  },
  'States.ArrayPartition': {
    min: 2,
    max: 2,
    types: ['array', 'integer'],
    run: (args, _env, name) => {
      const array = args[0] as JsonValue[];
      const size = args[1] as number;
      if (size <= 0) throw failure(name, `the chunk size must be a positive integer, got ${size}`);
      const chunks: JsonValue[] = [];
      for (let k = 0; k < array.length; k += size) chunks.push(array.slice(k, k + size));
      return chunks;
    },
  },
  'States.ArrayContains': {
    min: 2,
    max: 2,
    types: ['array', 'any'],
    run: (args) => (args[0] as JsonValue[]).some((item) => isDeepStrictEqual(item, args[1])),
  },
  'States.ArrayRange': {
    min: 3,
    max: 3,
    types: ['integer', 'integer', 'integer'],
    run: (args, _env, name) => {
      const [start, end, stepBy] = args as [number, number, number];
      if (stepBy === 0) throw failure(name, 'the step must not be 0');
      const count = Math.max(0, Math.floor((end - start) / stepBy) + 1);
      if (count > ARRAY_RANGE_LIMIT) {
        throw failure(name, `the range would hold ${count} items; at most ${ARRAY_RANGE_LIMIT} are allowed`);
      }
      return Array.from({ length: count }, (_, k) => start + k * stepBy);
    },
  },
  'States.ArrayGetItem': {
    min: 2,
    max: 2,
    types: ['array', 'integer'],
    run: (args, _env, name) => {
      const array = args[0] as JsonValue[];
      const index = args[1] as number;
      if (index < 0 || index >= array.length) {
        throw failure(name, `index ${index} is out of range for an array of ${array.length} item(s)`);
      }
      return array[index] as JsonValue;
    },
  },
  'States.ArrayLength': {
    min: 1,
    max: 1,
    types: ['array'],
    run: (args) => (args[0] as JsonValue[]).length,
  },
  'States.ArrayUnique': {
    min: 1,
    max: 1,
    types: ['array'],
    run: (args) => {
      const unique: JsonValue[] = [];
      for (const item of args[0] as JsonValue[]) {
        if (!unique.some((seen) => isDeepStrictEqual(seen, item))) unique.push(item);
      }
      return unique;
    },
  },
  'States.Base64Encode': {
    min: 1,
    max: 1,
    types: ['string'],
    run: (args, _env, name) => {
      const text = limitLength(name, 'input', args[0] as string);
      return Buffer.from(text, 'utf8').toString('base64');
    },
  },
  'States.Base64Decode': {
    min: 1,
    max: 1,
    types: ['string'],
    run: (args, _env, name) => {
      const text = limitLength(name, 'input', args[0] as string);
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
        throw failure(name, `'${text.length > 50 ? `${text.slice(0, 47)}...` : text}' is not valid base64`);
      }
      return Buffer.from(text, 'base64').toString('utf8');
    },
  },
  'States.Hash': {
    min: 2,
    max: 2,
    types: ['any', 'string'],
    run: (args, _env, name) => {
      const data = limitLength(name, 'data', typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]));
      const algorithm = HASH_ALGORITHMS[args[1] as string];
      if (algorithm === undefined) {
        throw failure(
          name,
          `unknown algorithm '${String(args[1])}' (use one of ${Object.keys(HASH_ALGORITHMS).join(', ')})`,
        );
      }
      return createHash(algorithm).update(data, 'utf8').digest('hex');
    },
  },
  'States.JsonMerge': {
    min: 3,
    max: 3,
    types: ['object', 'object', 'boolean'],
    run: (args, _env, name) => {
      if (args[2] !== false)
        throw failure(name, 'only shallow merging is supported: the third argument must be false');
      const merged: JsonObject = {};
      for (const source of [args[0], args[1]] as JsonObject[]) {
        for (const key of Object.keys(source)) {
          Object.defineProperty(merged, key, {
            value: source[key],
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
      }
      return merged;
    },
  },
  'States.MathRandom': {
    min: 2,
    max: 3,
    types: ['integer', 'integer', 'integer'],
    run: (args, env, name) => {
      const [start, end] = args as [number, number];
      if (end <= start) throw failure(name, `the end (${end}) must be greater than the start (${start})`);
      const r = args.length === 3 ? seededRandom(args[2] as number) : env.random();
      return start + Math.floor(r * (end - start));
    },
  },
  'States.MathAdd': {
    min: 2,
    max: 2,
    types: ['integer', 'integer'],
    run: (args, _env, name) => {
      const [a, b] = args as [number, number];
      for (const v of [a, b]) {
        if (v < INT32_MIN || v > INT32_MAX) throw failure(name, `${v} is outside the 32-bit integer range`);
      }
      return a + b;
    },
  },
  'States.StringSplit': {
    min: 2,
    max: 2,
    types: ['string', 'string'],
    run: (args, _env, name) => {
      const text = args[0] as string;
      const delimiters = new Set(args[1] as string);
      if (delimiters.size === 0) throw failure(name, 'the delimiter must not be empty');
      const parts: string[] = [];
      let current = '';
      for (const ch of text) {
        if (delimiters.has(ch)) {
          if (current !== '') parts.push(current);
          current = '';
        } else {
          current += ch;
        }
      }
      if (current !== '') parts.push(current);
      return parts;
    },
  },
  'States.UUID': {
    min: 0,
    max: 0,
    types: [],
    run: (_args, env) => env.uuid(),
  },
};

/** Whether a value has the required argument type. */
function hasType(value: JsonValue, type: ArgType): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
  }
}

/** An argument type in words, for messages. */
function describeType(type: ArgType): string {
  return type === 'integer' || type === 'array' || type === 'object' || type === 'any'
    ? `an ${type}`
    : `a ${type}`;
}

/** The type an argument position requires. */
function typeAt(fn: IntrinsicFunction, index: number): ArgType {
  return fn.types[Math.min(index, fn.types.length - 1)] ?? 'any';
}

/** Arity and literal-type checks of one call and its nested calls; returns the first problem. */
function checkCall(node: CallNode): string | undefined {
  const fn = FUNCTIONS[node.name];
  if (fn === undefined) return `unknown intrinsic function '${node.name}'`;
  const count = node.args.length;
  if (count < fn.min || count > fn.max) {
    const expected =
      fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`;
    return `${node.name} takes ${expected} argument(s), got ${count}`;
  }
  for (let k = 0; k < count; k++) {
    const arg = node.args[k] as IntrinsicNode;
    if (arg.type === 'call') {
      const problem = checkCall(arg);
      if (problem !== undefined) return problem;
    } else if (arg.type !== 'path') {
      const type = typeAt(fn, k);
      if (!hasType(arg.value, type)) {
        return `${node.name}: argument ${k + 1} must be ${describeType(type)}, got ${preview(arg.value)}`;
      }
    }
  }
  if (node.name === 'States.Format') {
    const template = node.args[0];
    if (template?.type === 'string' && template.pieces.length - 1 !== count - 1) {
      return `States.Format: the template has ${template.pieces.length - 1} placeholder(s) but ${count - 1} value(s) were given`;
    }
  }
  return undefined;
}

/**
 * Checks an intrinsic expression written in a graph (syntax, known function names, argument counts, the
 * types of literal arguments, nesting depth). Returns a message naming the function and the problem, or
 * undefined when valid.
 *
 * @example
 * validateIntrinsic("States.Format('Hello, {}', $.name)"); // undefined
 * validateIntrinsic('States.ArrayLength()'); // 'States.ArrayLength takes 1 argument(s), got 0'
 */
export function validateIntrinsic(expression: string): string | undefined {
  let node: IntrinsicNode;
  try {
    node = parseIntrinsic(expression);
  } catch (error) {
    if (error instanceof IntrinsicSyntaxError) return error.message;
    throw error;
  }
  return node.type === 'call' ? checkCall(node) : `intrinsic '${expression}' is not a function call`;
}

/** A compiled intrinsic expression. */
export type CompiledIntrinsic = (
  input: JsonValue,
  context: JsonValue,
  env: IntrinsicEnv,
  vars?: Variables,
) => JsonValue;

/** Compiles one node into a closure. */
function compileNode(node: IntrinsicNode): CompiledIntrinsic {
  switch (node.type) {
    case 'string':
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'path': {
      const path: CompiledPath = compilePath(node.path);
      return (input, context, _env, vars) => path(input, context, vars);
    }
    case 'call': {
      const fn = FUNCTIONS[node.name];
      if (fn === undefined) throw new TypeError(`unknown intrinsic function '${node.name}'`);
      const args = node.args.map(compileNode);
      const name = node.name;
      return (input, context, env, vars) => {
        const values: JsonValue[] = new Array<JsonValue>(args.length);
        for (let k = 0; k < args.length; k++) {
          const value = (args[k] as CompiledIntrinsic)(input, context, env, vars);
          const type = typeAt(fn, k);
          if (!hasType(value, type)) {
            throw failure(name, `argument ${k + 1} must be ${describeType(type)}, got ${preview(value)}`);
          }
          values[k] = value;
        }
        return fn.run(values, env, name, node);
      };
    }
  }
}

/** Compiled intrinsics by their text. */
const compiledIntrinsics = new InternTable<CompiledIntrinsic>();

/**
 * Compiles an intrinsic expression once; the closure evaluates it against the state input, the context
 * object and the injected randomness. Throws a `TypeError` with the validator's message when the
 * expression is invalid; at run time, failures are `StatesError`s naming the function.
 *
 * @example
 * const greet = compileIntrinsic("States.Format('Hello, {}', $.name)");
 * greet({ name: 'Ada' }, {}, defaultIntrinsicEnv); // 'Hello, Ada'
 */
export function compileIntrinsic(expression: string): CompiledIntrinsic {
  const known = compiledIntrinsics.get(expression);
  if (known !== undefined) return known;
  const problem = validateIntrinsic(expression);
  if (problem !== undefined) throw new TypeError(problem);
  return compiledIntrinsics.keep(expression, compileNode(parseIntrinsic(expression)));
}

/** Quotes a string as an intrinsic string literal (the inverse of the parser's unescaping). */
export function quoteIntrinsicString(value: string): string {
  return `'${value.replace(/[\\'{}]/g, (c) => `\\${c}`)}'`;
}
