import { describe, expect, it } from 'vitest';
import { ENGINES_ALLOWLIST } from '../../../engines/allowlist.ts';
import { describeQuarantined, describeSummary } from '../../../localstack/localRouter.ts';
import { routerSettingsFromEnv } from '../../../router/config.ts';
import { emptySummary } from '../../../router/MessageEventRouter.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';

describe('the local router', () => {
  it('says in one line what a batch and a sweep did, per engine@version', () => {
    // Prepare
    const batch = emptySummary();
    Object.assign(batch, { records: 3, succeeded: 2, waiting: 1 });
    batch.byEngine.set('event-engine@1', { succeeded: 2, failed: 0, duplicates: 0, waiting: 0 });
    batch.byEngine.set('batch-average@1', { succeeded: 0, failed: 0, duplicates: 0, waiting: 1 });
    const poison = emptySummary();
    Object.assign(poison, { records: 1, quarantined: 1 });

    // Act / Assess
    expect(describeSummary(batch, 'batch')).toBe(
      'batch of 3 records: 2 succeeded, 1 waiting (batch-average@1: 1 waiting; event-engine@1: 2 succeeded)',
    );
    expect(describeSummary(poison, 'batch')).toBe('batch of 1 record: 1 quarantined');
    expect(describeSummary(emptySummary(), 'sweep')).toBe('sweep of due executions: nothing to do');
  });

  it("prints a quarantine entry's own message, naming the record when the message does not", () => {
    // Prepare
    const record = {
      partitionKey: 'k',
      sequenceNumber: '49',
      shardId: 'shardId-000000000000',
      arrivedAt: '2026-01-01T00:00:00.000Z',
    };
    const base = {
      id: '2026-01-01T00:00:00.000Z#shardId-000000000000#49',
      objectKey: 'quarantine/2026/01/01/shardId-000000000000/49.json',
      quarantinedAt: '2026-01-01T00:00:01.000Z',
      record,
    };
    const unavailable: QuarantineEntry = {
      ...base,
      reason: 'engine-unavailable',
      message: 'engine orders@3 cannot be loaded: resource not in the allowlist',
      engine: 'orders',
    };
    const noRoute: QuarantineEntry = {
      ...base,
      reason: 'no-route',
      message: 'record shard shardId-000000000000 sequence 49: no-route',
    };

    // Act / Assess
    expect(describeQuarantined(unavailable)).toBe(
      'record shard shardId-000000000000 sequence 49: engine-unavailable: engine orders@3 cannot be loaded: resource not in the allowlist (engine orders)',
    );
    expect(describeQuarantined(noRoute)).toBe('record shard shardId-000000000000 sequence 49: no-route');
  });

  it("allows the shipped engines' resources when ROUTER_RESOURCE_ALLOWLIST is unset, and only the variable's otherwise", () => {
    expect(routerSettingsFromEnv({}).allowlist).toEqual(expect.arrayContaining([...ENGINES_ALLOWLIST]));
    expect(
      routerSettingsFromEnv({ ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:a-*' }).allowlist,
    ).toEqual(['arn:aws:lambda:*:*:function:a-*']);
  });
});
