/**
 * Field readers for the bodies of AWS JSON-protocol requests, shared by the emulations that speak it: each
 * service fails a bad field with its own validation error, so the reader takes the error to throw.
 */

/** A parsed request body. */
type Body = Readonly<Record<string, unknown>>;

/** Reads a request's string fields, throwing the service's validation error for a wrong or missing one. */
export interface RequestFields {
  /** The field's string, or undefined when it is absent or null. */
  optionalString(input: Body, field: string): string | undefined;
  /** The field's string; absent, null or empty is an error. */
  requiredString(input: Body, field: string): string;
  /** The field's list of strings; anything else is an error. */
  stringList(input: Body, field: string): string[];
}

/** The readers of {@link RequestFields}, failing through `invalid`. */
export function requestFields(invalid: (message: string) => Error): RequestFields {
  const optionalString = (input: Body, field: string): string | undefined => {
    const value = input[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw invalid(`${field} must be a string`);
    return value;
  };
  return {
    optionalString,
    requiredString(input, field) {
      const value = optionalString(input, field);
      if (value === undefined || value === '') throw invalid(`${field} is required`);
      return value;
    },
    stringList(input, field) {
      const value = input[field];
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
        throw invalid(`${field} must be a list of strings`);
      return value as string[];
    },
  };
}

/** An error of an AWS JSON-protocol API: the `__type` and HTTP status the edge answers with. */
export class JsonProtocolError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
