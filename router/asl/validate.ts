/**
 * The graph validator: everything that can be known about an engine graph before it runs, reported all at
 * once with the path, state and line of each problem, so an engine author fixes a graph in one round and
 * the interpreter can trust the shapes in `types.ts` without checking them again at run time.
 *
 * Field tables follow the Amazon States Language specification (JSONPath dialect), plus the runtime's own
 * top-level fields (`Engine`, `Mode`, `Match`, `IdPath`). Each grammar lives in one place: paths and
 * intrinsic calls are checked by the expression layer's validators, `Match` by the router's own
 * event-pattern compiler, so what passes here is what runs there.
 */

import { compilePattern, PatternError } from '../patterns/index.ts';
import {
  isFunctionAllowed,
  isResourceAllowed,
  LAMBDA_INVOKE_RESOURCES,
  type ResourceAllowlist,
} from './allowlist.ts';
import { validateIntrinsic } from './expressions/intrinsics.ts';
import { validatePath } from './expressions/paths.ts';
import { FORBIDDEN_KEYS, pointerJoin } from './parse.ts';
import {
  CHOICE_LITERAL_OPERATORS,
  CHOICE_PATH_OPERATORS,
  CHOICE_TYPE_OPERATORS,
  type GraphProblem,
  type JsonValue,
  type StateType,
} from './types.ts';

/** Where to report problems and which resources Task states may name. */
export interface ValidateOptions {
  /** Without one, Task resources are checked for form only. */
  readonly allowlist?: ResourceAllowlist;
  readonly file?: string;
  readonly positionOf?: (path: string) => { line: number; column: number } | undefined;
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Longest state name Step Functions accepts. */
const MAX_STATE_NAME = 80;
const PLACEHOLDER = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;
const WHOLE_PLACEHOLDER = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]*:\d*:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9$_-]+)?$/;
const SDK_ARN = /^arn:aws[a-z-]*:states:::aws-sdk:[a-z0-9]+:[A-Za-z0-9]+(?:\.waitForTaskToken)?$/;

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const IO = ['InputPath', 'OutputPath'];
const FLOW = ['Next', 'End'];
const ERRORS = ['Retry', 'Catch'];
const FIELDS: Record<StateType, ReadonlySet<string>> = {
  Pass: new Set([...COMMON, ...IO, ...FLOW, 'ResultPath', 'Parameters', 'Result']),
  Task: new Set([
    ...COMMON,
    ...IO,
    ...FLOW,
    ...ERRORS,
    'ResultPath',
    'Parameters',
    'ResultSelector',
    'Resource',
    'TimeoutSeconds',
    'TimeoutSecondsPath',
    'HeartbeatSeconds',
    'HeartbeatSecondsPath',
    'Credentials',
  ]),
  Choice: new Set([...COMMON, ...IO, 'Choices', 'Default']),
  Wait: new Set([...COMMON, ...IO, ...FLOW, 'Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath']),
  Succeed: new Set([...COMMON, ...IO]),
  Fail: new Set([...COMMON, 'Error', 'ErrorPath', 'Cause', 'CausePath']),
  Parallel: new Set([
    ...COMMON,
    ...IO,
    ...FLOW,
    ...ERRORS,
    'ResultPath',
    'Parameters',
    'ResultSelector',
    'Branches',
  ]),
  Map: new Set([
    ...COMMON,
    ...IO,
    ...FLOW,
    ...ERRORS,
    'ResultPath',
    'Parameters',
    'ItemSelector',
    'ResultSelector',
    'ItemProcessor',
    'Iterator',
    'ItemsPath',
    'MaxConcurrency',
    'MaxConcurrencyPath',
    'ToleratedFailureCount',
    'ToleratedFailureCountPath',
    'ToleratedFailurePercentage',
    'ToleratedFailurePercentagePath',
  ]),
};
const STATE_TYPES = Object.keys(FIELDS);
const DISTRIBUTED_MAP_FIELDS = new Set(['ItemReader', 'ResultWriter', 'ItemBatcher', 'Label']);

const MACHINE_FIELDS = {
  root: new Set([
    'Comment',
    'StartAt',
    'States',
    'TimeoutSeconds',
    'Version',
    'QueryLanguage',
    'Engine',
    'Mode',
    'Match',
    'IdPath',
  ]),
  branch: new Set(['Comment', 'StartAt', 'States', 'QueryLanguage']),
  processor: new Set(['Comment', 'StartAt', 'States', 'QueryLanguage', 'ProcessorConfig']),
} as const;
type Scope = keyof typeof MACHINE_FIELDS;

const LITERAL_OPERATORS: ReadonlySet<string> = new Set(CHOICE_LITERAL_OPERATORS);
const PATH_OPERATORS: ReadonlySet<string> = new Set(CHOICE_PATH_OPERATORS);
const TYPE_OPERATORS: ReadonlySet<string> = new Set(CHOICE_TYPE_OPERATORS);
const RULE_FIELDS = new Set(['Variable', 'And', 'Or', 'Not', 'Next', 'Comment']);

/** Checks a Step Functions-style RFC 3339 timestamp (upper-case T and Z, a real date). */
export function isRfc3339(text: string): boolean {
  return RFC3339.test(text) && !Number.isNaN(Date.parse(text));
}

/** `StringMatches` patterns: `*` is the wildcard, and a backslash may only escape `*` or itself. */
function stringMatchesProblem(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        return `StringMatches pattern '${pattern}': a backslash may only escape '*' or '\\' (offset ${i})`;
      }
      i++;
    }
  }
  return undefined;
}

class Checker {
  readonly problems: GraphProblem[] = [];
  /** Every state name in the whole graph: Step Functions wants them unique across branches too. */
  private readonly names = new Map<string, string>();

  constructor(private readonly options: ValidateOptions) {}

  report(path: string, state: string | undefined, message: string): void {
    let position: { line: number; column: number } | undefined;
    if (this.options.positionOf !== undefined) {
      for (let p = path; position === undefined; p = p.slice(0, p.lastIndexOf('/'))) {
        position = this.options.positionOf(p);
        if (p === '') break;
      }
    }
    this.problems.push({
      path,
      message,
      ...(this.options.file === undefined ? {} : { file: this.options.file }),
      ...(state === undefined ? {} : { state }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    });
  }

  private unknownFields(
    obj: Obj,
    allowed: ReadonlySet<string>,
    path: string,
    state: string | undefined,
    what: string,
  ): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.has(key)) this.report(pointerJoin(path, key), state, `unknown field '${key}' in ${what}`);
    }
  }

  private string(
    obj: Obj,
    key: string,
    path: string,
    state: string | undefined,
    required: boolean,
  ): string | undefined {
    const value = obj[key];
    if (value === undefined) {
      if (required) this.report(pointerJoin(path, key), state, `missing required field '${key}'`);
      return undefined;
    }
    if (typeof value !== 'string' || value === '') {
      this.report(pointerJoin(path, key), state, `'${key}' must be a non-empty string`);
      return undefined;
    }
    return value;
  }

  private integer(
    obj: Obj,
    key: string,
    path: string,
    state: string | undefined,
    min: number,
    what = `>= ${min}`,
  ): number | undefined {
    const value = obj[key];
    // An unsubstituted whole-string placeholder gets its type from the stage's variables file.
    if (value === undefined || (typeof value === 'string' && WHOLE_PLACEHOLDER.test(value))) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      this.report(pointerJoin(path, key), state, `'${key}' must be an integer ${what}`);
      return undefined;
    }
    return value;
  }

  private path(
    obj: Obj,
    key: string,
    path: string,
    state: string | undefined,
    kind: 'reference' | 'path',
    nullable: boolean,
  ): void {
    const value = obj[key];
    if (value === undefined || (value === null && nullable)) return;
    if (typeof value !== 'string') {
      this.report(
        pointerJoin(path, key),
        state,
        `'${key}' must be a ${kind === 'reference' ? 'reference path' : 'path'} string${nullable ? ' or null' : ''}`,
      );
      return;
    }
    const problem = validatePath(value, kind);
    if (problem !== undefined) this.report(pointerJoin(path, key), state, `'${key}': ${problem}`);
  }

  private exclusive(
    obj: Obj,
    keys: readonly string[],
    path: string,
    state: string | undefined,
    required: boolean,
  ): void {
    const present = keys.filter((k) => obj[k] !== undefined);
    if (present.length > 1) {
      this.report(
        pointerJoin(path, present[1] ?? ''),
        state,
        `only one of ${keys.map((k) => `'${k}'`).join(', ')} may be set (found ${present.join(', ')})`,
      );
    } else if (present.length === 0 && required) {
      this.report(path, state, `exactly one of ${keys.map((k) => `'${k}'`).join(', ')} is required`);
    }
  }

  /** Parameters / ResultSelector / ItemSelector: `.$` keys hold paths or intrinsic calls. */
  private template(value: unknown, path: string, state: string | undefined, field: string): void {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        this.template(item, pointerJoin(path, index), state, field);
      });
      return;
    }
    if (!isObj(value)) return;
    for (const [key, item] of Object.entries(value)) {
      const itemPath = pointerJoin(path, key);
      if (!key.endsWith('.$')) {
        this.template(item, itemPath, state, field);
        continue;
      }
      const plain = key.slice(0, -2);
      if (plain === '') this.report(itemPath, state, `${field}: a '.$' key needs a field name before '.$'`);
      if (Object.hasOwn(value, plain)) {
        this.report(itemPath, state, `${field}: both '${plain}' and '${key}' are set; keep one`);
      }
      if (typeof item !== 'string') {
        this.report(
          itemPath,
          state,
          `${field}: '${key}' must be a path or an intrinsic function call (a string)`,
        );
        continue;
      }
      if (PLACEHOLDER.test(item)) continue;
      const problem = item.startsWith('States.') ? validateIntrinsic(item) : validatePath(item, 'path');
      if (problem !== undefined) this.report(itemPath, state, `${field}: '${key}': ${problem}`);
    }
  }

  private templateField(obj: Obj, key: string, path: string, state: string): void {
    if (obj[key] === undefined) return;
    if (key !== 'Parameters' && !isObj(obj[key])) {
      this.report(pointerJoin(path, key), state, `'${key}' must be an object`);
      return;
    }
    this.template(obj[key], pointerJoin(path, key), state, key);
  }

  /** Retry and Catch lists: shapes, ranges, and `States.ALL` alone and last. */
  private errorRules(
    obj: Obj,
    key: 'Retry' | 'Catch',
    path: string,
    state: string,
    targets: ReadonlySet<string>,
  ): void {
    const rules = obj[key];
    if (rules === undefined) return;
    const listPath = pointerJoin(path, key);
    if (!Array.isArray(rules)) {
      this.report(listPath, state, `'${key}' must be a list of rules`);
      return;
    }
    const allowed =
      key === 'Retry'
        ? new Set([
            'ErrorEquals',
            'IntervalSeconds',
            'MaxAttempts',
            'BackoffRate',
            'MaxDelaySeconds',
            'JitterStrategy',
            'Comment',
          ])
        : new Set(['ErrorEquals', 'Next', 'ResultPath', 'Comment']);
    rules.forEach((rule: unknown, index) => {
      const rulePath = pointerJoin(listPath, index);
      if (!isObj(rule)) {
        this.report(rulePath, state, `${key} rule must be an object`);
        return;
      }
      this.unknownFields(rule, allowed, rulePath, state, `a ${key} rule`);
      const errors = rule.ErrorEquals;
      const errorsPath = pointerJoin(rulePath, 'ErrorEquals');
      if (
        !Array.isArray(errors) ||
        errors.length === 0 ||
        errors.some((e) => typeof e !== 'string' || e === '')
      ) {
        this.report(errorsPath, state, `${key} rule needs 'ErrorEquals', a non-empty list of error names`);
      } else if (errors.includes('States.ALL')) {
        if (errors.length > 1)
          this.report(errorsPath, state, `'States.ALL' must appear alone in ErrorEquals`);
        if (index !== rules.length - 1)
          this.report(errorsPath, state, `the ${key} rule with 'States.ALL' must be the last one`);
      }
      if (key === 'Retry') {
        this.integer(rule, 'IntervalSeconds', rulePath, state, 1);
        this.integer(rule, 'MaxAttempts', rulePath, state, 0);
        this.integer(rule, 'MaxDelaySeconds', rulePath, state, 1, '> 0');
        const rate = rule.BackoffRate;
        if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 1))) {
          this.report(pointerJoin(rulePath, 'BackoffRate'), state, `'BackoffRate' must be a number >= 1`);
        }
        const jitter = rule.JitterStrategy;
        if (jitter !== undefined && jitter !== 'FULL' && jitter !== 'NONE') {
          this.report(
            pointerJoin(rulePath, 'JitterStrategy'),
            state,
            `'JitterStrategy' must be 'FULL' or 'NONE'`,
          );
        }
      } else {
        this.target(rule, 'Next', rulePath, state, targets, true);
        this.path(rule, 'ResultPath', rulePath, state, 'reference', true);
      }
    });
  }

  private target(
    obj: Obj,
    key: string,
    path: string,
    state: string | undefined,
    targets: ReadonlySet<string>,
    required: boolean,
  ): void {
    const name = this.string(obj, key, path, state, required);
    if (name !== undefined && !targets.has(name)) {
      this.report(
        pointerJoin(path, key),
        state,
        `'${key}' names state '${name}', which does not exist in this scope`,
      );
    }
  }

  private allowed(resource: string): boolean {
    return this.options.allowlist === undefined || isResourceAllowed(resource, this.options.allowlist);
  }

  private task(obj: Obj, path: string, state: string): void {
    const resource = this.string(obj, 'Resource', path, state, true);
    const resourcePath = pointerJoin(path, 'Resource');
    if (resource !== undefined && !PLACEHOLDER.test(resource)) {
      if (LAMBDA_INVOKE_RESOURCES.has(resource)) {
        const params = obj.Parameters;
        const paramsPath = pointerJoin(path, 'Parameters');
        if (!isObj(params) || (params.FunctionName === undefined && params['FunctionName.$'] === undefined)) {
          this.report(paramsPath, state, `'${resource}' needs Parameters.FunctionName`);
        } else if (typeof params.FunctionName === 'string' && !PLACEHOLDER.test(params.FunctionName)) {
          const fn = params.FunctionName;
          if (this.options.allowlist !== undefined && !isFunctionAllowed(fn, this.options.allowlist)) {
            this.report(
              pointerJoin(paramsPath, 'FunctionName'),
              state,
              `function '${fn}' is not in the resource allowlist`,
            );
          }
        }
      } else if (!LAMBDA_ARN.test(resource) && !SDK_ARN.test(resource)) {
        this.report(
          resourcePath,
          state,
          `unsupported resource '${resource}' (expected a Lambda function ARN, arn:aws:states:::lambda:invoke[.waitForTaskToken] or arn:aws:states:::aws-sdk:SERVICE:ACTION)`,
        );
      }
      if (!this.allowed(resource))
        this.report(resourcePath, state, `resource '${resource}' is not in the resource allowlist`);
    }
    this.exclusive(obj, ['TimeoutSeconds', 'TimeoutSecondsPath'], path, state, false);
    this.exclusive(obj, ['HeartbeatSeconds', 'HeartbeatSecondsPath'], path, state, false);
    const timeout = this.integer(obj, 'TimeoutSeconds', path, state, 1, '> 0');
    const heartbeat = this.integer(obj, 'HeartbeatSeconds', path, state, 1, '> 0');
    if (timeout !== undefined && heartbeat !== undefined && heartbeat >= timeout) {
      this.report(
        pointerJoin(path, 'HeartbeatSeconds'),
        state,
        `'HeartbeatSeconds' (${heartbeat}) must be less than 'TimeoutSeconds' (${timeout})`,
      );
    }
    this.path(obj, 'TimeoutSecondsPath', path, state, 'reference', false);
    this.path(obj, 'HeartbeatSecondsPath', path, state, 'reference', false);
    if (obj.Credentials !== undefined && !isObj(obj.Credentials)) {
      this.report(pointerJoin(path, 'Credentials'), state, `'Credentials' must be an object`);
    }
  }

  private rule(rule: unknown, path: string, state: string, top: boolean, targets: ReadonlySet<string>): void {
    if (!isObj(rule)) {
      this.report(path, state, 'a Choice rule must be an object');
      return;
    }
    const operators = Object.keys(rule).filter((k) => !RULE_FIELDS.has(k));
    for (const key of operators) {
      if (!LITERAL_OPERATORS.has(key) && !PATH_OPERATORS.has(key) && !TYPE_OPERATORS.has(key)) {
        this.report(
          pointerJoin(path, key),
          state,
          `unknown field '${key}' in a Choice rule (not a comparison operator)`,
        );
      }
    }
    if (top) this.target(rule, 'Next', path, state, targets, true);
    else if (rule.Next !== undefined) {
      this.report(
        pointerJoin(path, 'Next'),
        state,
        `a nested Choice rule (inside And/Or/Not) must not have 'Next'`,
      );
    }
    const combinators = (['And', 'Or', 'Not'] as const).filter((k) => rule[k] !== undefined);
    if (combinators.length > 0) {
      if (combinators.length > 1)
        this.report(
          path,
          state,
          `a Choice rule may use only one of And, Or, Not (found ${combinators.join(', ')})`,
        );
      if (rule.Variable !== undefined || operators.length > 0) {
        this.report(
          path,
          state,
          'a boolean Choice rule (And/Or/Not) must not also have Variable or a comparison',
        );
      }
      for (const key of combinators) {
        const value = rule[key];
        const valuePath = pointerJoin(path, key);
        if (key === 'Not') this.rule(value, valuePath, state, false, targets);
        else if (!Array.isArray(value) || value.length === 0) {
          this.report(valuePath, state, `'${key}' must be a non-empty list of rules`);
        } else
          value.forEach((inner, index) => {
            this.rule(inner, pointerJoin(valuePath, index), state, false, targets);
          });
      }
      return;
    }
    const variable = rule.Variable;
    if (variable === undefined) this.report(path, state, `a Choice rule needs 'Variable' (or And/Or/Not)`);
    else this.path(rule, 'Variable', path, state, 'path', false);
    const known = operators.filter(
      (k) => LITERAL_OPERATORS.has(k) || PATH_OPERATORS.has(k) || TYPE_OPERATORS.has(k),
    );
    if (known.length !== 1) {
      this.report(
        path,
        state,
        `a Choice rule needs exactly one comparison operator (found ${known.length === 0 ? 'none' : known.join(', ')})`,
      );
      return;
    }
    const op = known[0] ?? '';
    const operand = rule[op];
    const opPath = pointerJoin(path, op);
    const wrong = (expected: string): void => this.report(opPath, state, `'${op}' takes ${expected}`);
    if (PATH_OPERATORS.has(op)) this.path(rule, op, path, state, 'path', false);
    else if (TYPE_OPERATORS.has(op)) {
      if (typeof operand !== 'boolean') wrong('a boolean');
    } else if (op.startsWith('String')) {
      if (typeof operand !== 'string') wrong('a string');
      else if (op === 'StringMatches') {
        const problem = stringMatchesProblem(operand);
        if (problem !== undefined) this.report(opPath, state, problem);
      }
    } else if (op.startsWith('Numeric')) {
      if (typeof operand !== 'number') wrong('a number');
    } else if (op === 'BooleanEquals') {
      if (typeof operand !== 'boolean') wrong('a boolean');
    } else if (typeof operand !== 'string' || !isRfc3339(operand))
      wrong('an RFC 3339 timestamp string (e.g. 2026-01-31T12:00:00Z)');
  }

  private map(obj: Obj, path: string, state: string): void {
    for (const key of Object.keys(obj)) {
      if (DISTRIBUTED_MAP_FIELDS.has(key)) {
        this.report(
          pointerJoin(path, key),
          state,
          `'${key}' belongs to a distributed Map, which this runtime does not run (inline Map only)`,
        );
      }
    }
    this.exclusive(obj, ['ItemProcessor', 'Iterator'], path, state, true);
    this.exclusive(obj, ['ItemSelector', 'Parameters'], path, state, false);
    this.exclusive(obj, ['MaxConcurrency', 'MaxConcurrencyPath'], path, state, false);
    this.exclusive(obj, ['ToleratedFailureCount', 'ToleratedFailureCountPath'], path, state, false);
    this.exclusive(obj, ['ToleratedFailurePercentage', 'ToleratedFailurePercentagePath'], path, state, false);
    this.integer(obj, 'MaxConcurrency', path, state, 0);
    this.integer(obj, 'ToleratedFailureCount', path, state, 0);
    const pct = obj.ToleratedFailurePercentage;
    if (pct !== undefined && (typeof pct !== 'number' || pct < 0 || pct > 100)) {
      this.report(
        pointerJoin(path, 'ToleratedFailurePercentage'),
        state,
        `'ToleratedFailurePercentage' must be a number from 0 to 100`,
      );
    }
    for (const key of [
      'ItemsPath',
      'MaxConcurrencyPath',
      'ToleratedFailureCountPath',
      'ToleratedFailurePercentagePath',
    ]) {
      this.path(obj, key, path, state, 'reference', false);
    }
    this.templateField(obj, 'ItemSelector', path, state);
    for (const key of ['ItemProcessor', 'Iterator']) {
      if (obj[key] !== undefined) this.machine(obj[key], pointerJoin(path, key), 'processor');
    }
  }

  private state(obj: unknown, path: string, name: string, targets: ReadonlySet<string>): void {
    if (!isObj(obj)) {
      this.report(path, name, `state '${name}' must be an object`);
      return;
    }
    const type = obj.Type;
    if (typeof type !== 'string' || !STATE_TYPES.includes(type)) {
      this.report(
        pointerJoin(path, 'Type'),
        name,
        type === undefined
          ? `missing required field 'Type'`
          : `'Type' must be one of ${STATE_TYPES.join(', ')}`,
      );
      return;
    }
    const stateType = type as StateType;
    const fields = FIELDS[stateType];
    this.unknownFields(
      obj,
      stateType === 'Map' ? new Set([...fields, ...DISTRIBUTED_MAP_FIELDS]) : fields,
      path,
      name,
      `a ${type} state`,
    );
    if (obj.Comment !== undefined && typeof obj.Comment !== 'string') {
      this.report(pointerJoin(path, 'Comment'), name, `'Comment' must be a string`);
    }
    if (obj.QueryLanguage !== undefined && obj.QueryLanguage !== 'JSONPath') {
      this.report(
        pointerJoin(path, 'QueryLanguage'),
        name,
        `only the 'JSONPath' query language is supported`,
      );
    }
    if (fields.has('Next')) {
      const hasNext = obj.Next !== undefined;
      const end = obj.End;
      if (end !== undefined && typeof end !== 'boolean')
        this.report(pointerJoin(path, 'End'), name, `'End' must be true`);
      if (hasNext && end === true)
        this.report(path, name, `a state has either 'Next' or 'End: true', not both`);
      else if (!hasNext && end !== true)
        this.report(path, name, `a ${type} state needs 'Next' or 'End: true'`);
      if (hasNext) this.target(obj, 'Next', path, name, targets, true);
    }
    if (fields.has('InputPath')) {
      this.path(obj, 'InputPath', path, name, 'path', true);
      this.path(obj, 'OutputPath', path, name, 'path', true);
    }
    if (fields.has('ResultPath')) this.path(obj, 'ResultPath', path, name, 'reference', true);
    if (fields.has('Parameters')) this.templateField(obj, 'Parameters', path, name);
    if (fields.has('ResultSelector')) this.templateField(obj, 'ResultSelector', path, name);
    if (fields.has('Retry')) {
      this.errorRules(obj, 'Retry', path, name, targets);
      this.errorRules(obj, 'Catch', path, name, targets);
    }
    switch (stateType) {
      case 'Task':
        this.task(obj, path, name);
        break;
      case 'Choice': {
        const choices = obj.Choices;
        if (!Array.isArray(choices) || choices.length === 0) {
          this.report(pointerJoin(path, 'Choices'), name, `'Choices' must be a non-empty list of rules`);
        } else {
          choices.forEach((rule, index) => {
            this.rule(rule, pointerJoin(pointerJoin(path, 'Choices'), index), name, true, targets);
          });
        }
        this.target(obj, 'Default', path, name, targets, false);
        break;
      }
      case 'Wait': {
        this.exclusive(obj, ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'], path, name, true);
        this.integer(obj, 'Seconds', path, name, 0);
        const ts = obj.Timestamp;
        if (ts !== undefined && (typeof ts !== 'string' || !isRfc3339(ts))) {
          this.report(
            pointerJoin(path, 'Timestamp'),
            name,
            `'Timestamp' must be an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z)`,
          );
        }
        this.path(obj, 'SecondsPath', path, name, 'reference', false);
        this.path(obj, 'TimestampPath', path, name, 'reference', false);
        break;
      }
      case 'Fail':
        this.exclusive(obj, ['Error', 'ErrorPath'], path, name, false);
        this.exclusive(obj, ['Cause', 'CausePath'], path, name, false);
        for (const key of ['Error', 'Cause']) {
          if (obj[key] !== undefined && typeof obj[key] !== 'string')
            this.report(pointerJoin(path, key), name, `'${key}' must be a string`);
        }
        for (const key of ['ErrorPath', 'CausePath']) {
          const value = obj[key];
          if (typeof value === 'string' && value.startsWith('States.')) {
            const problem = validateIntrinsic(value);
            if (problem !== undefined) this.report(pointerJoin(path, key), name, `'${key}': ${problem}`);
          } else this.path(obj, key, path, name, 'reference', false);
        }
        break;
      case 'Parallel': {
        const branches = obj.Branches;
        if (!Array.isArray(branches) || branches.length === 0) {
          this.report(
            pointerJoin(path, 'Branches'),
            name,
            `'Branches' must be a non-empty list of state machines`,
          );
        } else
          branches.forEach((branch, index) => {
            this.machine(branch, pointerJoin(pointerJoin(path, 'Branches'), index), 'branch');
          });
        break;
      }
      case 'Map':
        this.map(obj, path, name);
        break;
      default:
        break;
    }
  }

  /** One scope: StartAt, States, transitions inside it, reachability and a terminal state. */
  machine(value: unknown, path: string, scope: Scope): void {
    if (!isObj(value)) {
      this.report(
        path,
        undefined,
        scope === 'root' ? 'a graph must be an object' : 'must be a state machine object (StartAt, States)',
      );
      return;
    }
    this.unknownFields(
      value,
      MACHINE_FIELDS[scope],
      path,
      undefined,
      scope === 'root' ? 'the graph' : `a ${scope === 'branch' ? 'Parallel branch' : 'Map item processor'}`,
    );
    const statesPath = pointerJoin(path, 'States');
    const states = value.States;
    if (!isObj(states) || Object.keys(states).length === 0) {
      this.report(
        statesPath,
        undefined,
        value.States === undefined
          ? `missing required field 'States'`
          : `'States' must be a non-empty object`,
      );
      this.string(value, 'StartAt', path, undefined, true);
      return;
    }
    const targets: ReadonlySet<string> = new Set(Object.keys(states));
    this.target(value, 'StartAt', path, undefined, targets, true);
    if (value.QueryLanguage !== undefined && value.QueryLanguage !== 'JSONPath') {
      this.report(
        pointerJoin(path, 'QueryLanguage'),
        undefined,
        `only the 'JSONPath' query language is supported`,
      );
    }
    if (value.Comment !== undefined && typeof value.Comment !== 'string') {
      this.report(pointerJoin(path, 'Comment'), undefined, `'Comment' must be a string`);
    }
    if (scope === 'processor' && value.ProcessorConfig !== undefined) {
      const config = value.ProcessorConfig;
      const configPath = pointerJoin(path, 'ProcessorConfig');
      if (!isObj(config)) this.report(configPath, undefined, `'ProcessorConfig' must be an object`);
      else {
        this.unknownFields(
          config,
          new Set(['Mode', 'ExecutionType']),
          configPath,
          undefined,
          'ProcessorConfig',
        );
        if (config.Mode !== undefined && config.Mode !== 'INLINE') {
          this.report(
            pointerJoin(configPath, 'Mode'),
            undefined,
            `ProcessorConfig.Mode must be 'INLINE' (distributed Map is not supported)`,
          );
        }
      }
    }
    for (const [name, state] of Object.entries(states)) {
      const statePath = pointerJoin(statesPath, name);
      if (FORBIDDEN_KEYS.has(name)) this.report(statePath, name, `'${name}' cannot be a state name`);
      if ([...name].length > MAX_STATE_NAME)
        this.report(statePath, name, `state name is longer than ${MAX_STATE_NAME} characters`);
      const previous = this.names.get(name);
      if (previous !== undefined) {
        this.report(
          statePath,
          name,
          `state name '${name}' is already used at ${previous}; names must be unique in the whole graph`,
        );
      } else this.names.set(name, statePath);
      this.state(state, statePath, name, targets);
    }
    this.reachability(value.StartAt, states, statesPath);
  }

  private reachability(start: unknown, states: Obj, statesPath: string): void {
    if (typeof start !== 'string' || !Object.hasOwn(states, start)) return;
    const seen = new Set<string>([start]);
    const queue = [start];
    let terminal = false;
    const visit = (next: unknown): void => {
      if (typeof next === 'string' && Object.hasOwn(states, next) && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    };
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const state = states[name];
      if (!isObj(state)) continue;
      if (state.End === true || state.Type === 'Succeed' || state.Type === 'Fail') terminal = true;
      visit(state.Next);
      visit(state.Default);
      for (const list of [state.Choices, state.Catch]) {
        if (Array.isArray(list)) for (const rule of list) if (isObj(rule)) visit(rule.Next);
      }
    }
    for (const name of Object.keys(states)) {
      if (!seen.has(name))
        this.report(pointerJoin(statesPath, name), name, `state '${name}' is not reachable from StartAt`);
    }
    if (!terminal)
      this.report(statesPath, undefined, 'no terminal state is reachable (End: true, Succeed or Fail)');
  }

  root(value: unknown): void {
    this.machine(value, '', 'root');
    if (!isObj(value)) return;
    const engine = value.Engine;
    if (engine !== undefined && (typeof engine !== 'string' || engine.trim() === '')) {
      this.report('/Engine', undefined, `'Engine' must be a non-empty string`);
    }
    if (value.Mode !== undefined && value.Mode !== 'standard' && value.Mode !== 'express') {
      this.report('/Mode', undefined, `'Mode' must be 'standard' or 'express'`);
    }
    if (value.Version !== undefined && typeof value.Version !== 'string') {
      this.report('/Version', undefined, `'Version' must be a string`);
    }
    this.integer(value, 'TimeoutSeconds', '', undefined, 1, '> 0');
    this.path(value, 'IdPath', '', undefined, 'reference', false);
    if (value.Match !== undefined) this.matchPattern(value.Match, '/Match');
  }

  /** `Match` is compiled by the router's own event-pattern compiler, so a pattern accepted here routes there. */
  private matchPattern(value: unknown, path: string): void {
    try {
      compilePattern(value as JsonValue);
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      // The compiler names the field as `pattern.a.b[0]: reason`; turn that into a pointer under /Match.
      const parsed = /^pattern((?:\.[^.:[\]]+|\[\d+\])*):\s*(.*)$/s.exec(error.message);
      const segments = [...(parsed?.[1] ?? '').matchAll(/\.([^.:[\]]+)|\[(\d+)\]/g)].map(
        (m) => m[1] ?? m[2] ?? '',
      );
      const where = segments.reduce<string>((p, segment) => pointerJoin(p, segment), path);
      this.report(where, undefined, `'Match' event pattern: ${parsed?.[2] ?? error.message}`);
    }
  }
}

/**
 * Validates a parsed graph (after legacy compilation and substitution) and returns every problem found;
 * an empty list means the value is a well-formed `EngineGraph` the interpreter can run.
 *
 * @example
 * validateGraph({ StartAt: 'A', States: { A: { Type: 'Pass' } } });
 * // [{ path: '/States/A', state: 'A', message: "a Pass state needs 'Next' or 'End: true'" }, ...]
 */
export function validateGraph(value: unknown, options: ValidateOptions = {}): GraphProblem[] {
  const checker = new Checker(options);
  checker.root(value);
  return checker.problems;
}
