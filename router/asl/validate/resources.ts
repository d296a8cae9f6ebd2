/**
 * Task resources: the forms the runtime can invoke (a Lambda function ARN, an optimized integration with
 * its pattern, `lambda:invoke` with its FunctionName, an AWS SDK action, an activity) and the deployment's
 * allowlist, checked at publish and at load.
 */
import { isFunctionAllowed, isResourceAllowed } from '../allowlist.ts';
import { isJsonataText } from '../expressions/jsonata/template.ts';
import { pointerJoin } from '../parse.ts';
import { isLambdaInvoke, parseTaskResource, unsupportedReason } from '../taskResource.ts';
import { type Checker, isObj, type Obj, PLACEHOLDER } from './Checker.ts';

const FORMS =
  'a Lambda function ARN, arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken], ' +
  'arn:aws:states:::aws-sdk:SERVICE:ACTION or arn:aws:states:REGION:ACCOUNT:activity:NAME';

/**
 * Checks a Task state's `Resource` (and, for `lambda:invoke`, `Parameters.FunctionName`, or in a JSONata
 * state `Arguments.FunctionName`; a name computed by an expression is checked before the call instead).
 */
export function checkResource(c: Checker, obj: Obj, path: string, state: string, jsonata = false): void {
  const { allowlist } = c.options;
  const resource = c.string(obj, 'Resource', path, state, true);
  const resourcePath = pointerJoin(path, 'Resource');
  if (resource === undefined || PLACEHOLDER.test(resource)) return;
  const parsed = parseTaskResource(resource);
  if (parsed === undefined) {
    c.report(resourcePath, state, `unsupported resource '${resource}' (expected ${FORMS})`);
    return;
  }
  const reason = unsupportedReason(parsed);
  if (reason !== undefined) c.report(resourcePath, state, `unsupported resource '${resource}': ${reason}`);
  if (isLambdaInvoke(parsed)) {
    const field = jsonata ? 'Arguments' : 'Parameters';
    const params = obj[field];
    const paramsPath = pointerJoin(path, field);
    if (!isObj(params) || (params.FunctionName === undefined && params['FunctionName.$'] === undefined)) {
      if (!(jsonata && isJsonataText(params)))
        c.report(paramsPath, state, `'${resource}' needs ${field}.FunctionName`);
    } else if (
      typeof params.FunctionName === 'string' &&
      !PLACEHOLDER.test(params.FunctionName) &&
      !isJsonataText(params.FunctionName)
    ) {
      const fn = params.FunctionName;
      if (allowlist !== undefined && !isFunctionAllowed(fn, allowlist)) {
        c.report(
          pointerJoin(paramsPath, 'FunctionName'),
          state,
          `function '${fn}' is not in the resource allowlist`,
        );
      }
    }
  }
  if (allowlist !== undefined && !isResourceAllowed(resource, allowlist))
    c.report(resourcePath, state, `resource '${resource}' is not in the resource allowlist`);
}
