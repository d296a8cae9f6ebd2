/**
 * What the validator knows of the two query languages: which one a state speaks (its `QueryLanguage`,
 * else the root's), the fields each language refuses (with Step Functions' wording, "Field 'X' is not
 * supported when QueryLanguage is Y"), the JSONata expressions (their syntax, checked by the library
 * that runs them, and Step Functions' restrictions), and the variables `Assign` declares (names, and
 * the outer scopes a Parallel branch or Map item processor only reads).
 *
 * Each problem is reported once, at the path of the field that holds it, so it carries that field's line.
 */
import { isJsonataFailure, parseJsonata } from '../expressions/jsonata/engine.ts';
import { isJsonataText, jsonataBody } from '../expressions/jsonata/template.ts';
import { pointerJoin } from '../parse.ts';
import type { QueryLanguage } from '../types.ts';
import { type Checker, isObj, type Obj } from './Checker.ts';

/** The fields a JSONata state refuses (they belong to JSONPath). */
export const JSONPATH_ONLY: ReadonlySet<string> = new Set([
  'InputPath',
  'Parameters',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Result',
  'ItemsPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'SecondsPath',
  'TimestampPath',
  'ErrorPath',
  'CausePath',
  'MaxConcurrencyPath',
  'ToleratedFailureCountPath',
  'ToleratedFailurePercentagePath',
]);

/** The fields a JSONPath state refuses (they belong to JSONata). */
export const JSONATA_ONLY: ReadonlySet<string> = new Set(['Arguments', 'Output', 'Items']);

/** The longest variable name Step Functions accepts. */
const MAX_VARIABLE_NAME = 80;
const VARIABLE_NAME = /^[\p{L}_][\p{L}\p{N}_]*$/u;

/** The language of a state: its own `QueryLanguage`, else the root's, else JSONPath. */
export function languageOf(state: Obj, root: QueryLanguage): QueryLanguage {
  return state.QueryLanguage === 'JSONata' || state.QueryLanguage === 'JSONPath' ? state.QueryLanguage : root;
}

/** Reports a field of the other language, in Step Functions' words. */
export function notSupported(
  c: Checker,
  path: string,
  state: string | undefined,
  key: string,
  lang: QueryLanguage,
): void {
  c.report(pointerJoin(path, key), state, `Field '${key}' is not supported when QueryLanguage is ${lang}`);
}

/** Which of `$states`' optional members an expression may read where it sits. */
export interface ExpressionSite {
  /** `$states.result`: a Task, Parallel or Map state's Output and Assign. */
  readonly result: boolean;
  /** `$states.errorOutput`: a Catcher's Output and Assign. */
  readonly errorOutput: boolean;
}

const NOWHERE: ExpressionSite = { result: false, errorOutput: false };

/** A node of the library's syntax tree, as far as the checks read it. */
interface AstNode {
  readonly type?: string;
  readonly value?: unknown;
  readonly position?: number;
  readonly steps?: readonly AstNode[];
  readonly lhs?: AstNode | readonly (readonly AstNode[])[];
  readonly rhs?: AstNode;
  readonly expressions?: readonly AstNode[];
  readonly arguments?: readonly AstNode[];
  readonly procedure?: AstNode;
  readonly condition?: AstNode;
  readonly then?: AstNode;
  readonly else?: AstNode;
  readonly expression?: AstNode;
  readonly body?: AstNode;
  readonly predicate?: readonly { readonly expr?: AstNode }[];
  readonly stages?: readonly { readonly expr?: AstNode }[];
  readonly pattern?: AstNode;
  readonly update?: AstNode;
  readonly delete?: AstNode;
}

/** Every node below `node` (depth first), for the checks that apply anywhere. */
function* walk(node: unknown): Generator<AstNode> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) yield* walk(item);
    return;
  }
  yield node as AstNode;
  for (const value of Object.values(node)) if (typeof value === 'object') yield* walk(value);
}

/**
 * A top-level reference to the input (`$`, `$$` or an unqualified field name) in the positions where it
 * would read the expression's input, which Step Functions does not give (data comes through `$states`).
 * Nested positions (inside a path after its first step, a predicate, a function body) are fine.
 */
function topLevelInput(node: AstNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  switch (node.type) {
    case 'variable':
      return node.value === '' ? '$' : node.value === '$' ? '$$' : undefined;
    case 'name':
      return typeof node.value === 'string' ? node.value : undefined;
    case 'path':
      return topLevelInput(node.steps?.[0]);
    case 'binary':
      return topLevelInput(node.lhs as AstNode | undefined) ?? topLevelInput(node.rhs);
    case 'condition':
      return topLevelInput(node.condition) ?? topLevelInput(node.then) ?? topLevelInput(node.else);
    case 'block':
      for (const e of node.expressions ?? []) {
        const found = topLevelInput(e);
        if (found !== undefined) return found;
      }
      return undefined;
    case 'bind':
      return topLevelInput(node.rhs);
    case 'function':
      for (const a of node.arguments ?? []) {
        const found = topLevelInput(a);
        if (found !== undefined) return found;
      }
      return undefined;
    case 'unary':
      if (node.value === '-') return topLevelInput(node.expression);
      if (node.value === '[') {
        for (const e of node.expressions ?? []) {
          const found = topLevelInput(e);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The problem with one expression (syntax or a Step Functions restriction), or undefined. */
export function jsonataProblem(text: string, site: ExpressionSite = NOWHERE): string | undefined {
  const body = jsonataBody(text);
  if (body === '') return 'the JSONata expression is empty';
  const parsed = parseJsonata(body);
  if (isJsonataFailure(parsed)) {
    const at = parsed.position === undefined ? '' : ` at character ${parsed.position}`;
    return `JSONata syntax error${at} in '${body}': ${parsed.code}: ${parsed.message}`;
  }
  const input = topLevelInput(parsed.ast as AstNode);
  if (input !== undefined) {
    return `the JSONata expression '${body}' reads '${input}' at its top level; a state's data is $states.input (and variables)`;
  }
  for (const node of walk(parsed.ast)) {
    if (node.type === 'function' && node.procedure?.type === 'variable' && node.procedure.value === 'eval') {
      return `the JSONata expression '${body}' calls $eval, which Step Functions does not provide; use $parse`;
    }
    if (node.type === 'path' && node.steps?.[0]?.type === 'variable' && node.steps[0].value === 'states') {
      const member = node.steps[1];
      const name = member?.type === 'name' ? member.value : undefined;
      if (name === 'result' && !site.result) {
        return `$states.result is only available in the Output and Assign of a Task, Parallel or Map state ('${body}')`;
      }
      if (name === 'errorOutput' && !site.errorOutput) {
        return `$states.errorOutput is only available in a Catcher's Output and Assign ('${body}')`;
      }
    }
  }
  return undefined;
}

/** Checks every `{% %}` string in a JSONata field's value, each at its own path. */
export function checkJsonataValue(
  c: Checker,
  value: unknown,
  path: string,
  state: string | undefined,
  site: ExpressionSite = NOWHERE,
): void {
  if (isJsonataText(value)) {
    const problem = jsonataProblem(value, site);
    if (problem !== undefined) c.report(path, state, problem);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkJsonataValue(c, item, pointerJoin(path, index), state, site);
    });
  } else if (isObj(value)) {
    for (const [key, item] of Object.entries(value))
      checkJsonataValue(c, item, pointerJoin(path, key), state, site);
  }
}

/**
 * A numeric field of a JSONata state: a number (checked by `literal`) or an expression; reports a value
 * that is neither.
 */
export function checkNumberOrExpression(
  c: Checker,
  obj: Obj,
  key: string,
  path: string,
  state: string,
  literal: () => void,
): void {
  const value = obj[key];
  if (value === undefined) return;
  if (isJsonataText(value)) checkJsonataValue(c, value, pointerJoin(path, key), state);
  else literal();
}

/** The variable names of an Assign (without the `.$` of a JSONPath key). */
function assignedNames(assign: unknown): string[] {
  if (!isObj(assign)) return [];
  return Object.keys(assign).map((key) => (key.endsWith('.$') ? key.slice(0, -2) : key));
}

/** An Assign field: an object whose keys are valid variable names. */
export function checkAssignNames(c: Checker, assign: unknown, path: string, state: string | undefined): void {
  if (!isObj(assign)) {
    c.report(path, state, `'Assign' must be an object of variable names and values`);
    return;
  }
  for (const key of Object.keys(assign)) {
    const name = key.endsWith('.$') ? key.slice(0, -2) : key;
    const at = pointerJoin(path, key);
    if (name === 'states')
      c.report(at, state, `'states' is reserved ($states); choose another variable name`);
    else if (!VARIABLE_NAME.test(name)) {
      c.report(at, state, `'${name}' is not a variable name (a letter or '_', then letters, digits or '_')`);
    } else if ([...name].length > MAX_VARIABLE_NAME) {
      c.report(at, state, `variable name '${name}' is longer than ${MAX_VARIABLE_NAME} characters`);
    }
  }
}

/** Every Assign of a machine's own states (rules and catchers included), with its path. */
function ownAssigns(machine: Obj, path: string): { name: string; path: string; state: string }[] {
  const found: { name: string; path: string; state: string }[] = [];
  const states = machine.States;
  if (!isObj(states)) return found;
  for (const [stateName, state] of Object.entries(states)) {
    if (!isObj(state)) continue;
    const statePath = pointerJoin(pointerJoin(path, 'States'), stateName);
    const add = (assign: unknown, at: string): void => {
      for (const name of assignedNames(assign))
        found.push({ name, path: pointerJoin(at, name), state: stateName });
    };
    add(state.Assign, pointerJoin(statePath, 'Assign'));
    for (const list of ['Choices', 'Catch'] as const) {
      const rules = state[list];
      if (Array.isArray(rules)) {
        rules.forEach((rule, k) => {
          if (isObj(rule))
            add(rule.Assign, pointerJoin(pointerJoin(pointerJoin(statePath, list), k), 'Assign'));
        });
      }
    }
  }
  return found;
}

/** True for a Parallel or Map state, whose branches or items have a scope of their own. */
function hasNestedMachine(state: unknown): boolean {
  return (
    isObj(state) &&
    (Array.isArray(state.Branches) || state.ItemProcessor !== undefined || state.Iterator !== undefined)
  );
}

/**
 * Variable scopes: a Parallel branch or a Map item processor reads the variables of the scopes around it
 * but may not assign one of their names (outer variables are read-only there). Walks the graph once
 * after the other checks.
 */
export function checkVariableScopes(
  c: Checker,
  machine: unknown,
  path = '',
  outer: ReadonlySet<string> = new Set(),
): void {
  if (!isObj(machine) || !isObj(machine.States)) return;
  // Only a Parallel branch or Map iteration has an outer scope: a machine without them, at the top, has
  // nothing to check.
  if (outer.size === 0 && !Object.values(machine.States).some(hasNestedMachine)) return;
  const own = ownAssigns(machine, path);
  for (const a of own) {
    if (outer.has(a.name)) {
      c.report(
        a.path,
        a.state,
        `variable '${a.name}' belongs to an outer scope, which a Parallel branch or Map iteration can read but not assign; assign it from the Parallel or Map state's Assign instead`,
      );
    }
  }
  const visible = new Set([...outer, ...own.map((a) => a.name)]);
  for (const [stateName, state] of Object.entries(machine.States)) {
    if (!isObj(state)) continue;
    const statePath = pointerJoin(pointerJoin(path, 'States'), stateName);
    if (Array.isArray(state.Branches)) {
      state.Branches.forEach((branch, k) => {
        checkVariableScopes(c, branch, pointerJoin(pointerJoin(statePath, 'Branches'), k), visible);
      });
    }
    for (const key of ['ItemProcessor', 'Iterator']) {
      if (state[key] !== undefined) checkVariableScopes(c, state[key], pointerJoin(statePath, key), visible);
    }
  }
}
