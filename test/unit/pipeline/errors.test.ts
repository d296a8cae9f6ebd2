import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  isRetryableAwsError,
  LeaseLostError,
  NoRouteError,
  RouterError,
  StoreUnavailableError,
} from '../../../router/errors.ts';

function awsError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  const error = new Error(name);
  error.name = name;
  return Object.assign(error, { $metadata: status === undefined ? {} : { httpStatusCode: status } }, extra);
}

describe('router errors', () => {
  it('carry their record, cause and retryable flag', () => {
    const cause = new Error('socket hang up');
    const record = { shardId: 'shardId-000000000001', sequenceNumber: '12', partitionKey: 'k' };

    const decode = new DecodeError('bad-json', 'Unexpected token', { record, cause });
    const noRoute = new NoRouteError('no pattern matched type order.created', { record });
    const store = new StoreUnavailableError('executions table throttled', { cause });
    const lease = new LeaseLostError('lease taken by another invocation');

    expect(decode).toBeInstanceOf(RouterError);
    expect(decode.name).toBe('DecodeError');
    expect(decode.message).toBe('record shard shardId-000000000001 sequence 12: bad-json: Unexpected token');
    expect(decode.cause).toBe(cause);
    expect(decode.record).toEqual(record);
    expect([decode.retryable, noRoute.retryable, store.retryable, lease.retryable]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(noRoute.reason).toBe('no-route');
    expect(new StoreUnavailableError('denied', { retryable: false }).retryable).toBe(false);
  });
});

describe('isRetryableAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['RequestLimitExceeded', 400],
    ['TooManyRequestsException', 429],
    ['SomethingElse', 503],
    ['InternalServerError', 500],
  ])('retries %s (%s)', (name, status) => {
    expect(isRetryableAwsError(awsError(name, status))).toBe(true);
  });

  it('retries errors the SDK marked $retryable and network errors', () => {
    expect(isRetryableAwsError(awsError('X', 400, { $retryable: { throttling: false } }))).toBe(true);
    expect(isRetryableAwsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableAwsError(new Error('wrapped', { cause: awsError('ThrottlingException') }))).toBe(true);
  });

  it.each([
    awsError('ValidationException', 400),
    awsError('ConditionalCheckFailedException', 400),
    awsError('ResourceNotFoundException', 400),
    new Error('plain'),
    'a string',
    null,
  ])('does not retry %s', (error) => {
    expect(isRetryableAwsError(error)).toBe(false);
  });

  it('follows the retryable flag of router errors', () => {
    expect(isRetryableAwsError(new LeaseLostError('x'))).toBe(true);
    expect(isRetryableAwsError(new NoRouteError('x'))).toBe(false);
  });
});
