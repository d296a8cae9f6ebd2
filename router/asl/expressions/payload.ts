/**
 * Payload templates: the JSON of Parameters, ResultSelector and ItemSelector, where a key ending in `.$`
 * takes its value from a path or an intrinsic function instead of literally.
 *
 * A template is compiled once into a tree of closures; subtrees with no `.$` key are kept as constants
 * and shared between evaluations (callers treat state data as immutable, as the path layer does).
 */
import { STATES_ERRORS, StatesError, statesFailure } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import {
  type CompiledIntrinsic,
  compileIntrinsic,
  defaultIntrinsicEnv,
  type IntrinsicEnv,
  isIntrinsic,
} from './intrinsics.ts';
import { compilePath, preview, type Variables } from './paths.ts';

/** A compiled payload template. */
export type CompiledTemplate = (
  input: JsonValue,
  context: JsonValue,
  env?: IntrinsicEnv,
  vars?: Variables,
) => JsonValue;

/** Keys a template may never produce: they would reach an object's prototype in JavaScript consumers. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__']);

/** A compiled node: a constant, or a function of the input. */
type Node = { readonly constant: JsonValue } | { readonly run: CompiledTemplate };

/** Compiles the value of one `.$` field, naming the field in every failure. */
function compileDynamic(field: string, location: string, expression: JsonValue): CompiledTemplate {
  if (typeof expression !== 'string') {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `The field '${location}' ends in '.$' so its value must be a path or an intrinsic function, got ${preview(expression)}`,
    );
  }
  let evaluate: CompiledIntrinsic;
  const intrinsic = isIntrinsic(expression);
  try {
    if (intrinsic) {
      evaluate = compileIntrinsic(expression);
    } else {
      const path = compilePath(expression);
      evaluate = (input, context, _env, vars) => path(input, context, vars);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StatesError(STATES_ERRORS.Runtime, `The field '${location}' is invalid: ${reason}`);
  }
  return (input, context, env = defaultIntrinsicEnv, vars) => {
    try {
      return evaluate(input, context, env, vars);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const miss = error.miss === undefined ? undefined : { ...error.miss, field: location };
      if (intrinsic) {
        throw new StatesError(error.name, `The field '${location}' failed: ${error.cause}`, {
          ...(error.specError === undefined ? {} : { specError: error.specError }),
          ...(miss === undefined ? {} : { miss }),
        });
      }
      const where =
        miss?.root === 'context'
          ? 'the context object'
          : miss?.root === 'variable'
            ? 'the variable'
            : 'the input';
      throw statesFailure(
        STATES_ERRORS.ParameterPathFailure,
        `The JSONPath '${expression}' specified for the field '${field}' could not be found in ${where} ${preview(miss?.value ?? input)}`,
        miss,
      );
    }
  };
}

/** Compiles a subtree; `location` is the dotted path of the field, for messages. */
function compileNode(template: JsonValue, location: string): Node {
  if (Array.isArray(template)) {
    const items = template.map((item, k) => compileNode(item, `${location}[${k}]`));
    if (items.every((item) => 'constant' in item)) return { constant: template };
    return {
      run: (input, context, env, vars) =>
        items.map((item) => ('constant' in item ? item.constant : item.run(input, context, env, vars))),
    };
  }
  if (template === null || typeof template !== 'object') return { constant: template };
  const fields: { readonly key: string; readonly node: Node }[] = [];
  let dynamic = false;
  for (const field of Object.keys(template)) {
    const value = template[field] as JsonValue;
    const childLocation = location === '' ? field : `${location}.${field}`;
    if (field.endsWith('.$')) {
      const key = field.slice(0, -2);
      if (FORBIDDEN_KEYS.has(key)) {
        throw new StatesError(
          STATES_ERRORS.Runtime,
          `The field '${childLocation}' is not allowed: '${key}' is a reserved name`,
        );
      }
      fields.push({ key, node: { run: compileDynamic(field, childLocation, value) } });
      dynamic = true;
    } else {
      if (FORBIDDEN_KEYS.has(field)) {
        throw new StatesError(
          STATES_ERRORS.Runtime,
          `The field '${childLocation}' is not allowed: '${field}' is a reserved name`,
        );
      }
      const node = compileNode(value, childLocation);
      if ('run' in node) dynamic = true;
      fields.push({ key: field, node });
    }
  }
  if (!dynamic) return { constant: template };
  return {
    run: (input, context, env, vars) => {
      const out: JsonObject = {};
      for (const { key, node } of fields) {
        out[key] = 'constant' in node ? node.constant : node.run(input, context, env, vars);
      }
      return out;
    },
  };
}

/**
 * Compiles a Parameters / ResultSelector / ItemSelector template once for repeated evaluation. A `.$`
 * field whose path matches nothing fails with `States.Runtime` (the spec's `States.ParameterPathFailure`)
 * naming the field and the path; a `__proto__` key is refused.
 *
 * @example
 * const params = compilePayloadTemplate({ 'id.$': '$.detail.id', source: 'orders', 'at.$': '$$.State.EnteredTime' });
 * params({ detail: { id: 7 } }, { State: { EnteredTime: '2026-01-01T00:00:00Z' } });
 * // { id: 7, source: 'orders', at: '2026-01-01T00:00:00Z' }
 */
export function compilePayloadTemplate(template: JsonValue): CompiledTemplate {
  const node = compileNode(template, '');
  if ('constant' in node) {
    const value = node.constant;
    return () => value;
  }
  return node.run;
}
