/** The local Lambda Invoke API host: what the edge registers under the `lambda` signing name. */
export { LambdaApiError, type ThrottleReason } from './errors.ts';
export { type FunctionReference, functionArn, LOCAL_ACCOUNT_ID, parseFunctionName } from './functionName.ts';
export {
  createLambdaHost,
  type HostLog,
  type LambdaHostOptions,
  type LocalFunction,
  type LocalFunctionSettings,
  type StepHandler,
} from './LambdaHost.ts';
