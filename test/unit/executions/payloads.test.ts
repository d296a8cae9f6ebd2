import { describe, expect, it } from 'vitest';
import { disposition } from '../../../router/errors.ts';
import {
  APPLIED_CALLBACKS_KEPT,
  type ClaimRequest,
  type ExecutionRecord,
  executionIdFor,
  executionMapKey,
} from '../../../router/executions/ExecutionStore.ts';
import { HISTORY_MAX_BYTES } from '../../../router/executions/history.ts';
import { DYNAMODB_ITEM_MAX_BYTES, itemBytes, toItem } from '../../../router/executions/items.ts';
import { MemoryExecutionStore } from '../../../router/executions/MemoryExecutionStore.ts';
import { MemoryPayloadStore } from '../../../router/executions/MemoryPayloadStore.ts';
import {
  INLINE_VALUE_MAX_BYTES,
  ITEM_TARGET_BYTES,
  placeInline,
  placeValues,
} from '../../../router/executions/payloads.ts';
import { jsonText, largestState } from '../../support/executionStoreContract.ts';

const KiB = 1024;
const T0 = Date.parse('2026-01-01T00:00:00Z');

function request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  const key = { engine: 'orders', dedupKey: 'shop#1', ...overrides };
  return {
    ...key,
    executionId: executionIdFor(key),
    version: 1,
    mode: 'standard',
    owner: 'a',
    leaseMs: 30_000,
    now: T0,
    ...overrides,
  };
}

describe('placeValues', () => {
  it('keeps a value of exactly 64 KiB inline and moves one a byte larger to the payload store', async () => {
    // Prepare
    const payloads = new MemoryPayloadStore();
    const limit = jsonText(INLINE_VALUE_MAX_BYTES, 'limit');
    const over = jsonText(INLINE_VALUE_MAX_BYTES + 1, 'over');
    // Act
    const placed = await placeValues(payloads, {}, { set: { input: limit, output: over } }, 1000, 'done');
    // Assess
    expect(placed.set.input).toBe(limit);
    expect(placed.set.output).toEqual({ $ref: placed.refs.output?.uri, bytes: INLINE_VALUE_MAX_BYTES + 1 });
    expect(placed.refs.output?.uri).toMatch(/^s3:\/\/memory\/payloads\/done\/[0-9a-f]{64}$/);
    expect(Object.keys(placed.refs)).toEqual(['output']);
  });

  it('moves the largest values first while the item would pass 128 KiB, one already inline included', async () => {
    // Prepare: an item holding a 50 KiB input inline; the write adds a 60 KiB output and a 30 KiB cause
    const payloads = new MemoryPayloadStore();
    const before = { input: jsonText(50 * KiB, 'input') };
    const change = { set: { output: jsonText(60 * KiB, 'output'), cause: jsonText(30 * KiB, 'cause') } };
    // Act
    const placed = await placeValues(payloads, before, change, 2 * KiB, 'done');
    // Assess: 142 KiB in all, so the 60 KiB output moves; then 82 KiB fits and the rest stays
    expect(Object.keys(placed.refs)).toEqual(['output']);
    expect(placed.set).toEqual({
      output: expect.objectContaining({ bytes: 60 * KiB }),
      cause: change.set.cause,
    });
    // Prepare: the item's other attributes now take 80 KiB, so the inline input must move too
    const crowded = await placeValues(payloads, before, change, 80 * KiB, 'done');
    expect(Object.keys(crowded.refs).sort()).toEqual(['input', 'output']);
    expect(crowded.set.input).toEqual(expect.objectContaining({ bytes: 50 * KiB }));
  });

  it('writes the same bytes to the same key once more, and keeps references the write does not touch', async () => {
    // Prepare
    const payloads = new MemoryPayloadStore();
    const state = jsonText(100 * KiB, 'state');
    const first = await placeValues(payloads, {}, { set: { checkpoint: state } }, 0, 'live');
    // Act
    const again = await placeValues(
      payloads,
      { refs: first.refs },
      { set: { checkpoint: state } },
      0,
      'live',
    );
    const other = await placeValues(payloads, { refs: first.refs }, { set: { history: 'h' } }, 0, 'live');
    // Assess
    expect(again.refs.checkpoint).toEqual(first.refs.checkpoint);
    expect(payloads.objects.size).toBe(1);
    expect(other.refs).toEqual({ checkpoint: first.refs.checkpoint });
    expect(other.set).toEqual({ history: 'h' });
  });

  it('places a small write without waiting, keeping the references it does not set or remove', async () => {
    // Prepare
    const payloads = new MemoryPayloadStore();
    const stored = await placeValues(
      payloads,
      {},
      { set: { checkpoint: jsonText(100 * KiB, 'state'), input: jsonText(100 * KiB, 'input') } },
      0,
      'live',
    );
    const before = { refs: stored.refs, history: 'h0' };
    // Act
    const small = placeInline(before, { set: { output: '{"ok":true}' }, remove: ['input'] }, 1_000);
    const overwritten = placeInline(before, { set: { checkpoint: '{}' } }, 1_000);
    const none = placeInline({}, { set: { output: '1' } }, 1_000);
    const tooLarge = placeInline({}, { set: { output: jsonText(INLINE_VALUE_MAX_BYTES, 'output') } }, 0);
    const crowded = placeInline({}, { set: { output: '1' } }, ITEM_TARGET_BYTES);
    // Assess
    expect(small).toEqual({ set: { output: '{"ok":true}' }, refs: { checkpoint: stored.refs.checkpoint } });
    expect(overwritten?.refs).toEqual({ input: stored.refs.input });
    expect(none).toEqual({ set: { output: '1' }, refs: {} });
    expect(tooLarge).toBeUndefined();
    expect(crowded).toBeUndefined();
    expect(await placeValues(payloads, before, { set: { checkpoint: '{}' } }, 1_000, 'live')).toEqual(
      overwritten,
    );
  });
});

describe('MemoryExecutionStore and the 400 KB item limit', () => {
  it('refuses an item over 400 KB with the message DynamoDB gives', async () => {
    // Prepare: a dedup key alone larger than an item may be (it is not a value that can move)
    const store = new MemoryExecutionStore();
    // Act
    const claim = store.claim(request({ dedupKey: 'k'.repeat(DYNAMODB_ITEM_MAX_BYTES) }));
    // Assess
    await expect(claim).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    });
  });

  it('reads no value from the payload store for the pre-check; a resuming claim reads the checkpoint only', async () => {
    // Prepare
    const store = new MemoryExecutionStore();
    const claim = await store.claim(request());
    await store.checkpoint(claim.record, {
      checkpoint: largestState('pre-check'),
      history: 'H'.repeat(HISTORY_MAX_BYTES),
      leaseMs: 30_000,
      now: T0 + 1,
    });
    const reads = store.payloads.gets;
    // Act
    const peeked = (await store.peek([request()], T0 + 60_000)).get(executionMapKey(request()));
    const afterPeek = store.payloads.gets;
    const resumed = await store.claim(request({ owner: 'b', now: T0 + 60_000 }), peeked);
    // Assess
    expect(afterPeek).toBe(reads);
    expect(resumed.kind).toBe('resumed');
    expect(store.payloads.gets - reads).toBe(2);
    expect(resumed.record.checkpoint).toBe(largestState('pre-check'));
  });

  it('fails the read of a value whose object is gone, naming the execution, the field and the object', async () => {
    // Prepare
    const store = new MemoryExecutionStore();
    const claim = await store.claim(request());
    await store.complete(claim.record, {
      status: 'SUCCEEDED',
      output: jsonText(100 * KiB, 'gone'),
      now: T0 + 1,
      retentionSeconds: 60,
    });
    store.payloads.objects.clear();
    // Act
    const read = store.get(request());
    // Assess
    await expect(read).rejects.toThrow(
      /^execution orders:\S+ \(orders\): output: reading s3:\/\/memory\/payloads\/done\/[0-9a-f]{64} failed: the object is gone$/,
    );
    expect(disposition(await read.catch((error: unknown) => error))).toEqual({
      kind: 'give-up',
      reason: 'unprocessable',
    });
  });

  it('keeps every item of the worst case within the documented limits at most 128 KiB', async () => {
    // Prepare: the largest names the router accepts, a state of a 256 KiB input and a 256 KiB result,
    // the longest stored history, 16 applied callbacks with long keys, a 256 KiB cause
    const engine = 'e'.repeat(80);
    const dedupKey = `${'s'.repeat(450)}#${'i'.repeat(449)}`;
    const store = new MemoryExecutionStore();
    const sizes: number[] = [];
    const measure = (record: ExecutionRecord): void => {
      const stored = store.records.get(executionMapKey(record));
      if (stored !== undefined) sizes.push(itemBytes(toItem(stored)));
    };
    const claim = await store.claim({
      ...request({ engine, dedupKey }),
      origin: {
        shardId: 'shardId-000000000000',
        sequenceNumber: '4'.repeat(56),
        partitionKey: 'p'.repeat(256),
      },
    });
    let record = claim.record;
    measure(record);
    for (let i = 0; i < APPLIED_CALLBACKS_KEPT; i += 1) {
      record = await store.checkpoint(record, {
        checkpoint: largestState(`worst-${i}`),
        history: 'H'.repeat(HISTORY_MAX_BYTES),
        leaseMs: 30_000,
        now: T0 + i,
        appliedCallback: `callback/source#${'c'.repeat(4 * KiB)}-${i}`,
      });
      measure(record);
    }
    // Act
    record = await store.complete(record, {
      status: 'FAILED',
      checkpoint: largestState('worst-final'),
      history: 'H'.repeat(HISTORY_MAX_BYTES),
      input: jsonText(256 * KiB, 'worst-input'),
      error: 'States.TaskFailed',
      cause: jsonText(256 * KiB, 'worst-cause'),
      now: T0 + 99,
      retentionSeconds: 60,
    });
    measure(record);
    // Assess
    expect(sizes).toHaveLength(APPLIED_CALLBACKS_KEPT + 2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(ITEM_TARGET_BYTES);
    expect(Math.max(...sizes)).toBeLessThan(16 * KiB);
  });
});
