/**
 * The JSONata engine: the `jsonata` package (2.0.6, the version Step Functions implements) run
 * synchronously and within bounds, so the pure transition function can evaluate JSONata like any other
 * expression.
 *
 * jsonata 2.x evaluates asynchronously (every step awaits). The library is loaded once into its own
 * `node:vm` context created with `microtaskMode: 'afterEvaluate'`: that context has a microtask queue of
 * its own, which Node drains before `runInContext` returns, so an evaluation that awaits nothing outside
 * the context (and ours never does) has settled when the call returns.
 *
 * Bounds: the library calls an entry hook before and an exit hook after each step. The entry hook counts
 * steps and checks the clock every few hundred of them; the exit hook refuses an intermediate string or
 * array above a size. So a runaway expression (an infinite recursion, `[1..1e7]`, `$pad('', 1e9)`) fails
 * its state with `States.QueryEvaluationError` after a bounded time and memory instead of stalling the
 * batch. A single regular-expression match is one step and is not interrupted.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** What one evaluation may spend. */
export interface JsonataLimits {
  /** Steps (expression nodes evaluated) per evaluation. */
  readonly maxSteps: number;
  /** Wall-clock milliseconds per evaluation. */
  readonly maxMillis: number;
  /** Characters of any string, and items of any array, an evaluation produces on the way. */
  readonly maxValueLength: number;
}

/** One million steps, half a second, four million characters or items. */
export const DEFAULT_JSONATA_LIMITS: JsonataLimits = {
  maxSteps: 1_000_000,
  maxMillis: 500,
  maxValueLength: 4 * 1024 * 1024,
};

/** An error the library threw: its code (`T1006`, `S0201`...), message and character position. */
export interface JsonataFailure {
  readonly code: string;
  readonly message: string;
  readonly position: number | undefined;
}

/** A parsed expression, held inside the engine's context. */
export interface JsonataExpression {
  readonly text: string;
  /** The library's abstract syntax tree (plain data), for checks at publish. */
  readonly ast: unknown;
}

/** The outcome of one evaluation: a value (undefined for JSONata's "nothing") or the library's error. */
export type JsonataOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly failure: JsonataFailure };

/** The library objects as seen from this realm. */
interface LibraryExpression {
  evaluate(input: unknown, bindings: Record<string, unknown>): Promise<unknown>;
  assign(name: symbol, value: unknown): void;
  ast(): unknown;
}

/** The engine: the context, the library in it, and a compiled driver script. */
interface Engine {
  readonly context: vm.Context;
  readonly parse: (text: string) => LibraryExpression;
  readonly run: vm.Script;
  /** The evaluation under way (evaluations do not nest: the hooks and functions never evaluate). */
  budget: { steps: number; deadline: number; limits: JsonataLimits };
}

const DRIVER = `
var __out;
var __now = 0;
var __SystemDate = Date;
Date = class extends __SystemDate {
  constructor() { if (arguments.length === 0) super(__now); else super(...arguments); }
  static now() { return __now; }
};
function __run(expression, input, bindings) {
  __out = undefined;
  expression.evaluate(input, bindings).then(
    function (value) { __out = { ok: true, value: value }; },
    function (error) { __out = { ok: false, error: error }; }
  );
}`;

let engine: Engine | undefined;

/**
 * The library's source, read once, lazily, so graphs without JSONata never load it: from the installed
 * package, or, in a deployed bundle (which has no node_modules), from `jsonata.js` shipped beside it.
 */
function librarySource(): string {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve('jsonata');
  } catch {
    path = fileURLToPath(new URL('./jsonata.js', import.meta.url));
  }
  return readFileSync(path, 'utf8');
}

function stepError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Builds the engine on first use. */
function getEngine(): Engine {
  if (engine !== undefined) return engine;
  const context = vm.createContext(
    {},
    { microtaskMode: 'afterEvaluate', codeGeneration: { strings: false, wasm: false } },
  );
  vm.runInContext('var module = { exports: {} }; var exports = module.exports;', context);
  new vm.Script(librarySource(), { filename: 'jsonata.js' }).runInContext(context);
  vm.runInContext(DRIVER, context);
  const parse = vm.runInContext('module.exports', context) as (text: string) => LibraryExpression;
  engine = {
    context,
    parse,
    run: new vm.Script('__run(__expression, __input, __bindings);'),
    budget: { steps: 0, deadline: 0, limits: DEFAULT_JSONATA_LIMITS },
  };
  return engine;
}

function onEntry(e: Engine): void {
  const b = e.budget;
  b.steps += 1;
  if (b.steps > b.limits.maxSteps) {
    throw stepError(
      'U1001',
      `evaluation stopped after ${b.limits.maxSteps} steps (an endless loop or recursion?)`,
    );
  }
  if ((b.steps & 255) === 0 && performance.now() > b.deadline) {
    throw stepError('U1002', `evaluation stopped after ${b.limits.maxMillis} ms`);
  }
}

function onExit(e: Engine, result: unknown): void {
  const max = e.budget.limits.maxValueLength;
  if ((typeof result === 'string' || Array.isArray(result)) && result.length > max) {
    throw stepError(
      'U1003',
      `a value of ${result.length} ${typeof result === 'string' ? 'characters' : 'items'} exceeds the limit of ${max}`,
    );
  }
}

/** A library error (a plain object with `code`, `message`, `position`) as a JsonataFailure. */
function failureOf(error: unknown): JsonataFailure {
  if (typeof error === 'object' && error !== null) {
    const fields = error as { code?: unknown; message?: unknown; position?: unknown };
    return {
      code: typeof fields.code === 'string' ? fields.code : 'Error',
      message: typeof fields.message === 'string' ? fields.message : String(error),
      position: typeof fields.position === 'number' ? fields.position : undefined,
    };
  }
  return { code: 'Error', message: String(error), position: undefined };
}

/**
 * Parses an expression once (the text between `{%` and `%}`); a syntax error comes back as the library's
 * failure with its position, for the validator.
 */
export function parseJsonata(text: string): JsonataExpression | JsonataFailure {
  const e = getEngine();
  let expression: LibraryExpression;
  try {
    expression = e.parse(text);
  } catch (error) {
    return failureOf(error);
  }
  expression.assign(Symbol.for('jsonata.__evaluate_entry'), () => onEntry(e));
  expression.assign(
    Symbol.for('jsonata.__evaluate_exit'),
    (_node: unknown, _input: unknown, _env: unknown, result: unknown) => onExit(e, result),
  );
  const parsed: JsonataExpression & { readonly library: LibraryExpression } = {
    text,
    ast: expression.ast(),
    library: expression,
  };
  return parsed;
}

/** true when `parseJsonata` failed. */
export function isJsonataFailure(value: JsonataExpression | JsonataFailure): value is JsonataFailure {
  return 'code' in value;
}

/**
 * Evaluates a parsed expression against no input (Step Functions gives expressions their data through
 * `$states` and variables, never as `$`), with `bindings` as its variables, within `limits`. `$now()`
 * and `$millis()` read `now` (epoch ms), the execution's clock, so a replayed execution repeats them.
 */
export function evaluateJsonata(
  expression: JsonataExpression,
  bindings: Record<string, unknown>,
  now: number,
  limits: JsonataLimits = DEFAULT_JSONATA_LIMITS,
): JsonataOutcome {
  const e = getEngine();
  const library = (expression as JsonataExpression & { readonly library: LibraryExpression }).library;
  e.budget = { steps: 0, deadline: performance.now() + limits.maxMillis, limits };
  const context = e.context as Record<string, unknown>;
  context.__expression = library;
  context.__input = undefined;
  context.__bindings = bindings;
  context.__now = now;
  let out: { ok: boolean; value?: unknown; error?: unknown } | undefined;
  try {
    // The driver's promise settles in the context's microtasks, which run before this call returns.
    e.run.runInContext(e.context);
    out = context.__out as typeof out;
  } catch (error) {
    return { ok: false, failure: failureOf(error) };
  } finally {
    context.__expression = undefined;
    context.__bindings = undefined;
  }
  if (out === undefined) {
    return {
      ok: false,
      failure: { code: 'U1004', message: 'evaluation did not settle', position: undefined },
    };
  }
  return out.ok ? { ok: true, value: out.value } : { ok: false, failure: failureOf(out.error) };
}
