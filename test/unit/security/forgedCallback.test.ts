import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/index.ts';
import type { JsonValue } from '../../../router/asl/types.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter } from '../../support/router.ts';

const SECRET = 'forgery-test-secret-0123456789abcdef';
const T0 = Date.parse('2026-03-01T00:00:00Z');

/** Approve hands its token to `approver` and waits; Ship runs once it is answered. */
const GRAPH = JSON.stringify({
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token' } },
      ResultPath: '$.approval',
      Next: 'Ship',
    },
    Ship: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:ship', End: true },
  },
});

function callbackRecord(taskToken: string, seq: number) {
  return kinesisEventFactory([
    kinesisRecordFactory(
      cloudEventFactory(
        {
          type: 'router.task.success',
          source: 'test/attacker',
          data: { taskToken, output: { approved: true } },
        },
        20_000 + seq,
      ),
      { partitionKey: `cb-${seq}` },
    ),
  ]);
}

async function entries(list: AsyncIterable<QuarantineEntry>): Promise<QuarantineEntry[]> {
  const out: QuarantineEntry[] = [];
  for await (const entry of list) out.push(entry);
  return out;
}

describe('a callback record with a forged task token', () => {
  it('is quarantined as unknown-task-token when its locator names a waiting task but its mac is wrong', async () => {
    // Prepare: an execution waits at Approve with a real token
    const tokens: string[] = [];
    let shipped = 0;
    const r = inMemoryRouter(
      {
        approver: (payload: JsonValue) => {
          if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
            const token = payload.token;
            if (typeof token === 'string') tokens.push(token);
          }
          return null;
        },
        ship: () => {
          shipped += 1;
          return null;
        },
      },
      { taskTokenSecret: SECRET },
      new VirtualClock(T0),
    );
    await r.publish(GRAPH, { engine: 'orders' });
    await r.router.processBatch(
      kinesisEventFactory([kinesisRecordFactory(cloudEventFactory({ engine: 'orders', data: {} }, 1))]),
    );
    const real = tokens[0] ?? '';
    const [locator, mac] = real.split('.');
    const flipped = `${mac?.startsWith('A') ? 'B' : 'A'}${mac?.slice(1) ?? ''}`;
    const forged = `${locator}.${flipped}`;
    const waiting = JSON.stringify([...r.executions.records.values()]);

    // Act
    const attack = await r.router.processBatch(callbackRecord(forged, 1));
    const stateAfterAttack = JSON.stringify([...r.executions.records.values()]);
    const answer = await r.router.processBatch(callbackRecord(real, 2));

    // Assess
    expect(attack).toMatchObject({ quarantined: 1, succeeded: 0 });
    expect(stateAfterAttack).toBe(waiting);
    const [entry] = await entries(r.quarantine.list());
    expect(entry?.reason).toBe('unknown-task-token');
    expect(entry?.message).toContain('not issued by this deployment');
    expect(answer).toMatchObject({ succeeded: 1, quarantined: 0 });
    expect(shipped).toBe(1);
  });
});
