/**
 * Retry and Catch lists: the shape of each rule, the ranges of the retry numbers, `States.ALL` alone
 * and last, and each catcher's `Next` in the state's own scope.
 */
import { pointerJoin } from '../parse.ts';
import type { QueryLanguage } from '../types.ts';
import { type Checker, isObj, type Obj } from './Checker.ts';
import { checkPath, checkTemplateField } from './dataflow.ts';
import { checkAssignNames, checkJsonataValue, notSupported } from './jsonata.ts';

const RETRY_FIELDS: ReadonlySet<string> = new Set([
  'ErrorEquals',
  'IntervalSeconds',
  'MaxAttempts',
  'BackoffRate',
  'MaxDelaySeconds',
  'JitterStrategy',
  'Comment',
]);
const CATCH_FIELDS: ReadonlySet<string> = new Set([
  'ErrorEquals',
  'Next',
  'ResultPath',
  'Comment',
  'Assign',
  'Output',
]);

/** Checks `obj[key]` (Retry or Catch) of the state `state`, whose scope holds the state names `targets`. */
export function checkErrorRules(
  c: Checker,
  obj: Obj,
  key: 'Retry' | 'Catch',
  path: string,
  state: string,
  targets: ReadonlySet<string>,
  lang: QueryLanguage,
): void {
  const rules = obj[key];
  if (rules === undefined) return;
  const listPath = pointerJoin(path, key);
  if (!Array.isArray(rules)) {
    c.report(listPath, state, `'${key}' must be a list of rules`);
    return;
  }
  const allowed = key === 'Retry' ? RETRY_FIELDS : CATCH_FIELDS;
  rules.forEach((rule: unknown, index) => {
    const rulePath = pointerJoin(listPath, index);
    if (!isObj(rule)) {
      c.report(rulePath, state, `${key} rule must be an object`);
      return;
    }
    c.unknownFields(rule, allowed, rulePath, state, `a ${key} rule`);
    const errors = rule.ErrorEquals;
    const errorsPath = pointerJoin(rulePath, 'ErrorEquals');
    if (
      !Array.isArray(errors) ||
      errors.length === 0 ||
      errors.some((e) => typeof e !== 'string' || e === '')
    ) {
      c.report(errorsPath, state, `${key} rule needs 'ErrorEquals', a non-empty list of error names`);
    } else if (errors.includes('States.ALL')) {
      if (errors.length > 1) c.report(errorsPath, state, `'States.ALL' must appear alone in ErrorEquals`);
      if (index !== rules.length - 1)
        c.report(errorsPath, state, `the ${key} rule with 'States.ALL' must be the last one`);
    }
    if (key === 'Retry') {
      c.integer(rule, 'IntervalSeconds', rulePath, state, 1);
      c.integer(rule, 'MaxAttempts', rulePath, state, 0);
      c.integer(rule, 'MaxDelaySeconds', rulePath, state, 1, '> 0');
      const rate = rule.BackoffRate;
      if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 1))) {
        c.report(pointerJoin(rulePath, 'BackoffRate'), state, `'BackoffRate' must be a number >= 1`);
      }
      const jitter = rule.JitterStrategy;
      if (jitter !== undefined && jitter !== 'FULL' && jitter !== 'NONE') {
        c.report(pointerJoin(rulePath, 'JitterStrategy'), state, `'JitterStrategy' must be 'FULL' or 'NONE'`);
      }
    } else {
      c.target(rule, 'Next', rulePath, state, targets, true);
      if (lang === 'JSONata') {
        if (rule.ResultPath !== undefined) notSupported(c, rulePath, state, 'ResultPath', lang);
        const site = { result: false, errorOutput: true };
        checkJsonataValue(c, rule.Output, pointerJoin(rulePath, 'Output'), state, site);
        if (rule.Assign !== undefined) {
          checkAssignNames(c, rule.Assign, pointerJoin(rulePath, 'Assign'), state);
          checkJsonataValue(c, rule.Assign, pointerJoin(rulePath, 'Assign'), state, site);
        }
      } else {
        if (rule.Output !== undefined) notSupported(c, rulePath, state, 'Output', lang);
        checkPath(c, rule, 'ResultPath', rulePath, state, 'reference', true);
        if (rule.Assign !== undefined) {
          checkAssignNames(c, rule.Assign, pointerJoin(rulePath, 'Assign'), state);
          checkTemplateField(c, rule, 'Assign', rulePath, state);
        }
      }
    }
  });
}
