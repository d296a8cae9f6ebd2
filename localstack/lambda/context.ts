/**
 * Step handlers read their deadline, request id and ARN from the Lambda `context` (Powertools
 * idempotency uses `getRemainingTimeInMillis`, loggers use `awsRequestId`), so the host builds one with
 * the same fields and meanings as the Node.js runtime does.
 */
import type { ClientContext, Context } from 'aws-lambda';

/** What the host knows about one invocation when it builds the context. */
export interface InvocationContextInput {
  readonly requestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryMb: number;
  readonly deadline: number;
  readonly clientContext?: ClientContext;
  readonly now: () => number;
  /** Called by the deprecated `done` / `succeed` / `fail` callbacks, which end the invocation early. */
  readonly settle: (error: unknown, result?: unknown) => void;
}

/** Builds the Lambda context object for one invocation. */
export function createInvocationContext(input: InvocationContextInput): Context {
  const day = new Date(input.now()).toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: input.functionVersion,
    invokedFunctionArn: input.invokedFunctionArn,
    memoryLimitInMB: String(input.memoryMb),
    awsRequestId: input.requestId,
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: `${day}/[${input.functionVersion}]${input.requestId.replaceAll('-', '')}`,
    ...(input.clientContext === undefined ? {} : { clientContext: input.clientContext }),
    getRemainingTimeInMillis: () => Math.max(0, input.deadline - input.now()),
    done: (error?: Error, result?: unknown) => input.settle(error ?? null, result),
    fail: (error: Error | string) => input.settle(error),
    succeed: (result: unknown) => input.settle(null, result),
  };
}

/**
 * Decodes `X-Amz-Client-Context` (base64 JSON, as the SDK sends `ClientContext`), or explains why it
 * cannot.
 */
export function decodeClientContext(header: string): ClientContext {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`X-Amz-Client-Context is not base64-encoded JSON: ${reason}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('X-Amz-Client-Context must decode to a JSON object');
  }
  return parsed as ClientContext;
}
