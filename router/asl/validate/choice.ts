/**
 * Choice rules: one comparison operator with an operand of its type, or one of And / Or / Not over
 * nested rules; `Next` on top-level rules only. StringMatches patterns are read by the wildcard
 * compiler the interpreter uses, so a pattern accepted here is the one that runs.
 */
import { compileWildcard, WildcardSyntaxError } from '../../patterns/index.ts';
import { isJsonataText } from '../expressions/jsonata/template.ts';
import { pointerJoin } from '../parse.ts';
import {
  CHOICE_LITERAL_OPERATORS,
  CHOICE_PATH_OPERATORS,
  CHOICE_TYPE_OPERATORS,
  type QueryLanguage,
} from '../types.ts';
import { type Checker, isObj, isRfc3339, type Obj } from './Checker.ts';
import { checkPath, checkTemplateField } from './dataflow.ts';
import { checkAssignNames, checkJsonataValue, notSupported } from './jsonata.ts';

const LITERAL_OPERATORS: ReadonlySet<string> = new Set(CHOICE_LITERAL_OPERATORS);
const PATH_OPERATORS: ReadonlySet<string> = new Set(CHOICE_PATH_OPERATORS);
const TYPE_OPERATORS: ReadonlySet<string> = new Set(CHOICE_TYPE_OPERATORS);
const RULE_FIELDS = new Set(['Variable', 'And', 'Or', 'Not', 'Next', 'Comment', 'Assign']);
const COMBINATORS = ['And', 'Or', 'Not'] as const;
const JSONATA_RULE_FIELDS = new Set(['Condition', 'Next', 'Comment', 'Assign', 'Output']);

/** `StringMatches` patterns: `*` is the wildcard, and a backslash may only escape `*` or itself. */
function stringMatchesProblem(pattern: string): string | undefined {
  try {
    compileWildcard(pattern, { consecutiveStars: 'allow' });
    return undefined;
  } catch (error) {
    if (!(error instanceof WildcardSyntaxError)) throw error;
    return `StringMatches pattern '${pattern}': ${error.message}`;
  }
}

/** A JSONata Choice rule: a Condition (a boolean or an expression), Next, and optionally Assign and Output. */
function checkJsonataRule(
  c: Checker,
  rule: Obj,
  path: string,
  state: string,
  targets: ReadonlySet<string>,
): void {
  for (const key of Object.keys(rule)) {
    if (JSONATA_RULE_FIELDS.has(key)) continue;
    if (
      RULE_FIELDS.has(key) ||
      LITERAL_OPERATORS.has(key) ||
      PATH_OPERATORS.has(key) ||
      TYPE_OPERATORS.has(key)
    ) {
      notSupported(c, path, state, key, 'JSONata');
    } else c.report(pointerJoin(path, key), state, `unknown field '${key}' in a Choice rule`);
  }
  c.target(rule, 'Next', path, state, targets, true);
  const condition = rule.Condition;
  if (condition === undefined) c.report(path, state, `a JSONata Choice rule needs 'Condition'`);
  else if (isJsonataText(condition)) checkJsonataValue(c, condition, pointerJoin(path, 'Condition'), state);
  else if (typeof condition !== 'boolean') {
    c.report(pointerJoin(path, 'Condition'), state, `'Condition' must be true, false or a {% %} expression`);
  }
  checkJsonataValue(c, rule.Output, pointerJoin(path, 'Output'), state);
  if (rule.Assign !== undefined) {
    checkAssignNames(c, rule.Assign, pointerJoin(path, 'Assign'), state);
    checkJsonataValue(c, rule.Assign, pointerJoin(path, 'Assign'), state);
  }
}

/**
 * Checks one Choice rule at `path`: `top` for an entry of `Choices` (which needs `Next` naming a state
 * in `targets`), false for a rule nested in And / Or / Not.
 */
export function checkChoiceRule(
  c: Checker,
  rule: unknown,
  path: string,
  state: string,
  top: boolean,
  targets: ReadonlySet<string>,
  lang: QueryLanguage = 'JSONPath',
): void {
  if (!isObj(rule)) {
    c.report(path, state, 'a Choice rule must be an object');
    return;
  }
  if (lang === 'JSONata') {
    checkJsonataRule(c, rule, path, state, targets);
    return;
  }
  if (rule.Condition !== undefined) notSupported(c, path, state, 'Condition', lang);
  if (rule.Output !== undefined) notSupported(c, path, state, 'Output', lang);
  if (rule.Assign !== undefined) {
    if (!top)
      c.report(
        pointerJoin(path, 'Assign'),
        state,
        `a nested Choice rule (inside And/Or/Not) must not have 'Assign'`,
      );
    checkAssignNames(c, rule.Assign, pointerJoin(path, 'Assign'), state);
    checkTemplateField(c, rule, 'Assign', path, state);
  }
  const operators: string[] = [];
  const known: string[] = [];
  for (const key in rule) {
    if (RULE_FIELDS.has(key) || key === 'Condition' || key === 'Output') continue;
    operators.push(key);
    if (LITERAL_OPERATORS.has(key) || PATH_OPERATORS.has(key) || TYPE_OPERATORS.has(key)) known.push(key);
    else {
      c.report(
        pointerJoin(path, key),
        state,
        `unknown field '${key}' in a Choice rule (not a comparison operator)`,
      );
    }
  }
  if (top) c.target(rule, 'Next', path, state, targets, true);
  else if (rule.Next !== undefined) {
    c.report(
      pointerJoin(path, 'Next'),
      state,
      `a nested Choice rule (inside And/Or/Not) must not have 'Next'`,
    );
  }
  if (rule.And !== undefined || rule.Or !== undefined || rule.Not !== undefined) {
    const combinators = COMBINATORS.filter((k) => rule[k] !== undefined);
    if (combinators.length > 1)
      c.report(
        path,
        state,
        `a Choice rule may use only one of And, Or, Not (found ${combinators.join(', ')})`,
      );
    if (rule.Variable !== undefined || operators.length > 0) {
      c.report(path, state, 'a boolean Choice rule (And/Or/Not) must not also have Variable or a comparison');
    }
    for (const key of combinators) {
      const value = rule[key];
      const valuePath = pointerJoin(path, key);
      if (key === 'Not') checkChoiceRule(c, value, valuePath, state, false, targets, lang);
      else if (!Array.isArray(value) || value.length === 0) {
        c.report(valuePath, state, `'${key}' must be a non-empty list of rules`);
      } else
        value.forEach((inner, index) => {
          checkChoiceRule(c, inner, pointerJoin(valuePath, index), state, false, targets);
        });
    }
    return;
  }
  const variable = rule.Variable;
  if (variable === undefined) c.report(path, state, `a Choice rule needs 'Variable' (or And/Or/Not)`);
  else checkPath(c, rule, 'Variable', path, state, 'path', false);
  if (known.length !== 1) {
    c.report(
      path,
      state,
      `a Choice rule needs exactly one comparison operator (found ${known.length === 0 ? 'none' : known.join(', ')})`,
    );
    return;
  }
  const op = known[0] ?? '';
  const operand = rule[op];
  if (PATH_OPERATORS.has(op)) checkPath(c, rule, op, path, state, 'path', false);
  else if (TYPE_OPERATORS.has(op)) {
    if (typeof operand !== 'boolean') wrongOperand(c, path, state, op, 'a boolean');
  } else if (op.startsWith('String')) {
    if (typeof operand !== 'string') wrongOperand(c, path, state, op, 'a string');
    else if (op === 'StringMatches') {
      const problem = stringMatchesProblem(operand);
      if (problem !== undefined) c.report(pointerJoin(path, op), state, problem);
    }
  } else if (op.startsWith('Numeric')) {
    if (typeof operand !== 'number') wrongOperand(c, path, state, op, 'a number');
  } else if (op === 'BooleanEquals') {
    if (typeof operand !== 'boolean') wrongOperand(c, path, state, op, 'a boolean');
  } else if (typeof operand !== 'string' || !isRfc3339(operand))
    wrongOperand(c, path, state, op, 'an RFC 3339 timestamp string (e.g. 2026-01-31T12:00:00Z)');
}

/** Reports an operand of the wrong type for comparison operator `op` of the rule at `path`. */
function wrongOperand(c: Checker, path: string, state: string, op: string, expected: string): void {
  c.report(pointerJoin(path, op), state, `'${op}' takes ${expected}`);
}
