/**
 * The fields each state type may have (the Amazon States Language's tables, JSONPath dialect), and the
 * checks of the fields that belong to one type only: Task timeouts, Wait's four ways to wait, Fail's
 * error and cause, Map's concurrency and failure tolerance. Nested state machines (Parallel branches, a
 * Map's item processor) are the structure's business.
 */
import { validateIntrinsic } from '../expressions/intrinsics.ts';
import { isJsonataText } from '../expressions/jsonata/template.ts';
import { pointerJoin } from '../parse.ts';
import type { StateType } from '../types.ts';
import { type Checker, isObj, isRfc3339, type Obj } from './Checker.ts';
import { checkPath, checkTemplateField } from './dataflow.ts';
import { checkDistributedMapFields } from './distributedMap.ts';
import { checkJsonataValue, checkNumberOrExpression } from './jsonata.ts';
import { checkResource } from './resources.ts';

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const IO = ['InputPath', 'OutputPath'];
const FLOW = ['Next', 'End'];
const ERRORS = ['Retry', 'Catch'];

/** The fields each state type may have in a JSONPath state (Assign where the type takes it). */
export const FIELDS: Record<StateType, ReadonlySet<string>> = {
  Pass: new Set([...COMMON, ...IO, ...FLOW, 'ResultPath', 'Parameters', 'Result', 'Assign']),
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
    'Assign',
  ]),
  Choice: new Set([...COMMON, ...IO, 'Choices', 'Default', 'Assign']),
  Wait: new Set([
    ...COMMON,
    ...IO,
    ...FLOW,
    'Seconds',
    'Timestamp',
    'SecondsPath',
    'TimestampPath',
    'Assign',
  ]),
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
    'Assign',
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
    'Assign',
  ]),
};

/** The fields a JSONata state of each type adds (its JSONPath-only fields are refused by name). */
export const JSONATA_FIELDS: Record<StateType, ReadonlySet<string>> = {
  Pass: new Set(['Output']),
  Task: new Set(['Arguments', 'Output']),
  Choice: new Set(['Output']),
  Wait: new Set(['Output']),
  Succeed: new Set(['Output']),
  Fail: new Set(),
  Parallel: new Set(['Arguments', 'Output']),
  Map: new Set(['Items', 'Output']),
};

/** Every state type, in the order the error message lists them. */
export const STATE_TYPES = Object.keys(FIELDS);

/** Task: the resource, and timeouts with the heartbeat shorter than the timeout. */
export function checkTaskFields(c: Checker, obj: Obj, path: string, state: string, jsonata: boolean): void {
  checkResource(c, obj, path, state, jsonata);
  c.exclusive(obj, ['TimeoutSeconds', 'TimeoutSecondsPath'], path, state, false);
  c.exclusive(obj, ['HeartbeatSeconds', 'HeartbeatSecondsPath'], path, state, false);
  const timeout =
    jsonata && isJsonataText(obj.TimeoutSeconds)
      ? undefined
      : c.integer(obj, 'TimeoutSeconds', path, state, 1, '> 0');
  const heartbeat =
    jsonata && isJsonataText(obj.HeartbeatSeconds)
      ? undefined
      : c.integer(obj, 'HeartbeatSeconds', path, state, 1, '> 0');
  if (jsonata) {
    for (const key of ['TimeoutSeconds', 'HeartbeatSeconds'])
      checkNumberOrExpression(c, obj, key, path, state, () => undefined);
    return;
  }
  if (timeout !== undefined && heartbeat !== undefined && heartbeat >= timeout) {
    c.report(
      pointerJoin(path, 'HeartbeatSeconds'),
      state,
      `'HeartbeatSeconds' (${heartbeat}) must be less than 'TimeoutSeconds' (${timeout})`,
    );
  }
  checkPath(c, obj, 'TimeoutSecondsPath', path, state, 'reference', false);
  checkPath(c, obj, 'HeartbeatSecondsPath', path, state, 'reference', false);
  if (obj.Credentials !== undefined && !isObj(obj.Credentials)) {
    c.report(pointerJoin(path, 'Credentials'), state, `'Credentials' must be an object`);
  }
}

/** Wait: exactly one of Seconds, Timestamp, SecondsPath, TimestampPath, each of its type. */
export function checkWaitFields(c: Checker, obj: Obj, path: string, state: string, jsonata: boolean): void {
  c.exclusive(obj, ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'], path, state, true);
  if (jsonata && isJsonataText(obj.Seconds))
    checkJsonataValue(c, obj.Seconds, pointerJoin(path, 'Seconds'), state);
  else c.integer(obj, 'Seconds', path, state, 0);
  const ts = obj.Timestamp;
  if (jsonata && isJsonataText(ts)) checkJsonataValue(c, ts, pointerJoin(path, 'Timestamp'), state);
  else if (ts !== undefined && (typeof ts !== 'string' || !isRfc3339(ts))) {
    c.report(
      pointerJoin(path, 'Timestamp'),
      state,
      `'Timestamp' must be an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z)`,
    );
  }
  if (jsonata) return;
  checkPath(c, obj, 'SecondsPath', path, state, 'reference', false);
  checkPath(c, obj, 'TimestampPath', path, state, 'reference', false);
}

/** Fail: Error and Cause as strings, or their paths (which may be intrinsic calls). */
export function checkFailFields(c: Checker, obj: Obj, path: string, state: string, jsonata: boolean): void {
  c.exclusive(obj, ['Error', 'ErrorPath'], path, state, false);
  c.exclusive(obj, ['Cause', 'CausePath'], path, state, false);
  for (const key of ['Error', 'Cause']) {
    if (obj[key] !== undefined && typeof obj[key] !== 'string')
      c.report(pointerJoin(path, key), state, `'${key}' must be a string`);
    else if (jsonata) checkJsonataValue(c, obj[key], pointerJoin(path, key), state);
  }
  if (jsonata) return;
  for (const key of ['ErrorPath', 'CausePath']) {
    const value = obj[key];
    if (typeof value === 'string' && value.startsWith('States.')) {
      const problem = validateIntrinsic(value);
      if (problem !== undefined) c.report(pointerJoin(path, key), state, `'${key}': ${problem}`);
    } else checkPath(c, obj, key, path, state, 'reference', false);
  }
}

/** Map: its item source, selector, concurrency and failure tolerance, and its distributed fields. */
export function checkMapFields(c: Checker, obj: Obj, path: string, state: string, jsonata: boolean): void {
  checkDistributedMapFields(c, obj, path, state, jsonata);
  c.exclusive(obj, ['ItemProcessor', 'Iterator'], path, state, true);
  c.exclusive(obj, ['ItemSelector', 'Parameters'], path, state, false);
  c.exclusive(obj, ['MaxConcurrency', 'MaxConcurrencyPath'], path, state, false);
  c.exclusive(obj, ['ToleratedFailureCount', 'ToleratedFailureCountPath'], path, state, false);
  c.exclusive(obj, ['ToleratedFailurePercentage', 'ToleratedFailurePercentagePath'], path, state, false);
  if (jsonata) {
    for (const key of ['MaxConcurrency', 'ToleratedFailureCount', 'ToleratedFailurePercentage']) {
      if (isJsonataText(obj[key])) checkJsonataValue(c, obj[key], pointerJoin(path, key), state);
    }
    const items = obj.Items;
    if (items !== undefined && !Array.isArray(items) && !isJsonataText(items)) {
      c.report(pointerJoin(path, 'Items'), state, `'Items' must be an array or a {% %} expression`);
    }
    checkJsonataValue(c, items, pointerJoin(path, 'Items'), state);
    checkJsonataValue(c, obj.ItemSelector, pointerJoin(path, 'ItemSelector'), state);
  }
  if (!(jsonata && isJsonataText(obj.MaxConcurrency))) c.integer(obj, 'MaxConcurrency', path, state, 0);
  if (!(jsonata && isJsonataText(obj.ToleratedFailureCount)))
    c.integer(obj, 'ToleratedFailureCount', path, state, 0);
  const pct = obj.ToleratedFailurePercentage;
  if (jsonata && isJsonataText(pct)) return;
  if (pct !== undefined && (typeof pct !== 'number' || pct < 0 || pct > 100)) {
    c.report(
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
    checkPath(c, obj, key, path, state, 'reference', false);
  }
  if (!jsonata) checkTemplateField(c, obj, 'ItemSelector', path, state);
}
