/** The local Lambda Invoke API host: what the edge registers under the `lambda` signing name. */
export { parseFunctionName } from './functionName.ts';
export {
  createLambdaHost,
  type HostLog,
  type LocalFunction,
  type StepHandler,
} from './LambdaHost.ts';
