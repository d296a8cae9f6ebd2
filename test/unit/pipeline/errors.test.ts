import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  disposition,
  isRetryableAwsError,
  LeaseLostError,
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
    const store = new StoreUnavailableError('executions table throttled', { cause });
    const lease = new LeaseLostError('lease taken by another invocation');

    expect(decode).toBeInstanceOf(RouterError);
    expect(decode.name).toBe('DecodeError');
    expect(decode.message).toBe('record shard shardId-000000000001 sequence 12: bad-json: Unexpected token');
    expect(decode.cause).toBe(cause);
    expect(decode.record).toEqual(record);
    expect([decode.retryable, store.retryable, lease.retryable]).toEqual([false, true, true]);
    expect(decode.reason).toBe('bad-json');
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
    expect(isRetryableAwsError(new DecodeError('bad-json', 'x'))).toBe(false);
  });
});

describe('disposition', () => {
  it('decides once for every caller: a lost lease, a retry, or giving up with a reason', () => {
    expect(disposition(new LeaseLostError('taken'))).toEqual({ kind: 'lease-lost' });
    expect(disposition(awsError('ThrottlingException', 400))).toEqual({ kind: 'retry' });
    expect(disposition(new StoreUnavailableError('down'))).toEqual({ kind: 'retry' });
    expect(disposition(new DecodeError('oversize', 'too big'))).toEqual({
      kind: 'give-up',
      reason: 'oversize',
    });
    expect(disposition(new RouterError('bad graph', false))).toEqual({
      kind: 'give-up',
      reason: 'unprocessable',
    });
    expect(disposition(awsError('ValidationException', 400))).toEqual({
      kind: 'give-up',
      reason: 'unprocessable',
    });
    expect(disposition('a string')).toEqual({ kind: 'give-up', reason: 'unprocessable' });
  });
});
