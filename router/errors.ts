/**
 * The router's own errors (not workflow errors, which carry the States Language names). Each one says
 * whether it is worth retrying, because the batch reporter decides from `retryable` alone whether a
 * record goes back to the stream (and blocks its partition key) or is quarantined and acknowledged.
 */

/** Which stream record an error is about; every rejection names at least the sequence number. */
export interface RecordRef {
  readonly shardId?: string;
  readonly sequenceNumber: string;
  readonly partitionKey?: string;
  /** Position inside a KPL aggregated record. */
  readonly subSequence?: number;
}

/** Options every router error accepts. */
export interface RouterErrorOptions {
  readonly cause?: unknown;
  readonly record?: RecordRef;
}

/** Base of every router error: a `retryable` flag for the reporter and the record it concerns. */
export class RouterError extends Error {
  override readonly name: string = 'RouterError';
  /** True when redelivering the record may succeed (throttling, outage, lost lease). */
  readonly retryable: boolean;
  /** The quarantine reason when a record gives up on this error (see {@link disposition}). */
  readonly reason: string = 'unprocessable';
  readonly record?: RecordRef;

  constructor(message: string, retryable: boolean, options: RouterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = retryable;
    if (options.record !== undefined) this.record = options.record;
  }
}

/**
 * Input the runtime refuses: a graph, a pattern, a mock file, a setting or a command line. Never
 * retryable (the same input fails the same way); its message names the thing and the reason.
 */
export class InputError extends RouterError {
  override readonly name: string = 'InputError';

  constructor(message: string, options: RouterErrorOptions = {}) {
    super(message, false, options);
  }
}

/** Why a record could not be decoded; also the quarantine reason. */
export type DecodeReason =
  | 'bad-base64'
  | 'bad-json'
  | 'not-an-object'
  | 'oversize'
  | 'bad-envelope'
  | 'bad-aggregate';

/** Names a record for messages: `shard shardId-000 sequence 4959...[#2]`. */
export function describeRecord(record: RecordRef | undefined): string {
  if (record === undefined) return 'record';
  const shard = record.shardId === undefined ? '' : `shard ${record.shardId} `;
  const sub = record.subSequence === undefined ? '' : `#${record.subSequence}`;
  return `record ${shard}sequence ${record.sequenceNumber}${sub}`;
}

/** A record whose bytes cannot become an envelope; never retryable, so it is quarantined at once. */
export class DecodeError extends RouterError {
  override readonly name = 'DecodeError';
  override readonly reason: DecodeReason;

  constructor(reason: DecodeReason, detail: string, options: RouterErrorOptions = {}) {
    super(`${describeRecord(options.record)}: ${reason}: ${detail}`, false, options);
    this.reason = reason;
  }
}

/** A store (DynamoDB, S3) refused or failed a call; retryable when the failure is transient. */
export class StoreUnavailableError extends RouterError {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, options: RouterErrorOptions & { readonly retryable?: boolean } = {}) {
    super(message, options.retryable ?? true, options);
  }
}

/** Another invocation took over the execution's lease; the record is retried and dedup sorts it out. */
export class LeaseLostError extends RouterError {
  override readonly name = 'LeaseLostError';

  constructor(message: string, options: RouterErrorOptions = {}) {
    super(message, true, options);
  }
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Classifies an AWS SDK v3 (or network) error as transient. The SDK has already retried by the time an
 * error reaches the router, so this only decides between "put the record back" and "give up on it".
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (error instanceof RouterError) return error.retryable;
  if (typeof error !== 'object' || error === null) return false;
  const name = field(error, 'name');
  if (typeof name === 'string' && RETRYABLE_NAMES.has(name)) return true;
  const code = field(error, 'code');
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || RETRYABLE_NAMES.has(code))) return true;
  if (field(error, '$retryable') !== undefined) return true;
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  const cause = field(error, 'cause');
  return cause !== undefined && cause !== error && isRetryableAwsError(cause);
}

/** True when retrying may succeed: a router error says so itself, anything else is classified as AWS's. */
export function isRetryable(error: unknown): boolean {
  return error instanceof RouterError ? error.retryable : isRetryableAwsError(error);
}

/**
 * What to do with a record, a due execution or a callback whose handling threw. The one place that
 * decides between "deliver again" and "give up": batch, sweep and callbacks all ask it.
 * - `lease-lost`: someone else is advancing the execution; deliver again, without counting an attempt.
 * - `retry`: transient (throttling, an outage); deliver again and count the attempt.
 * - `give-up`: a redelivery cannot heal it; quarantine (or fail) with `reason`.
 */
export type Disposition =
  | { readonly kind: 'lease-lost' }
  | { readonly kind: 'retry' }
  | { readonly kind: 'give-up'; readonly reason: string };

/** Decides the {@link Disposition} of an error. */
export function disposition(error: unknown): Disposition {
  if (error instanceof LeaseLostError) return { kind: 'lease-lost' };
  if (isRetryable(error)) return { kind: 'retry' };
  return { kind: 'give-up', reason: error instanceof RouterError ? error.reason : 'unprocessable' };
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
