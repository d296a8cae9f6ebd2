/**
 * Errors the Redshift Data API returns, in the JSON 1.1 protocol's shape (`__type` + `message`), so the
 * SDK raises the same exception classes it raises against AWS.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from '../service.ts';

/** Exception names this emulator answers with. */
export type RedshiftDataErrorType =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ActiveStatementsExceededException'
  | 'InternalServerException'
  | 'UnknownOperationException';

/** A Data API error on its way to the client. */
export class RedshiftDataError extends Error {
  override readonly name = 'RedshiftDataError';

  constructor(
    readonly errorType: RedshiftDataErrorType,
    message: string,
    /** Extra members of the error structure, e.g. `ResourceId`. */
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The response the JSON 1.1 protocol expects. */
  toResponse(): EdgeResponse {
    return {
      status: this.errorType === 'InternalServerException' ? 500 : 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
      body: JSON.stringify({ __type: this.errorType, message: this.message, ...this.fields }),
    };
  }
}

/** The request failed validation; the message names the field and the rule. */
export function invalid(message: string): RedshiftDataError {
  return new RedshiftDataError('ValidationException', message);
}
