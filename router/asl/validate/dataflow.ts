/**
 * Data-flow fields: paths (InputPath, OutputPath, ResultPath, the `...Path` variants of other fields)
 * and payload templates (Parameters, ResultSelector, ItemSelector), whose `.$` keys hold paths or
 * intrinsic calls. Both grammars are the expression layer's own validators, so what passes here is
 * what the interpreter compiles.
 */
import { validateIntrinsic } from '../expressions/intrinsics.ts';
import { validatePath } from '../expressions/paths.ts';
import { pointerJoin } from '../parse.ts';
import { type Checker, isObj, type Obj, PLACEHOLDER } from './Checker.ts';

/** A path field: a reference path (no wildcards or filters) or a full path, possibly null. */
export function checkPath(
  c: Checker,
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
    c.report(
      pointerJoin(path, key),
      state,
      `'${key}' must be a ${kind === 'reference' ? 'reference path' : 'path'} string${nullable ? ' or null' : ''}`,
    );
    return;
  }
  const problem = validatePath(value, kind);
  if (problem !== undefined) c.report(pointerJoin(path, key), state, `'${key}': ${problem}`);
}

/** Parameters / ResultSelector / ItemSelector: `.$` keys hold paths or intrinsic calls. */
function checkTemplate(
  c: Checker,
  value: unknown,
  path: string,
  state: string | undefined,
  field: string,
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      checkTemplate(c, item, pointerJoin(path, index), state, field);
    });
    return;
  }
  if (!isObj(value)) return;
  for (const key in value) {
    const item = value[key];
    if (!key.endsWith('.$')) {
      // Only objects and arrays hold more keys; the path of a plain value is never reported.
      if (typeof item === 'object' && item !== null)
        checkTemplate(c, item, pointerJoin(path, key), state, field);
      continue;
    }
    const plain = key.slice(0, -2);
    if (plain === '') {
      c.report(pointerJoin(path, key), state, `${field}: a '.$' key needs a field name before '.$'`);
    }
    if (Object.hasOwn(value, plain)) {
      c.report(pointerJoin(path, key), state, `${field}: both '${plain}' and '${key}' are set; keep one`);
    }
    if (typeof item !== 'string') {
      c.report(
        pointerJoin(path, key),
        state,
        `${field}: '${key}' must be a path or an intrinsic function call (a string)`,
      );
      continue;
    }
    if (PLACEHOLDER.test(item)) continue;
    const problem = item.startsWith('States.') ? validateIntrinsic(item) : validatePath(item, 'path');
    if (problem !== undefined) c.report(pointerJoin(path, key), state, `${field}: '${key}': ${problem}`);
  }
}

/** A template field: an object (Parameters may also be any other JSON value), checked all the way down. */
export function checkTemplateField(c: Checker, obj: Obj, key: string, path: string, state: string): void {
  if (obj[key] === undefined) return;
  if (key !== 'Parameters' && !isObj(obj[key])) {
    c.report(pointerJoin(path, key), state, `'${key}' must be an object`);
    return;
  }
  checkTemplate(c, obj[key], pointerJoin(path, key), state, key);
}
