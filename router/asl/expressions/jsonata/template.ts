/**
 * JSONata fields compiled once: a `{% expression %}` string, or any JSON value (Arguments, Output,
 * Assign, ItemSelector...) whose strings may be such expressions at any depth. What an expression
 * sees is `$states` (input, result, errorOutput, context), the variables in scope and Step Functions'
 * added functions; what it returns is copied out of the engine as plain JSON.
 *
 * Every failure is `States.QueryEvaluationError` with Step Functions' cause: the state, the expression
 * and the field, written as a slash path into the field (`Output/result`, `Arguments/FunctionName`).
 */
import { STATES_ERRORS, StatesError } from '../../errors.ts';
import type { JsonObject, JsonValue } from '../../types.ts';
import type { IntrinsicEnv } from '../intrinsics.ts';
import { preview } from '../paths.ts';
import {
  DEFAULT_JSONATA_LIMITS,
  evaluateJsonata,
  isJsonataFailure,
  type JsonataExpression,
  type JsonataLimits,
  parseJsonata,
} from './engine.ts';
import { stepFunctionsBindings } from './functions.ts';

/** `$states` of one evaluation: the state's input, and its result, error output and context when they exist. */
export interface StatesBinding {
  readonly input: JsonValue;
  readonly result?: JsonValue;
  readonly errorOutput?: JsonValue;
  readonly context?: JsonValue;
}

/** Everything an expression can read in one evaluation. */
export interface JsonataScope {
  readonly states: StatesBinding;
  /** Every variable visible to the state (its own scope over the outer ones). */
  readonly variables: Readonly<Record<string, JsonValue>>;
  /** Randomness for `$random()` and `$uuid()`. */
  readonly env: IntrinsicEnv;
  /** The state's time (epoch ms), for `$now()` and `$millis()`. */
  readonly now: number;
}

/** A compiled JSONata field. */
export type CompiledJsonata = (scope: JsonataScope) => JsonValue;

/** true for a string written as one JSONata expression: `{%` first and `%}` last. */
export function isJsonataText(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 4 && value.startsWith('{%') && value.endsWith('%}');
}

/** The expression between `{%` and `%}`, trimmed as Step Functions shows it. */
export function jsonataBody(text: string): string {
  return text.slice(2, -2).trim();
}

/** Where an expression sits, for its causes. */
interface Site {
  readonly state: string;
  readonly field: string;
}

function queryError(site: Site, body: string, reason: string): StatesError {
  return new StatesError(
    STATES_ERRORS.QueryEvaluationError,
    `An error occurred while executing the state '${site.state}'. The JSONata expression '${body}' specified for the field '${site.field}' ${reason}`,
  );
}

/** JSONata's type names, as Step Functions reports them. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Copies an engine value out as plain JSON; undefined when it holds something JSON cannot (a function). */
function toJson(value: unknown): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out: JsonValue[] = [];
        for (const item of value) {
          if (item === undefined) continue;
          const converted = toJson(item);
          if (converted === undefined) return undefined;
          out.push(converted);
        }
        return out;
      }
      const out: JsonObject = {};
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        const converted = toJson(item);
        if (converted === undefined) return undefined;
        if (key === '__proto__') {
          Object.defineProperty(out, key, {
            value: converted,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else out[key] = converted;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** The bindings of one evaluation: variables, then `$states` and the added functions over them. */
function bindingsOf(scope: JsonataScope): Record<string, unknown> {
  return { ...scope.variables, states: scope.states, ...stepFunctionsBindings(scope.env) };
}

/** Parses an expression for the interpreter; the validator has reported syntax errors with their line. */
function parseOrThrow(body: string, site: Site): JsonataExpression {
  const parsed = parseJsonata(body);
  if (isJsonataFailure(parsed)) {
    throw new TypeError(
      `field '${site.field}': the JSONata expression '${body}' does not parse: ${parsed.code}: ${parsed.message}`,
    );
  }
  return parsed;
}

/** The JSON types a field may require of its expression's value. */
export type ExpectedType = 'array' | 'boolean' | 'number' | 'string';

/** Compiles one `{% %}` string. */
function compileExpression(
  text: string,
  site: Site,
  limits: JsonataLimits,
  expected?: ExpectedType,
): CompiledJsonata {
  const body = jsonataBody(text);
  const expression = parseOrThrow(body, site);
  return (scope) => {
    const outcome = evaluateJsonata(expression, bindingsOf(scope), scope.now, limits);
    if (!outcome.ok) {
      const { code, message } = outcome.failure;
      throw queryError(site, body, `threw an error during evaluation. ${code}: ${message}`);
    }
    if (outcome.value === undefined) throw queryError(site, body, 'returned nothing (undefined).');
    const value = toJson(outcome.value);
    if (value === undefined) throw queryError(site, body, 'returned an unsupported result type.');
    if (expected !== undefined && typeName(value) !== expected) {
      throw queryError(
        site,
        body,
        `returned an unexpected result type. Expected '${expected}', but was '${typeName(value)}' for value: ${preview(value)}`,
      );
    }
    return value;
  };
}

type Node = { readonly constant: JsonValue } | { readonly run: CompiledJsonata };

function compileNode(value: JsonValue, site: Site, limits: JsonataLimits): Node {
  if (isJsonataText(value)) return { run: compileExpression(value, site, limits) };
  if (value === null || typeof value !== 'object') return { constant: value };
  if (Array.isArray(value)) {
    const items = value.map((item, k) => compileNode(item, { ...site, field: `${site.field}/${k}` }, limits));
    if (items.every((item) => 'constant' in item)) return { constant: value };
    return { run: (scope) => items.map((item) => ('constant' in item ? item.constant : item.run(scope))) };
  }
  const fields = Object.keys(value).map((key) => ({
    key,
    node: compileNode(value[key] as JsonValue, { ...site, field: `${site.field}/${key}` }, limits),
  }));
  if (fields.every((f) => 'constant' in f.node)) return { constant: value };
  return {
    run: (scope) => {
      const out: JsonObject = {};
      for (const { key, node } of fields) {
        const v = 'constant' in node ? node.constant : node.run(scope);
        if (key === '__proto__') {
          Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
        } else out[key] = v;
      }
      return out;
    },
  };
}

/**
 * Compiles a JSONata field of state `state` once: `{% %}` strings anywhere in `value` are expressions,
 * everything else is literal. `field` names it in causes (`Output`, `Arguments`, `Assign/total`).
 *
 * @example
 * const output = compileJsonataField({ total: '{% $sum($states.input.items.price) %}' }, 'Sum', 'Output');
 * output({ states: { input: { items: [{ price: 2 }, { price: 3 }] } }, variables: {}, env, now });
 * // { total: 5 }
 */
export function compileJsonataField(
  value: JsonValue,
  state: string,
  field: string,
  limits: JsonataLimits = DEFAULT_JSONATA_LIMITS,
  expected?: ExpectedType,
): CompiledJsonata {
  if (expected !== undefined && isJsonataText(value)) {
    return compileExpression(value, { state, field }, limits, expected);
  }
  const node = compileNode(value, { state, field }, limits);
  if ('constant' in node) {
    const constant = node.constant;
    return () => constant;
  }
  return node.run;
}

/**
 * A field whose value must be of one JSON type (Items an array, Condition a boolean, Seconds a number):
 * anything else is `States.QueryEvaluationError` naming the expected and the actual type.
 */
export function expectType(
  value: JsonValue,
  expected: 'array' | 'boolean' | 'number' | 'string',
  state: string,
  field: string,
  text: unknown,
): JsonValue {
  if (typeName(value) === expected) return value;
  const body = isJsonataText(text) ? jsonataBody(text) : preview(text as JsonValue);
  throw queryError(
    { state, field },
    body,
    `returned an unexpected result type. Expected '${expected}', but was '${typeName(value)}' for value: ${preview(value)}`,
  );
}
