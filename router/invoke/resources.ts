/**
 * What a Task's `Resource` names. Graphs name resources; this is where the name is read, so the invoker,
 * the allowlist and the CDK app's IAM policy agree on what each form means.
 */

/** A parsed Task resource. */
export type TaskResource =
  /** `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`: invoke, result is the payload. */
  | { readonly kind: 'lambda'; readonly functionName: string; readonly qualifier?: string }
  /** `arn:aws:states:::lambda:invoke[.waitForTaskToken]`: Parameters name the function. */
  | { readonly kind: 'lambda-invoke'; readonly callback: boolean }
  /** `arn:aws:states:::aws-sdk:SERVICE:ACTION[.waitForTaskToken]`. */
  | { readonly kind: 'sdk'; readonly service: string; readonly action: string; readonly callback: boolean };

const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:([a-z0-9-]*):(\d*):function:([A-Za-z0-9_-]{1,140})(?::([A-Za-z0-9$_-]+))?$/;
const SDK_ARN = /^arn:aws[a-z-]*:states:::aws-sdk:([a-z0-9]+):([A-Za-z][A-Za-z0-9]*)(\.waitForTaskToken)?$/;

/** Parsed resources, by text: a graph names a handful of them and every invoke asks again. */
const parsedResources = new Map<string, TaskResource | undefined>();
const PARSED_RESOURCES_LIMIT = 4_096;

/** Parses a resource; undefined when this runtime cannot run it. */
export function parseTaskResource(resource: string): TaskResource | undefined {
  if (parsedResources.has(resource)) return parsedResources.get(resource);
  const parsed = parseUncached(resource);
  if (parsedResources.size >= PARSED_RESOURCES_LIMIT) parsedResources.clear();
  parsedResources.set(resource, parsed);
  return parsed;
}

function parseUncached(resource: string): TaskResource | undefined {
  const lambda = LAMBDA_ARN.exec(resource);
  if (lambda?.[3] !== undefined) {
    return lambda[4] === undefined
      ? { kind: 'lambda', functionName: lambda[3] }
      : { kind: 'lambda', functionName: lambda[3], qualifier: lambda[4] };
  }
  if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource))
    return { kind: 'lambda-invoke', callback: false };
  if (/^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/.test(resource)) {
    return { kind: 'lambda-invoke', callback: true };
  }
  const sdk = SDK_ARN.exec(resource);
  if (sdk?.[1] !== undefined && sdk[2] !== undefined) {
    return { kind: 'sdk', service: sdk[1], action: sdk[2], callback: sdk[3] !== undefined };
  }
  return undefined;
}

/**
 * The ARN a function name stands for, so a name given in Parameters is checked against the same
 * allowlist patterns as a resource ARN.
 */
export function functionArn(nameOrArn: string, region: string, accountId: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  const [name, qualifier] = nameOrArn.split(':');
  return `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`;
}
