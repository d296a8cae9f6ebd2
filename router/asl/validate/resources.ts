/**
 * Task resources: the forms the runtime can invoke (a Lambda function ARN, `lambda:invoke` with its
 * FunctionName, an AWS SDK action) and the deployment's allowlist, checked at publish and at load.
 */
import { isFunctionAllowed, isResourceAllowed, LAMBDA_INVOKE_RESOURCES } from '../allowlist.ts';
import { isJsonataText } from '../expressions/jsonata/template.ts';
import { pointerJoin } from '../parse.ts';
import { type Checker, isObj, type Obj, PLACEHOLDER } from './Checker.ts';

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]*:\d*:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9$_-]+)?$/;
const SDK_ARN = /^arn:aws[a-z-]*:states:::aws-sdk:[a-z0-9]+:[A-Za-z0-9]+(?:\.waitForTaskToken)?$/;

/**
 * Checks a Task state's `Resource` (and, for `lambda:invoke`, `Parameters.FunctionName`, or in a JSONata
 * state `Arguments.FunctionName`; a name computed by an expression is checked before the call instead).
 */
export function checkResource(c: Checker, obj: Obj, path: string, state: string, jsonata = false): void {
  const { allowlist } = c.options;
  const resource = c.string(obj, 'Resource', path, state, true);
  const resourcePath = pointerJoin(path, 'Resource');
  if (resource === undefined || PLACEHOLDER.test(resource)) return;
  if (LAMBDA_INVOKE_RESOURCES.has(resource)) {
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
  } else if (!LAMBDA_ARN.test(resource) && !SDK_ARN.test(resource)) {
    c.report(
      resourcePath,
      state,
      `unsupported resource '${resource}' (expected a Lambda function ARN, arn:aws:states:::lambda:invoke[.waitForTaskToken] or arn:aws:states:::aws-sdk:SERVICE:ACTION)`,
    );
  }
  if (allowlist !== undefined && !isResourceAllowed(resource, allowlist))
    c.report(resourcePath, state, `resource '${resource}' is not in the resource allowlist`);
}
