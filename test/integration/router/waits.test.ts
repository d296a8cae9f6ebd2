/**
 * End to end: a Wait longer than ROUTER_MAX_INPROCESS_WAIT_MS parks the execution durably (WAITING with a
 * due time), acknowledges its record so the shard moves on, and the sweep the mapping runs on its idle
 * ticks resumes it when due, on the version it started on. The router runs on a clock the test moves:
 * nothing is due until the test says so, however slow the machine.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import { StepLog, throttlingError } from '../../fixtures/steps/recorder.ts';
import { useRouterStack } from '../support/routerStack.ts';
import { cloudEvent, sequentialGraph, stepArn } from './graphs.ts';

const log = new StepLog();
/** Moves only when a test advances it: due times and leases never pass behind a test's back. */
const clock = new VirtualClock(Date.now(), { auto: false });

/** Resumes of the `flaky` step left to fail retryably. */
let flakyFailures = 0;

const runtime = useRouterStack({
  functions: {
    before: log.step('before'),
    after: log.step('after'),
    later: log.step('later'),
    ping: log.step('ping'),
    flaky: log.step('flaky', (payload) => {
      if (flakyFailures > 0) {
        flakyFailures -= 1;
        throw throttlingError('flaky');
      }
      return payload;
    }),
  },
  // A short lease, so an execution whose resume failed in the sweep is due again a second later.
  settings: { ROUTER_MAX_INPROCESS_WAIT_MS: '200', ROUTER_LEASE_MS: '1000' },
  clock,
});

function reminderGraph(last: string): string {
  return JSON.stringify({
    StartAt: 'Before',
    States: {
      Before: { Type: 'Task', Resource: stepArn('before'), ResultPath: '$.before', Next: 'Pause' },
      Pause: { Type: 'Wait', Seconds: 2, Next: 'After' },
      After: { Type: 'Task', Resource: stepArn(last), ResultPath: '$.after', End: true },
    },
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('durable waits', () => {
  it('acknowledge the waiting record, let the shard go on, and resume from the sweep when due', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: reminderGraph('after'), file: 'reminder.hjson' });
    await rt.publish({ source: sequentialGraph(['ping']), file: 'quick.hjson' });
    const failuresBefore = rt.esm.counters.failures;
    const completedBefore = rt.esm.counters.recordsCompleted;
    const put = clock.now();

    // Act: one long wait, then three records of the same key and shard behind it
    await rt.put([
      { partitionKey: 'shared', data: cloudEvent('reminder', 'w-1', { remind: 'me' }) },
      ...['q-1', 'q-2', 'q-3'].map((id) => ({
        partitionKey: 'shared',
        data: cloudEvent('quick', id, { id }),
      })),
    ]);
    await rt.waitForIdle();

    // Assess: parked and acknowledged; the records behind it are done
    const parked = await rt.execution('reminder', 'shop/reminder#w-1');
    expect(parked).toMatchObject({ status: 'WAITING', version: 1 });
    expect(parked?.dueAt).toBe(put + 2_000);
    expect(parked?.checkpoint).toBeDefined();
    for (const id of ['q-1', 'q-2', 'q-3']) {
      expect((await rt.execution('quick', `shop/quick#${id}`))?.status).toBe('SUCCEEDED');
    }
    expect(rt.esm.counters.failures).toBe(failuresBefore);
    expect(rt.esm.counters.recordsCompleted - completedBefore).toBe(4);
    expect(log.of('before')).toHaveLength(1);
    expect(log.of('after')).toHaveLength(0);

    // Act: a redelivery while it waits, and a new version published before it is due
    await rt.put([{ partitionKey: 'shared', data: cloudEvent('reminder', 'w-1', { remind: 'me' }) }]);
    await rt.waitForIdle();
    expect(await rt.execution('reminder', 'shop/reminder#w-1')).toMatchObject({
      status: 'WAITING',
      rev: parked?.rev,
    });
    await rt.publish({ source: reminderGraph('later'), file: 'reminder.hjson' });
    clock.advance(1_999);
    const early = await rt.nextSweep();
    expect(early.succeeded + early.failed + early.waiting).toBe(0);
    expect((await rt.execution('reminder', 'shop/reminder#w-1'))?.status).toBe('WAITING');
    clock.advanceTo(parked?.dueAt ?? Number.POSITIVE_INFINITY);
    await until('the sweep to resume the wait', async () => {
      const record = await rt.execution('reminder', 'shop/reminder#w-1');
      return record?.status === 'SUCCEEDED';
    });

    // Assess: resumed once, at its due time (not a millisecond before), on v1, without re-running the first step
    const done = await rt.execution('reminder', 'shop/reminder#w-1');
    expect(done?.version).toBe(1);
    expect(Date.parse(done?.updatedAt ?? '')).toBe(parked?.dueAt);
    expect(log.of('before')).toHaveLength(1);
    expect(log.of('after')).toHaveLength(1);
    expect(log.of('later')).toHaveLength(0);
    expect(log.of('after')[0]?.payload).toEqual({
      remind: 'me',
      before: { by: 'before', saw: { remind: 'me' } },
    });
    expect(rt.sweeps.reduce((sum, s) => sum + s.succeeded, 0)).toBe(1);
    expect(rt.survived).toEqual([]);
  });

  it('retry a resume that failed retryably in the sweep once its lease has expired', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: reminderGraph('flaky'), file: 'retrying.hjson' });
    flakyFailures = 1;
    // Act
    await rt.put([{ partitionKey: 'retrying', data: cloudEvent('retrying', 'f-1', { n: 1 }) }]);
    await rt.waitForIdle();
    const parked = await rt.execution('retrying', 'shop/retrying#f-1');
    expect(parked?.status).toBe('WAITING');
    clock.advanceTo(parked?.dueAt ?? Number.POSITIVE_INFINITY);
    await until('the first resume to fail', async () => log.of('flaky').length === 1);
    // The failed resume holds its lease (1 s on the router's clock): no sweep takes it over before.
    clock.advance(999);
    await rt.nextSweep();
    expect(log.of('flaky')).toHaveLength(1);
    clock.advance(1);
    await until('the second sweep to finish the execution', async () => {
      return (await rt.execution('retrying', 'shop/retrying#f-1'))?.status === 'SUCCEEDED';
    });
    // Assess
    const flaky = log.of('flaky');
    expect(flaky).toHaveLength(2);
    expect(new Set(flaky.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(log.where('n', 1).filter((c) => c.fn === 'before')).toHaveLength(1);
    const warned = rt.logs.find(
      (l) => l.message === 'resuming a due execution failed; a later sweep retries it',
    );
    expect(String(warned?.fields.error)).toContain('Step.ThrottlingException');
    expect(rt.survived).toEqual([]);
  });
});
