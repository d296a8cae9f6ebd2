/**
 * Choice rules compiled to predicates.
 *
 * The spec's rules: a comparison whose Variable (or `...Path` operand) has the wrong type is simply false,
 * never an error; a Variable that matches nothing is a `States.Runtime` error, except for `IsPresent`,
 * whose whole purpose is to ask. Timestamps compare as instants (RFC 3339 with an uppercase `T` and `Z`),
 * exact to the nanosecond.
 */
import { compileWildcard, WildcardSyntaxError } from '../../patterns/index.ts';
import { STATES_ERRORS, StatesError } from '../errors.ts';
import {
  CHOICE_LITERAL_OPERATORS,
  CHOICE_PATH_OPERATORS,
  CHOICE_TYPE_OPERATORS,
  type ChoiceRule,
  type JsonValue,
} from '../types.ts';
import {
  compilePath,
  lookupReferencePath,
  parseReferencePath,
  pathMiss,
  preview,
  type Variables,
} from './paths.ts';

/** A compiled Choice rule. */
export type CompiledCondition = (input: JsonValue, context: JsonValue, vars?: Variables) => boolean;

/** An instant parsed from an RFC 3339 timestamp: whole seconds since the epoch plus nanoseconds. */
export interface Instant {
  readonly seconds: number;
  readonly nanos: number;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp the way the spec restricts it; undefined when it is not one. */
export function parseTimestamp(value: string): Instant | undefined {
  const m = TIMESTAMP.exec(value);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  const zone = m[8] ?? 'Z';
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offsetMinutes * 60;
  return { seconds: utc, nanos: Number((m[7] ?? '').padEnd(9, '0')) };
}

/** Orders two instants (negative, zero, positive). */
function compareInstants(a: Instant, b: Instant): number {
  return a.seconds === b.seconds ? a.nanos - b.nanos : a.seconds - b.seconds;
}

/** The comparison families, keyed by the operator prefix. */
type Family = 'String' | 'Numeric' | 'Boolean' | 'Timestamp';
type Relation = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals' | 'Matches';

const LITERAL: ReadonlySet<string> = new Set(CHOICE_LITERAL_OPERATORS);
const PATH: ReadonlySet<string> = new Set(CHOICE_PATH_OPERATORS);
const TYPE: ReadonlySet<string> = new Set(CHOICE_TYPE_OPERATORS);

/** Splits `NumericLessThanEqualsPath` into its family and relation. */
function splitOperator(operator: string): { family: Family; relation: Relation } {
  const base = operator.endsWith('Path') ? operator.slice(0, -4) : operator;
  const family = (['String', 'Numeric', 'Boolean', 'Timestamp'] as const).find((f) => base.startsWith(f));
  if (family === undefined) throw new TypeError(`unknown Choice operator '${operator}'`);
  return { family, relation: base.slice(family.length) as Relation };
}

/** Applies a relation to a comparison result. */
function holds(relation: Relation, order: number): boolean {
  switch (relation) {
    case 'Equals':
      return order === 0;
    case 'LessThan':
      return order < 0;
    case 'GreaterThan':
      return order > 0;
    case 'LessThanEquals':
      return order <= 0;
    case 'GreaterThanEquals':
      return order >= 0;
    case 'Matches':
      return false;
  }
}

/**
 * Compares a Variable's value with an operand of the same family; false on any type mismatch (the spec
 * makes that a non-match, not an error).
 */
function compare(family: Family, relation: Relation, value: JsonValue, operand: JsonValue): boolean {
  switch (family) {
    case 'String':
      if (typeof value !== 'string' || typeof operand !== 'string') return false;
      return holds(relation, value < operand ? -1 : value > operand ? 1 : 0);
    case 'Numeric':
      if (typeof value !== 'number' || typeof operand !== 'number') return false;
      return holds(relation, value - operand);
    case 'Boolean':
      return typeof value === 'boolean' && typeof operand === 'boolean' && value === operand;
    case 'Timestamp': {
      if (typeof value !== 'string' || typeof operand !== 'string') return false;
      const a = parseTimestamp(value);
      const b = parseTimestamp(operand);
      if (a === undefined || b === undefined) return false;
      return holds(relation, compareInstants(a, b));
    }
  }
}

/** Reads a Variable: returns undefined when it matches nothing (full paths yield their match array). */
type Reader = (input: JsonValue, context: JsonValue, vars: Variables | undefined) => JsonValue | undefined;

/** Compiles a Variable or `...Path` operand into a reader that reports absence as undefined. */
function compileReader(path: string, where: string): Reader {
  const parsed = parseReferencePath(path);
  if (typeof parsed !== 'string')
    return (input, context, vars) => lookupReferencePath(parsed, input, context, vars);
  try {
    const full = compilePath(path);
    return (input, context, vars) => full(input, context, vars);
  } catch (error) {
    throw new TypeError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The `States.Runtime` error for a path that a comparison needs but that matches nothing. */
function missing(
  path: string,
  field: string,
  operator: string,
  input: JsonValue,
  context: JsonValue,
  vars: Variables | undefined,
): StatesError {
  const found = pathMiss(path, input, context, vars);
  const miss = found === undefined ? undefined : { ...found, field };
  const where =
    miss?.root === 'context'
      ? 'the context object'
      : miss?.root === 'variable'
        ? 'the variable'
        : 'the input';
  return new StatesError(
    STATES_ERRORS.Runtime,
    `Invalid path '${path}': the Choice rule (${operator}) references a value that is not in ${where} ${preview(miss?.value ?? input)}`,
    miss === undefined ? {} : { miss },
  );
}

/** Finds the single comparison operator of a rule. */
function operatorOf(rule: ChoiceRule): string {
  const operators = Object.keys(rule).filter((k) => LITERAL.has(k) || PATH.has(k) || TYPE.has(k));
  if (operators.length !== 1) {
    const others = Object.keys(rule).filter((k) => k !== 'Variable' && k !== 'Next' && k !== 'Comment');
    throw new TypeError(
      operators.length === 0
        ? `Choice rule on '${String(rule.Variable)}' has no comparison operator (found: ${others.join(', ') || 'none'})`
        : `Choice rule on '${String(rule.Variable)}' has several operators: ${operators.join(', ')}`,
    );
  }
  return operators[0] as string;
}

/**
 * A StringMatches pattern: the wildcard language EventBridge also uses, where `**` is accepted (the
 * States Language does not forbid it) and a backslash escapes only `*` or itself.
 */
function compileStringMatchesRule(pattern: string, variable: string): (value: string) => boolean {
  try {
    return compileWildcard(pattern, { consecutiveStars: 'allow' });
  } catch (error) {
    if (!(error instanceof WildcardSyntaxError)) throw error;
    throw new TypeError(
      `Choice rule StringMatches on '${variable}': pattern '${pattern}': ${error.message}`,
      {
        cause: error,
      },
    );
  }
}

/** Compiles a comparison (a rule with a Variable). */
function compileComparison(rule: ChoiceRule): CompiledCondition {
  const variable = rule.Variable;
  if (typeof variable !== 'string') throw new TypeError('Choice rule has no Variable and no And / Or / Not');
  const operator = operatorOf(rule);
  const operand = rule[operator];
  const read = compileReader(variable, `Choice rule Variable '${variable}'`);

  if (TYPE.has(operator)) {
    if (typeof operand !== 'boolean')
      throw new TypeError(`Choice rule ${operator} on '${variable}' needs true or false`);
    if (operator === 'IsPresent') {
      // A full path (wildcard, filter) yields an array of matches: present means it matched something.
      const full = !isReferenceText(variable);
      return (input, context, vars) => {
        const value = read(input, context, vars);
        const present = value !== undefined && !(full && Array.isArray(value) && value.length === 0);
        return present === operand;
      };
    }
    const test = typeTest(operator);
    return (input, context, vars) => {
      const value = read(input, context, vars);
      if (value === undefined) throw missing(variable, 'Variable', operator, input, context, vars);
      return test(value) === operand;
    };
  }

  const { family, relation } = splitOperator(operator);
  if (PATH.has(operator)) {
    if (typeof operand !== 'string')
      throw new TypeError(`Choice rule ${operator} on '${variable}' needs a path`);
    const readOperand = compileReader(operand, `Choice rule ${operator} '${operand}'`);
    return (input, context, vars) => {
      const value = read(input, context, vars);
      if (value === undefined) throw missing(variable, 'Variable', operator, input, context, vars);
      const other = readOperand(input, context, vars);
      if (other === undefined) throw missing(operand, operator, operator, input, context, vars);
      return compare(family, relation, value, other);
    };
  }

  if (operator === 'StringMatches') {
    if (typeof operand !== 'string')
      throw new TypeError(`Choice rule StringMatches on '${variable}' needs a string`);
    const matches = compileStringMatchesRule(operand, variable);
    return (input, context, vars) => {
      const value = read(input, context, vars);
      if (value === undefined) throw missing(variable, 'Variable', operator, input, context, vars);
      return typeof value === 'string' && matches(value);
    };
  }

  checkLiteral(operator, family, operand, variable);
  const literal = operand as JsonValue;
  return (input, context, vars) => {
    const value = read(input, context, vars);
    if (value === undefined) throw missing(variable, 'Variable', operator, input, context, vars);
    return compare(family, relation, value, literal);
  };
}

/** true when the text is a reference path (absence then means the field is missing). */
function isReferenceText(path: string): boolean {
  return typeof parseReferencePath(path) !== 'string';
}

/** Rejects a literal operand of the wrong type when the rule is compiled. */
function checkLiteral(operator: string, family: Family, operand: unknown, variable: string): void {
  const ok =
    (family === 'String' && typeof operand === 'string') ||
    (family === 'Numeric' && typeof operand === 'number') ||
    (family === 'Boolean' && typeof operand === 'boolean') ||
    (family === 'Timestamp' && typeof operand === 'string' && parseTimestamp(operand) !== undefined);
  if (!ok) {
    throw new TypeError(
      `Choice rule ${operator} on '${variable}': ${JSON.stringify(operand)} is not a valid ${family.toLowerCase()} operand`,
    );
  }
}

/** The predicate behind each Is* operator. */
function typeTest(operator: string): (value: JsonValue) => boolean {
  switch (operator) {
    case 'IsNull':
      return (v) => v === null;
    case 'IsNumeric':
      return (v) => typeof v === 'number';
    case 'IsString':
      return (v) => typeof v === 'string';
    case 'IsBoolean':
      return (v) => typeof v === 'boolean';
    case 'IsTimestamp':
      return (v) => typeof v === 'string' && parseTimestamp(v) !== undefined;
    default:
      throw new TypeError(`unknown Choice operator '${operator}'`);
  }
}

/**
 * Compiles a Choice rule (a comparison, or And / Or / Not over nested rules) into a predicate over the
 * state input and the context object. Throws a `TypeError` for a malformed rule; the predicate throws
 * `States.Runtime` naming the path when a compared Variable is absent.
 *
 * @example
 * const isBig = compileChoiceRule({ Variable: '$.total', NumericGreaterThan: 100, Next: 'Review' });
 * isBig({ total: 250 }, {}); // true
 * isBig({ total: '250' }, {}); // false: a string is not numeric
 */
export function compileChoiceRule(rule: ChoiceRule): CompiledCondition {
  if (rule.And !== undefined) {
    const parts = rule.And.map(compileChoiceRule);
    return (input, context, vars) => parts.every((p) => p(input, context, vars));
  }
  if (rule.Or !== undefined) {
    const parts = rule.Or.map(compileChoiceRule);
    return (input, context, vars) => parts.some((p) => p(input, context, vars));
  }
  if (rule.Not !== undefined) {
    const inner = compileChoiceRule(rule.Not);
    return (input, context, vars) => !inner(input, context, vars);
  }
  return compileComparison(rule);
}
