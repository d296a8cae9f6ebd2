/**
 * SNS subscription filter policies. They look like EventBridge patterns but are their own language: they
 * match message attributes by default (typed: `String`, `Number`, `String.Array`) or, with
 * `FilterPolicyScope: MessageBody`, the JSON body; `exists: false` matches an absent key; a `$or` key
 * offers alternatives. Every key of the policy must match, and a key matches when any of its
 * conditions does:
 *
 * ```
 * { "kind": ["order.placed", {"prefix": "refund."}],        kind is order.placed, or starts with refund.
 *   "amount": [{"numeric": [">=", 100, "<", 1000]}],          and 100 <= amount < 1000 (a Number attribute)
 *   "region": [{"anything-but": ["eu-west-1"]}],              and region is present and not eu-west-1
 *   "trace": [{"exists": false}] }                            and there is no trace attribute
 * ```
 */
import type { MessageAttributeValue } from '../sqs/index.ts';

/** A value the policy is evaluated against (attribute values, or a JSON body). */
type Value = string | number | boolean | null | readonly Value[] | { readonly [key: string]: Value };

/** Which part of a message a policy reads. */
export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

/** A filter policy that SNS would refuse; the message names the offending part. */
export class FilterPolicyError extends Error {
  override readonly name = 'FilterPolicyError';
}

type Condition = { readonly absent: boolean; test(value: Value | undefined): boolean };
type Matcher = (document: { readonly [key: string]: Value }) => boolean;

const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value`, or any element of it when it is an array, satisfies `test`. */
function some(value: Value | undefined, test: (scalar: Value) => boolean): boolean {
  if (value === undefined) return false;
  return Array.isArray(value) ? value.some((item: Value) => test(item)) : test(value);
}

function numeric(spec: unknown, where: string): (value: Value) => boolean {
  if (!Array.isArray(spec) || spec.length === 0 || spec.length % 2 !== 0 || spec.length > 4)
    throw new FilterPolicyError(`${where}: numeric takes one or two [operator, number] pairs`);
  const checks: Array<(n: number) => boolean> = [];
  for (let index = 0; index < spec.length; index += 2) {
    const operator = spec[index];
    const bound = spec[index + 1];
    if (typeof operator !== 'string' || !NUMERIC_OPERATORS.has(operator))
      throw new FilterPolicyError(`${where}: unknown numeric operator ${JSON.stringify(operator)}`);
    if (typeof bound !== 'number' || !Number.isFinite(bound))
      throw new FilterPolicyError(
        `${where}: numeric ${operator} needs a number, got ${JSON.stringify(bound)}`,
      );
    checks.push((n) =>
      operator === '='
        ? n === bound
        : operator === '<'
          ? n < bound
          : operator === '<='
            ? n <= bound
            : operator === '>'
              ? n > bound
              : n >= bound,
    );
  }
  return (value) => typeof value === 'number' && checks.every((check) => check(value));
}

function stringTest(spec: unknown, where: string, test: (value: string, wanted: string) => boolean) {
  if (typeof spec !== 'string')
    throw new FilterPolicyError(`${where} takes a string, got ${JSON.stringify(spec)}`);
  return (value: Value) => typeof value === 'string' && test(value, spec);
}

/** One condition of a key's list: a literal, or an operator object. */
function condition(spec: unknown, where: string): Condition {
  if (typeof spec === 'string' || typeof spec === 'number' || typeof spec === 'boolean' || spec === null) {
    return { absent: false, test: (value) => some(value, (scalar) => scalar === spec) };
  }
  if (!isObject(spec)) throw new FilterPolicyError(`${where}: ${JSON.stringify(spec)} is not a condition`);
  const keys = Object.keys(spec);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined)
    throw new FilterPolicyError(
      `${where}: a condition has exactly one operator, got ${JSON.stringify(spec)}`,
    );
  const argument = spec[operator];
  const at = `${where}: ${operator}`;
  switch (operator) {
    case 'exists':
      if (typeof argument !== 'boolean') throw new FilterPolicyError(`${at} takes true or false`);
      return argument
        ? { absent: false, test: (value) => value !== undefined }
        : { absent: true, test: (value) => value === undefined };
    case 'prefix': {
      const test = stringTest(argument, at, (value, wanted) => value.startsWith(wanted));
      return { absent: false, test: (value) => some(value, test) };
    }
    case 'suffix': {
      const test = stringTest(argument, at, (value, wanted) => value.endsWith(wanted));
      return { absent: false, test: (value) => some(value, test) };
    }
    case 'equals-ignore-case': {
      const test = stringTest(argument, at, (value, wanted) => value.toLowerCase() === wanted.toLowerCase());
      return { absent: false, test: (value) => some(value, test) };
    }
    case 'numeric': {
      const test = numeric(argument, at);
      return { absent: false, test: (value) => some(value, test) };
    }
    case 'anything-but': {
      let excluded: (value: Value) => boolean;
      if (isObject(argument)) {
        const inner = condition(argument, at);
        excluded = (value) => inner.test(value);
      } else {
        const values = Array.isArray(argument) ? argument : [argument];
        if (values.some((item) => typeof item !== 'string' && typeof item !== 'number'))
          throw new FilterPolicyError(`${at} takes strings or numbers, or a prefix / suffix`);
        excluded = (value) => values.includes(value);
      }
      return {
        absent: false,
        test: (value) => value !== undefined && !some(value, (scalar) => excluded(scalar)),
      };
    }
    default:
      throw new FilterPolicyError(
        `${where}: unknown operator '${operator}' (served: exists, prefix, suffix, equals-ignore-case, numeric, anything-but)`,
      );
  }
}

function compileObject(policy: Record<string, unknown>, nested: boolean, path: string): Matcher {
  const matchers: Matcher[] = [];
  for (const [key, spec] of Object.entries(policy)) {
    const where = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(spec) || spec.length < 2 || !spec.every(isObject))
        throw new FilterPolicyError(`${where} takes a list of at least two policies`);
      const alternatives = spec.map((item, index) => compileObject(item, nested, `${where}[${index}]`));
      matchers.push((document) => alternatives.some((alternative) => alternative(document)));
    } else if (Array.isArray(spec)) {
      if (spec.length === 0) throw new FilterPolicyError(`${where}: the list of conditions is empty`);
      const conditions = spec.map((item) => condition(item, where));
      matchers.push((document) => {
        const value = Object.hasOwn(document, key) ? document[key] : undefined;
        return conditions.some((c) => (c.absent ? c.test(value) : value !== undefined && c.test(value)));
      });
    } else if (isObject(spec)) {
      if (!nested)
        throw new FilterPolicyError(
          `${where}: a MessageAttributes policy cannot nest; use FilterPolicyScope MessageBody`,
        );
      const inner = compileObject(spec, nested, where);
      matchers.push((document) => {
        const value = document[key];
        // Arrays of objects are matched element by element, as EventBridge flattens them.
        const candidates: readonly Value[] = Array.isArray(value)
          ? value
          : value === undefined
            ? []
            : [value];
        return candidates.some((item) => isObject(item) && inner(item as { readonly [key: string]: Value }));
      });
    } else {
      throw new FilterPolicyError(`${where}: expected a list of conditions, got ${JSON.stringify(spec)}`);
    }
  }
  return (document) => matchers.every((matcher) => matcher(document));
}

/**
 * Compiles a policy (the `FilterPolicy` attribute's JSON text) for a scope.
 *
 * @throws FilterPolicyError naming the part SNS would refuse.
 */
export function compileFilterPolicy(
  text: string,
  scope: FilterPolicyScope,
): (message: {
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly body: string;
}) => boolean {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch (error) {
    throw new FilterPolicyError(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(policy)) throw new FilterPolicyError('a filter policy is a JSON object');
  const matcher = compileObject(policy, scope === 'MessageBody', '');
  if (scope === 'MessageBody') {
    return ({ body }) => {
      let document: unknown;
      try {
        document = JSON.parse(body);
      } catch {
        return false;
      }
      return isObject(document) && matcher(document as { readonly [key: string]: Value });
    };
  }
  return ({ attributes }) => matcher(attributeDocument(attributes));
}

/** Message attributes as the values a policy sees: numbers for `Number`, lists for `String.Array`. */
function attributeDocument(attributes: Readonly<Record<string, MessageAttributeValue>>): {
  [key: string]: Value;
} {
  const document: { [key: string]: Value } = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    const text = attribute.StringValue;
    if (text === undefined) continue;
    if (attribute.DataType.startsWith('Number')) {
      document[name] = Number(text);
    } else if (attribute.DataType === 'String.Array') {
      try {
        const parsed: unknown = JSON.parse(text);
        document[name] = Array.isArray(parsed) ? (parsed as Value[]) : text;
      } catch {
        document[name] = text;
      }
    } else if (attribute.DataType.startsWith('String')) {
      document[name] = text;
    }
  }
  return document;
}
