import { describe, expect, it } from 'vitest';
import { interpretBatchResponse, thrownOutcome } from '../../../localstack/esm/interpretBatchResponse.ts';
import { shardRecords } from './records.ts';

const batch = shardRecords(5);
const seq = (index: number): string => batch[index]?.sequenceNumber ?? '';

describe('interpretBatchResponse', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty object', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
  ])('treats %s as a complete success', (_name, response) => {
    expect(interpretBatchResponse(response, batch, true)).toEqual({ kind: 'success' });
  });

  it('ignores reported failures when ReportBatchItemFailures is off', () => {
    const response = { batchItemFailures: [{ itemIdentifier: seq(2) }] };
    expect(interpretBatchResponse(response, batch, false)).toEqual({ kind: 'success' });
  });

  it('restarts from the lowest reported sequence number, whatever the order of the list', () => {
    const response = {
      batchItemFailures: [{ itemIdentifier: seq(4) }, { itemIdentifier: seq(1) }, { itemIdentifier: seq(3) }],
    };
    expect(interpretBatchResponse(response, batch, true)).toEqual({ kind: 'partial', failedIndex: 1 });
  });

  it.each([
    [
      'an empty identifier',
      { batchItemFailures: [{ itemIdentifier: '' }] },
      'batchItemFailures[0].itemIdentifier is empty',
    ],
    [
      'a null identifier',
      { batchItemFailures: [{ itemIdentifier: seq(1) }, { itemIdentifier: null }] },
      'batchItemFailures[1].itemIdentifier is missing or null',
    ],
    [
      'a wrong key name',
      { batchItemFailures: [{ itemId: seq(1) }] },
      'batchItemFailures[0].itemIdentifier is missing',
    ],
    [
      'an unknown identifier',
      { batchItemFailures: [{ itemIdentifier: '123' }] },
      'names no record of the batch',
    ],
    ['a number identifier', { batchItemFailures: [{ itemIdentifier: 7 }] }, 'not a string'],
    ['a list that is not a list', { batchItemFailures: 'all' }, 'batchItemFailures is not a list'],
    ['a response that is not an object', 'failed', 'response is a string'],
  ])('fails the whole batch on %s', (_name, response, reason) => {
    const outcome = interpretBatchResponse(response, batch, true);
    expect(outcome.kind).toBe('failure');
    expect(outcome.kind === 'failure' && outcome.reason).toContain(reason);
    expect(outcome.kind === 'failure' && outcome.functionError).toBe(false);
  });
});

describe('thrownOutcome', () => {
  it('is a whole-batch function error naming the error', () => {
    expect(thrownOutcome(new TypeError('boom'))).toEqual({
      kind: 'failure',
      reason: 'TypeError: boom',
      functionError: true,
    });
    expect(thrownOutcome('plain')).toEqual({
      kind: 'failure',
      reason: 'handler threw "plain"',
      functionError: true,
    });
  });
});
