import { describe, expect, it } from 'vitest';
import type { ShardRecord } from '../../../localstack/esm/buildKinesisEvent.ts';
import type { BatcherLimits } from '../../../localstack/esm/ShardBatcher.ts';
import { ShardBatcher } from '../../../localstack/esm/ShardBatcher.ts';
import { shardRecords } from './records.ts';

const limits: BatcherLimits = {
  batchSize: 4,
  bisectBatchOnFunctionError: false,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
};
const thrown = { kind: 'failure', reason: 'Error: boom', functionError: true } as const;
const keys = (records: readonly ShardRecord[]): number[] =>
  records.map((record) => Number(record.partitionKey.slice('key-'.length)));

describe('ShardBatcher', () => {
  it('cuts batches of at most batchSize and checkpoints the last record of each success', () => {
    // Prepare
    const batcher = new ShardBatcher(limits);
    const records = shardRecords(6);
    batcher.push(records);

    // Act
    const first = batcher.peekBatch();
    const settled = batcher.settle(first, { kind: 'success' });
    const second = batcher.peekBatch();

    // Assess
    expect(keys(first)).toEqual([0, 1, 2, 3]);
    expect(settled.checkpoint).toBe(records[3]?.sequenceNumber);
    expect(keys(second)).toEqual([4, 5]);
  });

  it('retries the same records after a whole failure, even when more records arrived', () => {
    // Prepare
    const batcher = new ShardBatcher({ ...limits, batchSize: 3 });
    batcher.push(shardRecords(2));
    const first = batcher.peekBatch();

    // Act
    const settled = batcher.settle(first, thrown);
    batcher.push(shardRecords(3, 2));

    // Assess
    expect(settled).toEqual({ completed: [], bisected: false });
    expect(batcher.replaying).toBe(true);
    expect(keys(batcher.peekBatch())).toEqual([0, 1]);
    expect(batcher.failures).toBe(1);
  });

  it('restarts from the lowest reported failure and marks the records before it done', () => {
    // Prepare
    const batcher = new ShardBatcher(limits);
    const records = shardRecords(6);
    batcher.push(records);
    const first = batcher.peekBatch();

    // Act
    const settled = batcher.settle(first, { kind: 'partial', failedIndex: 2 });

    // Assess
    expect(keys(settled.completed)).toEqual([0, 1]);
    expect(settled.checkpoint).toBe(records[1]?.sequenceNumber);
    expect(keys(batcher.peekBatch())).toEqual([2, 3]);
    expect(batcher.failures).toBe(1);
  });

  it('counts a partial failure at the first record as a retry of the same batch', () => {
    // Prepare
    const batcher = new ShardBatcher({ ...limits, maximumRetryAttempts: 1 });
    batcher.push(shardRecords(4));

    // Act
    const once = batcher.settle(batcher.peekBatch(), { kind: 'partial', failedIndex: 0 });
    const twice = batcher.settle(batcher.peekBatch(), { kind: 'partial', failedIndex: 0 });

    // Assess
    expect(once.discard).toBeUndefined();
    expect(twice.discard?.condition).toBe('RetryAttemptsExhausted');
    expect(twice.discard?.attempts).toBe(2);
    expect(keys(twice.discard?.records ?? [])).toEqual([0, 1, 2, 3]);
  });

  it('bisects a thrown batch down to the poison record without consuming retries', () => {
    // Prepare: record 5 always throws, retries 0 so any counted retry would discard.
    const batcher = new ShardBatcher({
      ...limits,
      batchSize: 8,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 0,
    });
    batcher.push(shardRecords(8));
    const delivered: number[][] = [];
    const discarded: number[][] = [];
    let bisects = 0;

    // Act
    while (batcher.buffered > 0) {
      const batch = batcher.peekBatch();
      delivered.push(keys(batch));
      const settled = batcher.settle(batch, keys(batch).includes(5) ? thrown : { kind: 'success' });
      if (settled.bisected) bisects += 1;
      if (settled.discard) discarded.push(keys(settled.discard.records));
    }

    // Assess
    expect(delivered).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [6, 7],
    ]);
    expect(bisects).toBe(3);
    expect(discarded).toEqual([[5]]);
  });

  it('does not bisect a failure the handler reported without throwing', () => {
    const batcher = new ShardBatcher({ ...limits, bisectBatchOnFunctionError: true });
    batcher.push(shardRecords(4));
    const settled = batcher.settle(batcher.peekBatch(), {
      kind: 'failure',
      reason: 'bad id',
      functionError: false,
    });
    expect(settled.bisected).toBe(false);
    expect(keys(batcher.peekBatch())).toEqual([0, 1, 2, 3]);
  });

  it('discards the failed range once the retries are spent and goes on after it', () => {
    // Prepare
    const batcher = new ShardBatcher({ ...limits, maximumRetryAttempts: 2 });
    const records = shardRecords(6);
    batcher.push(records);

    // Act
    const outcomes = [1, 2, 3].map(() => batcher.settle(batcher.peekBatch(), thrown));

    // Assess
    expect(outcomes.map((o) => o.discard?.condition)).toEqual([
      undefined,
      undefined,
      'RetryAttemptsExhausted',
    ]);
    expect(outcomes[2]?.checkpoint).toBe(records[3]?.sequenceNumber);
    expect(outcomes[2]?.discard?.attempts).toBe(3);
    expect(batcher.replaying).toBe(false);
    expect(batcher.failures).toBe(0);
    expect(keys(batcher.peekBatch())).toEqual([4, 5]);
  });

  it('keeps a partial remainder as the retried range and discards only it', () => {
    const batcher = new ShardBatcher({ ...limits, maximumRetryAttempts: 1 });
    batcher.push(shardRecords(4));
    batcher.settle(batcher.peekBatch(), { kind: 'partial', failedIndex: 1 });
    const again = batcher.settle(batcher.peekBatch(), { kind: 'partial', failedIndex: 1 });
    expect(keys(again.completed)).toEqual([1]);
    expect(again.discard).toBeUndefined();
    expect(keys(batcher.peekBatch())).toEqual([2, 3]);
    const last = batcher.settle(batcher.peekBatch(), { kind: 'partial', failedIndex: 0 });
    expect(keys(last.discard?.records ?? [])).toEqual([2, 3]);
  });

  it('takes expired records off the front, shrinking a planned retry', () => {
    // Prepare: arrival at t0, t0+1 s, ...; limit 2.5 s.
    const batcher = new ShardBatcher({ ...limits, maximumRecordAgeInSeconds: 2.5 });
    const records = shardRecords(4, 0, 10_000);
    batcher.push(records);
    batcher.settle(batcher.peekBatch(), thrown);

    // Act
    const fresh = batcher.takeExpired(12_400);
    const expired = batcher.takeExpired(14_000);

    // Assess
    expect(fresh).toBeUndefined();
    expect(expired?.condition).toBe('RecordAgeExceeded');
    expect(keys(expired?.records ?? [])).toEqual([0, 1]);
    expect(expired?.attempts).toBe(1);
    expect(keys(batcher.peekBatch())).toEqual([2, 3]);
    expect(batcher.failures).toBe(0);
  });
});
