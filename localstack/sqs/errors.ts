/**
 * SQS errors in both of the wire forms SQS speaks. The JSON protocol names the modelled error in `__type`
 * and repeats the older query-protocol code in the `x-amzn-query-error` header, which is what the SDK
 * (an `awsQueryCompatible` client) reads first:
 *
 * ```
 * HTTP/1.1 400
 * x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender
 * {"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}
 * ```
 *
 * The query protocol returns the same code in `<ErrorResponse>`.
 */
import { randomUUID } from 'node:crypto';
import { queryError } from '../awsQuery.ts';
import type { EdgeResponse } from '../service.ts';

/** The XML namespace of SQS query-protocol documents. */
export const SQS_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** An SQS API error: the modelled name, the query code, the HTTP status. */
export class SqsError extends Error {
  override readonly name = 'SqsError';

  constructor(
    /** The error's shape name in the SQS model (`QueueDoesNotExist`), which JSON clients map to a class. */
    readonly shape: string,
    /** The query-protocol code (`AWS.SimpleQueueService.NonExistentQueue`). */
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  /** The AWS JSON 1.0 form. */
  toJsonResponse(): EdgeResponse {
    const fault = this.status >= 500 ? 'Receiver' : 'Sender';
    return {
      status: this.status,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-query-error': `${this.code};${fault}`,
        'x-amzn-requestid': randomUUID(),
      },
      body: JSON.stringify({ __type: `com.amazonaws.sqs#${this.shape}`, message: this.message }),
    };
  }

  /** The query-protocol form. */
  toQueryResponse(): EdgeResponse {
    return queryError(SQS_NAMESPACE, this.status, this.code, this.message);
  }
}

/** The queue named by a request does not exist. */
export function queueDoesNotExist(name: string): SqsError {
  return new SqsError(
    'QueueDoesNotExist',
    'AWS.SimpleQueueService.NonExistentQueue',
    `The specified queue does not exist: ${name}`,
  );
}

/** A parameter's value breaks SQS's rules; the message says which and why. */
export function invalidParameter(message: string): SqsError {
  return new SqsError('InvalidParameterValue', 'InvalidParameterValue', message);
}

/** A required parameter is absent. */
export function missingParameter(name: string, action: string): SqsError {
  return new SqsError(
    'MissingParameter',
    'MissingParameter',
    `The request must contain the parameter ${name} (${action}).`,
  );
}
