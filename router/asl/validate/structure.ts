/**
 * The graph's structure: each scope (the root, a Parallel branch, a Map item processor) with its
 * StartAt, its states and the transitions between them, unique state names across the whole graph,
 * reachability and a reachable terminal state; and each state's type, its allowed fields, and the
 * checks that apply to it by type.
 */
import { FORBIDDEN_KEYS, pointerJoin } from '../parse.ts';
import type { StateType } from '../types.ts';
import { type Checker, isObj, type Obj } from './Checker.ts';
import { checkChoiceRule } from './choice.ts';
import { checkPath, checkTemplateField } from './dataflow.ts';
import { DISTRIBUTED_MAP_FIELDS } from './distributedMap.ts';
import { checkEngineFields } from './engineFields.ts';
import { checkErrorRules } from './errorRules.ts';
import {
  checkAssignNames,
  checkJsonataValue,
  checkVariableScopes,
  JSONATA_ONLY,
  JSONPATH_ONLY,
  languageOf,
  notSupported,
} from './jsonata.ts';
import {
  checkFailFields,
  checkMapFields,
  checkTaskFields,
  checkWaitFields,
  FIELDS,
  JSONATA_FIELDS,
  STATE_TYPES,
} from './stateFields.ts';

/** Longest state name Step Functions accepts. */
const MAX_STATE_NAME = 80;

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
    'Checkpoint',
    'Match',
    'IdPath',
  ]),
  branch: new Set(['Comment', 'StartAt', 'States', 'QueryLanguage']),
  processor: new Set(['Comment', 'StartAt', 'States', 'QueryLanguage', 'ProcessorConfig']),
} as const;
type Scope = keyof typeof MACHINE_FIELDS;

/** Checks a whole graph: the root scope, everything nested in it, and the engine-level fields. */
export function checkGraph(c: Checker, value: unknown): void {
  if (isObj(value) && value.QueryLanguage === 'JSONata') c.language = 'JSONata';
  checkMachine(c, value, '', 'root');
  if (isObj(value)) {
    checkEngineFields(c, value);
    checkVariableScopes(c, value);
  }
}

/** One scope: StartAt, States, transitions inside it, reachability and a terminal state. */
function checkMachine(c: Checker, value: unknown, path: string, scope: Scope): void {
  if (!isObj(value)) {
    c.report(
      path,
      undefined,
      scope === 'root' ? 'a graph must be an object' : 'must be a state machine object (StartAt, States)',
    );
    return;
  }
  c.unknownFields(
    value,
    MACHINE_FIELDS[scope],
    path,
    undefined,
    scope === 'root' ? 'the graph' : `a ${scope === 'branch' ? 'Parallel branch' : 'Map item processor'}`,
  );
  const statesPath = pointerJoin(path, 'States');
  const states = value.States;
  if (!isObj(states) || Object.keys(states).length === 0) {
    c.report(
      statesPath,
      undefined,
      value.States === undefined ? `missing required field 'States'` : `'States' must be a non-empty object`,
    );
    c.string(value, 'StartAt', path, undefined, true);
    return;
  }
  const targets: ReadonlySet<string> = new Set(Object.keys(states));
  c.target(value, 'StartAt', path, undefined, targets, true);
  if (value.QueryLanguage !== undefined) {
    if (scope !== 'root') {
      c.report(
        pointerJoin(path, 'QueryLanguage'),
        undefined,
        `'QueryLanguage' is set at the top level or on a state, not on a ${scope === 'branch' ? 'Parallel branch' : 'Map item processor'}`,
      );
    } else if (value.QueryLanguage !== 'JSONPath' && value.QueryLanguage !== 'JSONata') {
      c.report(
        pointerJoin(path, 'QueryLanguage'),
        undefined,
        `'QueryLanguage' must be 'JSONPath' or 'JSONata'`,
      );
    }
  }
  if (value.Comment !== undefined && typeof value.Comment !== 'string') {
    c.report(pointerJoin(path, 'Comment'), undefined, `'Comment' must be a string`);
  }
  if (scope === 'processor' && value.ProcessorConfig !== undefined) {
    const config = value.ProcessorConfig;
    const configPath = pointerJoin(path, 'ProcessorConfig');
    if (!isObj(config)) c.report(configPath, undefined, `'ProcessorConfig' must be an object`);
    else {
      c.unknownFields(config, new Set(['Mode', 'ExecutionType']), configPath, undefined, 'ProcessorConfig');
      if (config.Mode !== undefined && config.Mode !== 'INLINE' && config.Mode !== 'DISTRIBUTED') {
        c.report(
          pointerJoin(configPath, 'Mode'),
          undefined,
          `ProcessorConfig.Mode must be 'INLINE' or 'DISTRIBUTED'`,
        );
      }
      const type = config.ExecutionType;
      if (type !== undefined && type !== 'STANDARD' && type !== 'EXPRESS') {
        c.report(
          pointerJoin(configPath, 'ExecutionType'),
          undefined,
          `ProcessorConfig.ExecutionType must be 'STANDARD' or 'EXPRESS'`,
        );
      }
    }
  }
  for (const [name, state] of Object.entries(states)) {
    const statePath = pointerJoin(statesPath, name);
    if (FORBIDDEN_KEYS.has(name)) c.report(statePath, name, `'${name}' cannot be a state name`);
    // A name has no more code points than UTF-16 units, so only a long one needs counting.
    if (name.length > MAX_STATE_NAME && [...name].length > MAX_STATE_NAME)
      c.report(statePath, name, `state name is longer than ${MAX_STATE_NAME} characters`);
    const previous = c.names.get(name);
    if (previous !== undefined) {
      c.report(
        statePath,
        name,
        `state name '${name}' is already used at ${previous}; names must be unique in the whole graph`,
      );
    } else c.names.set(name, statePath);
    checkState(c, state, statePath, name, targets);
  }
  checkReachability(c, value.StartAt, states, statesPath);
}

/** Every field a state of each type may carry in either language, built once rather than per state. */
const KNOWN_FIELDS = new Map<StateType, ReadonlySet<string>>();

/** The fields a state of `type` may carry: its JSONPath and JSONata fields, and a Map's distributed ones. */
function knownFields(type: StateType): ReadonlySet<string> {
  let known = KNOWN_FIELDS.get(type);
  if (known === undefined) {
    known = new Set([
      ...FIELDS[type],
      ...JSONATA_FIELDS[type],
      ...(type === 'Map' ? DISTRIBUTED_MAP_FIELDS : []),
    ]);
    KNOWN_FIELDS.set(type, known);
  }
  return known;
}

/** One state: its type, its fields, its transitions in `targets`, and what its type requires. */
function checkState(
  c: Checker,
  obj: unknown,
  path: string,
  name: string,
  targets: ReadonlySet<string>,
): void {
  if (!isObj(obj)) {
    c.report(path, name, `state '${name}' must be an object`);
    return;
  }
  const type = obj.Type;
  if (typeof type !== 'string' || !STATE_TYPES.includes(type)) {
    c.report(
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
  const lang = languageOf(obj, c.language);
  const jsonata = lang === 'JSONata';
  const own = JSONATA_FIELDS[stateType];
  const known = knownFields(stateType);
  for (const key of Object.keys(obj)) {
    if (jsonata ? JSONPATH_ONLY.has(key) && fields.has(key) : JSONATA_ONLY.has(key) && own.has(key)) {
      notSupported(c, path, name, key, lang);
    } else if (!known.has(key))
      c.report(pointerJoin(path, key), name, `unknown field '${key}' in a ${type} state`);
  }
  if (obj.Comment !== undefined && typeof obj.Comment !== 'string') {
    c.report(pointerJoin(path, 'Comment'), name, `'Comment' must be a string`);
  }
  if (
    obj.QueryLanguage !== undefined &&
    obj.QueryLanguage !== 'JSONPath' &&
    obj.QueryLanguage !== 'JSONata'
  ) {
    c.report(pointerJoin(path, 'QueryLanguage'), name, `'QueryLanguage' must be 'JSONPath' or 'JSONata'`);
  } else if (c.language === 'JSONata' && obj.QueryLanguage === 'JSONPath') {
    c.report(
      pointerJoin(path, 'QueryLanguage'),
      name,
      `'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine`,
    );
  }
  if (fields.has('Next')) checkTransition(c, obj, path, name, type, targets);
  const producesResult = stateType === 'Task' || stateType === 'Parallel' || stateType === 'Map';
  if (jsonata) {
    checkJsonataValue(c, obj.Arguments, pointerJoin(path, 'Arguments'), name);
    checkJsonataValue(c, obj.Output, pointerJoin(path, 'Output'), name, {
      result: producesResult,
      errorOutput: false,
    });
  } else {
    if (fields.has('InputPath')) {
      checkPath(c, obj, 'InputPath', path, name, 'path', true);
      checkPath(c, obj, 'OutputPath', path, name, 'path', true);
    }
    if (fields.has('ResultPath')) {
      checkPath(c, obj, 'ResultPath', path, name, 'reference', true);
      if (typeof obj.ResultPath === 'string' && /^\$[\p{L}_]/u.test(obj.ResultPath)) {
        c.report(
          pointerJoin(path, 'ResultPath'),
          name,
          `'ResultPath' cannot write into a variable; use Assign`,
        );
      }
    }
    if (fields.has('Parameters')) checkTemplateField(c, obj, 'Parameters', path, name);
    if (fields.has('ResultSelector')) checkTemplateField(c, obj, 'ResultSelector', path, name);
  }
  if (obj.Assign !== undefined && fields.has('Assign')) {
    checkAssignNames(c, obj.Assign, pointerJoin(path, 'Assign'), name);
    if (jsonata) {
      checkJsonataValue(c, obj.Assign, pointerJoin(path, 'Assign'), name, {
        result: producesResult,
        errorOutput: false,
      });
    } else checkTemplateField(c, obj, 'Assign', path, name);
  }
  if (fields.has('Retry')) {
    checkErrorRules(c, obj, 'Retry', path, name, targets, lang);
    checkErrorRules(c, obj, 'Catch', path, name, targets, lang);
  }
  switch (stateType) {
    case 'Task':
      checkTaskFields(c, obj, path, name, jsonata);
      break;
    case 'Choice': {
      const choices = obj.Choices;
      if (!Array.isArray(choices) || choices.length === 0) {
        c.report(pointerJoin(path, 'Choices'), name, `'Choices' must be a non-empty list of rules`);
      } else {
        choices.forEach((rule, index) => {
          checkChoiceRule(
            c,
            rule,
            pointerJoin(pointerJoin(path, 'Choices'), index),
            name,
            true,
            targets,
            lang,
          );
        });
      }
      c.target(obj, 'Default', path, name, targets, false);
      break;
    }
    case 'Wait':
      checkWaitFields(c, obj, path, name, jsonata);
      break;
    case 'Fail':
      checkFailFields(c, obj, path, name, jsonata);
      break;
    case 'Parallel': {
      const branches = obj.Branches;
      if (!Array.isArray(branches) || branches.length === 0) {
        c.report(
          pointerJoin(path, 'Branches'),
          name,
          `'Branches' must be a non-empty list of state machines`,
        );
      } else
        branches.forEach((branch, index) => {
          checkMachine(c, branch, pointerJoin(pointerJoin(path, 'Branches'), index), 'branch');
        });
      break;
    }
    case 'Map':
      checkMapFields(c, obj, path, name, jsonata);
      for (const key of ['ItemProcessor', 'Iterator']) {
        if (obj[key] !== undefined) checkMachine(c, obj[key], pointerJoin(path, key), 'processor');
      }
      break;
    default:
      break;
  }
}

/** `Next` or `End: true`, not both, and `Next` naming a state of the scope. */
function checkTransition(
  c: Checker,
  obj: Obj,
  path: string,
  name: string,
  type: string,
  targets: ReadonlySet<string>,
): void {
  const hasNext = obj.Next !== undefined;
  const end = obj.End;
  if (end !== undefined && typeof end !== 'boolean')
    c.report(pointerJoin(path, 'End'), name, `'End' must be true`);
  if (hasNext && end === true) c.report(path, name, `a state has either 'Next' or 'End: true', not both`);
  else if (!hasNext && end !== true) c.report(path, name, `a ${type} state needs 'Next' or 'End: true'`);
  if (hasNext) c.target(obj, 'Next', path, name, targets, true);
}

/** Every state reachable from StartAt, and at least one of them terminal. */
function checkReachability(c: Checker, start: unknown, states: Obj, statesPath: string): void {
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
      c.report(pointerJoin(statesPath, name), name, `state '${name}' is not reachable from StartAt`);
  }
  if (!terminal)
    c.report(statesPath, undefined, 'no terminal state is reachable (End: true, Succeed or Fail)');
}
