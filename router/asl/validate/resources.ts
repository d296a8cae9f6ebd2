/**
 * Task resources: the forms the runtime can invoke (a Lambda function ARN, an optimized integration with
 * its pattern, `lambda:invoke` with its FunctionName, an AWS SDK action, an activity) and the deployment's
 * allowlist, checked at publish and at load.
 */
import { isFunctionAllowed, isResourceAllowed } from '../allowlist.ts';
import { pointerJoin } from '../parse.ts';
import { isLambdaInvoke, parseTaskResource, unsupportedReason } from '../taskResource.ts';
import { type Checker, isObj, type Obj, PLACEHOLDER } from './Checker.ts';

const FORMS =
  'a Lambda function ARN, arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken], ' +
  'arn:aws:states:::aws-sdk:SERVICE:ACTION or arn:aws:states:REGION:ACCOUNT:activity:NAME';

/** Checks a Task state's `Resource` (and, for `lambda:invoke`, `Parameters.FunctionName`). */
export function checkResource(c: Checker, obj: Obj, path: string, state: string): void {
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
    const params = obj.Parameters;
    const paramsPath = pointerJoin(path, 'Parameters');
    if (!isObj(params) || (params.FunctionName === undefined && params['FunctionName.$'] === undefined)) {
      c.report(paramsPath, state, `'${resource}' needs Parameters.FunctionName`);
    } else if (typeof params.FunctionName === 'string' && !PLACEHOLDER.test(params.FunctionName)) {
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
