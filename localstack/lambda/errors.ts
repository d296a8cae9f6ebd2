/**
 * Errors the Lambda API itself returns (as opposed to errors a function raises, which travel in a 200
 * response with `X-Amz-Function-Error`). They are shaped as the real service shapes them, so the SDK
 * surfaces the same exception class and callers can test their retry logic against the host.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from '../service.ts';

/** Who is at fault, as Lambda reports it in the `Type` field of an error body. */
export type LambdaErrorSource = 'User' | 'Service';

/** A Lambda API error, carried through the host until it is written as an AWS-shaped response. */
export class LambdaApiError extends Error {
  override readonly name = 'LambdaApiError';

  constructor(
    readonly status: number,
    /** The exception name the SDK maps to a class (`ResourceNotFoundException`, ...). */
    readonly errorType: string,
    message: string,
    /** Extra body fields, e.g. `Reason` for throttling. */
    readonly fields: Readonly<Record<string, string>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The error as the REST-JSON protocol returns it: `x-amzn-ErrorType` header plus a JSON body. */
  toResponse(): EdgeResponse {
    const source: LambdaErrorSource = this.status >= 500 ? 'Service' : 'User';
    return {
      status: this.status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': this.errorType,
        'x-amzn-requestid': randomUUID(),
        ...this.headers,
      },
      body: JSON.stringify({ Type: source, message: this.message, ...this.fields }),
    };
  }
}

/** Lambda's answer for a function it does not know. */
export function functionNotFound(arn: string): LambdaApiError {
  return new LambdaApiError(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
}

/** Which concurrency limit an invocation hit; Lambda reports it in `Reason`. */
export type ThrottleReason =
  | 'ConcurrentInvocationLimitExceeded'
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'
  | 'CallerRateLimitExceeded';

/** Lambda's 429 when no concurrency is left; the SDK treats it as throttling and retries. */
export function throttled(reason: ThrottleReason): LambdaApiError {
  return new LambdaApiError(
    429,
    'TooManyRequestsException',
    'Rate Exceeded.',
    { Reason: reason },
    { 'retry-after': '1' },
  );
}
