import { describe, expect, it } from 'vitest';
import { describeWaiting, waitingSignature } from '../../../../localstack/demo/waits.ts';
import type { ExecutionRecord } from '../../../../router/executions/ExecutionStore.ts';

function waiting(executionId: string, dueAt?: number): ExecutionRecord {
  return {
    engine: 'redshift-etl',
    dedupKey: `demo#${executionId}`,
    executionId,
    version: 1,
    mode: 'standard',
    status: 'WAITING',
    rev: 3,
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    ...(dueAt === undefined ? {} : { dueAt }),
  };
}

describe('what the demo waits for', () => {
  it('names the next execution due, its due time and the seconds left', () => {
    // Prepare
    const now = new Date(2026, 0, 1, 12, 0, 0).getTime();

    // Act
    const line = describeWaiting([waiting('etl:b', now + 9_000), waiting('etl:a', now + 4_200)], now);

    // Assess
    expect(line).toBe(
      'waiting for 2 executions parked in a durable wait; next: redshift-etl@1 etl:a due at 12:00:04 (in 4.2 s), resumed by the sweep',
    );
    expect(describeWaiting([], now)).toBeUndefined();
    expect(describeWaiting([waiting('etl:c')], now)).toContain(
      'with no due time (a callback: it resumes when its task token is answered)',
    );
  });

  it('changes its signature only when the set of waits changes', () => {
    expect(waitingSignature([waiting('a', 1), waiting('b', 2)])).toBe(
      waitingSignature([waiting('b', 2), waiting('a', 1)]),
    );
    expect(waitingSignature([waiting('a', 1)])).not.toBe(waitingSignature([waiting('a', 6)]));
  });
});
