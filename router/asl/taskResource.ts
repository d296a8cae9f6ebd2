/**
 * What a Task's `Resource` names, read once for the validator, the interpreter, the invoker and the CDK
 * app's IAM derivation, so all four agree on which forms exist and what each one means.
 *
 * ```
 * arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]        a function, called directly
 * arn:aws:states:[REGION]:[ACCOUNT]:SERVICE:ACTION[.PATTERN]     an optimized integration (lambda:invoke,
 *                                                                sns:publish, athena:startQueryExecution...)
 * arn:aws:states:[REGION]:[ACCOUNT]:aws-sdk:SERVICE:ACTION[.waitForTaskToken]   any AWS SDK action
 * arn:aws:states:REGION:ACCOUNT:activity:NAME                    an activity: a worker polls for it
 *
 * PATTERN: (none) request/response | sync | sync:2 (run the job, wait for its end) | waitForTaskToken
 * ```
 */

/** How a Task waits for its integration (Step Functions' integration patterns). */
export type IntegrationPattern = 'request-response' | 'sync' | 'sync:2' | 'waitForTaskToken';

/** A parsed Task resource. */
export type TaskResource =
  /** A Lambda function ARN: invoke it, the result is its payload. */
  | { readonly kind: 'lambda'; readonly functionName: string; readonly qualifier?: string }
  /** An optimized integration, `lambda:invoke` included. */
  | {
      readonly kind: 'service';
      readonly service: string;
      readonly action: string;
      readonly pattern: IntegrationPattern;
    }
  /** `aws-sdk:SERVICE:ACTION`: the SDK command of that name. */
  | {
      readonly kind: 'sdk';
      readonly service: string;
      readonly action: string;
      readonly pattern: IntegrationPattern;
    }
  /** An activity: the task waits until a worker takes it and answers with its task token. */
  | { readonly kind: 'activity'; readonly name: string; readonly region: string; readonly account: string };

/**
 * The optimized integrations this runtime runs, by `service:action`, with the patterns each allows (as
 * Step Functions allows them: request/response everywhere, `.sync` on job services, `.waitForTaskToken`
 * on services that carry a message).
 */
export const OPTIMIZED_INTEGRATIONS: Readonly<Record<string, readonly IntegrationPattern[]>> = {
  'lambda:invoke': ['request-response', 'waitForTaskToken'],
  'sns:publish': ['request-response', 'waitForTaskToken'],
  'sqs:sendMessage': ['request-response', 'waitForTaskToken'],
  'events:putEvents': ['request-response', 'waitForTaskToken'],
  'dynamodb:getItem': ['request-response'],
  'dynamodb:putItem': ['request-response'],
  'dynamodb:updateItem': ['request-response'],
  'dynamodb:deleteItem': ['request-response'],
  'athena:startQueryExecution': ['request-response', 'sync'],
  'athena:getQueryExecution': ['request-response'],
  'athena:getQueryResults': ['request-response'],
  'athena:stopQueryExecution': ['request-response'],
  'glue:startJobRun': ['request-response', 'sync'],
  'batch:submitJob': ['request-response', 'sync'],
  'ecs:runTask': ['request-response', 'sync', 'waitForTaskToken'],
  'apigateway:invoke': ['request-response', 'waitForTaskToken'],
  'bedrock:invokeModel': ['request-response'],
  'http:invoke': ['request-response'],
  'states:startExecution': ['request-response', 'sync', 'sync:2', 'waitForTaskToken'],
  'elasticmapreduce:createCluster': ['request-response', 'sync'],
  'elasticmapreduce:addStep': ['request-response', 'sync'],
  'elasticmapreduce:terminateCluster': ['request-response', 'sync'],
};

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:([a-z0-9-]*):(\d*):function:([A-Za-z0-9_-]{1,140})(?::([A-Za-z0-9$_-]+))?$/;
const STATES_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]*):(\d*):(.+)$/;
const ACTIVITY = /^activity:([A-Za-z0-9_.-]{1,80})$/;
const SDK = /^aws-sdk:([a-z0-9]+):([A-Za-z][A-Za-z0-9]*)(?:\.(waitForTaskToken))?$/;
const SERVICE = /^([a-z][a-z0-9-]*):([A-Za-z][A-Za-z0-9]*)(?:\.(sync:2|sync|waitForTaskToken))?$/;

/** Parsed resources, by text: a graph names a handful of them and every invoke asks again. */
const parsed = new Map<string, TaskResource | null>();
const PARSED_LIMIT = 4_096;

/** Parses a resource; undefined when it is none of the forms above. */
export function parseTaskResource(resource: string): TaskResource | undefined {
  const known = parsed.get(resource);
  if (known !== undefined) return known ?? undefined;
  const result = parseUncached(resource);
  if (parsed.size >= PARSED_LIMIT) parsed.clear();
  parsed.set(resource, result ?? null);
  return result;
}

function parseUncached(resource: string): TaskResource | undefined {
  const lambda = LAMBDA_ARN.exec(resource);
  if (lambda?.[3] !== undefined) {
    return lambda[4] === undefined
      ? { kind: 'lambda', functionName: lambda[3] }
      : { kind: 'lambda', functionName: lambda[3], qualifier: lambda[4] };
  }
  const states = STATES_ARN.exec(resource);
  if (states === null) return undefined;
  const [, region = '', account = '', rest = ''] = states;
  const activity = ACTIVITY.exec(rest);
  if (activity?.[1] !== undefined) {
    if (region === '' || account === '') return undefined;
    return { kind: 'activity', name: activity[1], region, account };
  }
  const sdk = SDK.exec(rest);
  if (sdk?.[1] !== undefined && sdk[2] !== undefined) {
    return {
      kind: 'sdk',
      service: sdk[1],
      action: sdk[2],
      pattern: sdk[3] === undefined ? 'request-response' : 'waitForTaskToken',
    };
  }
  const service = SERVICE.exec(rest);
  if (service?.[1] === undefined || service[2] === undefined) return undefined;
  const pattern = (service[3] ?? 'request-response') as IntegrationPattern;
  return { kind: 'service', service: service[1], action: service[2], pattern };
}

/**
 * Why a parsed resource cannot run here (an integration or pattern Step Functions has and this runtime
 * does not), or undefined when it can.
 */
export function unsupportedReason(resource: TaskResource): string | undefined {
  if (resource.kind !== 'service') return undefined;
  const key = `${resource.service}:${resource.action}`;
  const patterns = OPTIMIZED_INTEGRATIONS[key];
  if (patterns === undefined) {
    return `the optimized integration '${key}' is not one this runtime runs (use arn:aws:states:::aws-sdk:${resource.service}:${resource.action} for the SDK action)`;
  }
  if (!patterns.includes(resource.pattern)) {
    const allowed = patterns.map((p) => (p === 'request-response' ? 'request/response' : `.${p}`)).join(', ');
    return `'${key}' does not support .${resource.pattern} (it supports ${allowed})`;
  }
  return undefined;
}

/** True when a Task on this resource hands out a task token and waits for it (callbacks and activities). */
export function waitsForTaskToken(resource: string): boolean {
  const parsedResource = parseTaskResource(resource);
  if (parsedResource === undefined) return resource.endsWith('.waitForTaskToken');
  if (parsedResource.kind === 'activity') return true;
  return parsedResource.kind !== 'lambda' && parsedResource.pattern === 'waitForTaskToken';
}

/** True when a Task on this resource starts a job and follows it to its end (`.sync`, `.sync:2`). */
export function startsJob(resource: string): boolean {
  const parsedResource = parseTaskResource(resource);
  return (
    parsedResource?.kind === 'service' &&
    (parsedResource.pattern === 'sync' || parsedResource.pattern === 'sync:2')
  );
}

/** True for `states:startExecution[.PATTERN]`, which may start a child execution of this runtime. */
export function startsExecution(resource: string): boolean {
  const parsedResource = parseTaskResource(resource);
  return (
    parsedResource?.kind === 'service' &&
    parsedResource.service === 'states' &&
    parsedResource.action === 'startExecution'
  );
}

/** True for `lambda:invoke[.waitForTaskToken]`, whose Parameters name the function. */
export function isLambdaInvoke(resource: TaskResource | undefined): boolean {
  return resource?.kind === 'service' && resource.service === 'lambda' && resource.action === 'invoke';
}
