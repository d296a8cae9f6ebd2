/**
 * End to end: records the router cannot use are quarantined with their reason and never block their
 * shard; a throttled step holds back only its own partition key, and a record that keeps failing is
 * quarantined after the retry limit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Gate, StepLog, throttlingError } from '../../fixtures/steps/recorder.ts';
import { useRouterStack } from '../support/routerStack.ts';
import { cloudEvent, sequentialGraph } from './graphs.ts';

const log = new StepLog();
/** Throttles remaining per account; `Infinity` throttles for ever. */
const throttles = new Map<string, number>();
const gate = new Gate();

const runtime = useRouterStack({
  functions: {
    post: log.step('post'),
    charge: log.step('charge', (payload) => {
      const account = String((payload as { account?: unknown }).account);
      const left = throttles.get(account) ?? 0;
      if (left > 0) {
        throttles.set(account, left - 1);
        throw throttlingError(`account ${account}`);
      }
      return { charged: account };
    }),
    narrow: {
      reservedConcurrency: 1,
      timeoutSeconds: 30,
      handler: log.step('narrow', async (payload) => {
        if ((payload as { hold?: unknown }).hold === true) await gate.pass();
        return { narrow: true };
      }),
    },
  },
  settings: { ROUTER_MAX_ATTEMPTS: '3', ROUTER_MAX_RECORD_BYTES: '2048' },
});
// Registered after the stack, so it runs first: a failed test must not leave a step held at stop.
afterAll(() => {
  gate.release();
});

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('poison records', () => {
  it('are quarantined with their reason and raw bytes, and the records behind them are processed', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: sequentialGraph(['post']), file: 'ledger.hjson' });
    const notJson = Buffer.from('{"id": "half an object', 'utf8');
    const notObject = Buffer.from('[1, 2, 3]', 'utf8');
    const unknownEngine = cloudEvent('nope', 'p-1', { n: 1 });
    const noEngine = cloudEvent(undefined, 'p-2', { n: 2 });
    const oversize = cloudEvent('ledger', 'p-3', { blob: 'x'.repeat(4096) });
    const good = cloudEvent('ledger', 'p-4', { n: 4 });
    const failuresBefore = rt.esm.counters.failures;
    // Act
    const put = [notJson, notObject, unknownEngine, noEngine, oversize, good];
    await rt.put(put.map((data) => ({ partitionKey: 'poison', data })));
    await rt.waitForIdle();
    // Assess
    expect(rt.esm.counters.failures).toBe(failuresBefore);
    expect((await rt.execution('ledger', 'shop/ledger#p-4'))?.status).toBe('SUCCEEDED');
    expect(log.of('post').map((call) => call.payload)).toEqual([{ n: 4 }]);
    const entries = await rt.quarantined();
    expect(entries.map((e) => e.reason)).toEqual([
      'bad-json',
      'not-an-object',
      'no-route',
      'no-route',
      'oversize',
    ]);
    const bytes = put.map((data) => (Buffer.isBuffer(data) ? data : Buffer.from(JSON.stringify(data))));
    entries.forEach((entry, i) => {
      expect(Buffer.from(entry.record.data, 'base64').equals(bytes[i] ?? Buffer.alloc(0))).toBe(true);
      expect(entry.record.partitionKey).toBe('poison');
      expect(entry.message).toContain(`sequence ${entry.record.sequenceNumber}`);
      expect(entry.objectKey).toMatch(/^quarantine\/\d{4}\/\d{2}\/\d{2}\/shardId-\d+\/\d+\.json$/);
    });
    const sequences = entries.map((e) => BigInt(e.record.sequenceNumber));
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : 1)));
    expect(entries[2]?.message).toContain("engine 'nope' is not published");
    expect(entries[3]?.message).toContain('no engine attribute and no route pattern matched');
    expect(entries[4]?.message).toContain('the limit is 2048');
  });
});

describe('throttling', () => {
  it('holds back the throttled key, lets other keys through, and loses nothing', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: sequentialGraph(['charge']), file: 'payments.hjson' });
    throttles.set('busy', 2);
    const events = [
      { key: 'busy', event: cloudEvent('payments', 't-b1', { account: 'busy' }) },
      { key: 'busy', event: cloudEvent('payments', 't-b2', { account: 'calm' }) },
      { key: 'free', event: cloudEvent('payments', 't-f1', { account: 'f1' }) },
      { key: 'free', event: cloudEvent('payments', 't-f2', { account: 'f2' }) },
    ];
    const before = log.calls.length;
    // Act
    await rt.put(events.map(({ key, event }) => ({ partitionKey: key, data: event })));
    await rt.waitForIdle();
    // Assess
    const calls = log.calls.slice(before).map((call) => (call.payload as { account: string }).account);
    expect(calls.filter((a) => a === 'busy')).toHaveLength(3);
    const busyDone = calls.lastIndexOf('busy');
    expect(calls.indexOf('calm')).toBeGreaterThan(busyDone);
    expect(calls.indexOf('f1')).toBeLessThan(busyDone);
    expect(calls.indexOf('f2')).toBeLessThan(busyDone);
    for (const { account, id } of [
      { account: 'calm', id: 't-b2' },
      { account: 'f1', id: 't-f1' },
      { account: 'f2', id: 't-f2' },
    ]) {
      expect(calls.filter((a) => a === account)).toHaveLength(1);
      expect((await rt.execution('payments', `shop/payments#${id}`))?.status).toBe('SUCCEEDED');
    }
    const busy = await rt.execution('payments', 'shop/payments#t-b1');
    expect(busy).toMatchObject({
      status: 'SUCCEEDED',
      output: JSON.stringify({ account: 'busy', charge: { charged: 'busy' } }),
    });
    expect((await rt.quarantined()).filter((q) => q.engine === 'payments')).toEqual([]);
  });

  it('quarantines a record after ROUTER_MAX_ATTEMPTS retryable failures and moves on to its key', async () => {
    const rt = runtime();
    await rt.publish({ source: sequentialGraph(['charge']), file: 'payments.hjson' });
    throttles.set('never', Number.POSITIVE_INFINITY);
    const before = log.calls.length;
    await rt.put([
      { partitionKey: 'doomed', data: cloudEvent('payments', 'm-1', { account: 'never' }) },
      { partitionKey: 'doomed', data: cloudEvent('payments', 'm-2', { account: 'after' }) },
    ]);
    await rt.waitForIdle();
    const calls = log.calls.slice(before);
    expect(calls.filter((c) => (c.payload as { account: string }).account === 'never')).toHaveLength(3);
    expect(
      new Set(
        calls
          .filter((c) => (c.payload as { account: string }).account === 'never')
          .map((c) => c.idempotencyKey),
      ).size,
    ).toBe(1);
    const [entry, ...others] = (await rt.quarantined()).filter((q) => q.engine === 'payments');
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ reason: 'max-attempts', engine: 'payments', attempts: 3 });
    expect(entry?.message).toContain('failed 3 times, last:');
    expect(entry?.message).toContain('Step.ThrottlingException');
    expect(JSON.parse(Buffer.from(entry?.record.data ?? '', 'base64').toString('utf8'))).toMatchObject({
      id: 'm-1',
    });
    expect((await rt.execution('payments', 'shop/payments#m-1'))?.status).toBe('QUARANTINED');
    expect((await rt.execution('payments', 'shop/payments#m-2'))?.status).toBe('SUCCEEDED');
    expect(calls.at(-1)?.payload).toEqual({ account: 'after' });
  });

  it('retries a step the Lambda host throttles at its reserved concurrency, without losing it', async () => {
    const rt = runtime();
    await rt.publish({ source: sequentialGraph(['narrow']), file: 'narrow.hjson' });
    const throttled = () =>
      rt.logs.find((l) => l.message === 'record will be retried' && l.fields.engine === 'narrow');
    await rt.put([
      { partitionKey: 'slow', data: cloudEvent('narrow', 'n-1', { hold: true }) },
      { partitionKey: 'quick', data: cloudEvent('narrow', 'n-2', { hold: false }) },
    ]);
    await until('the second invocation to be throttled', () => throttled() !== undefined);
    expect(gate.waiting).toBe(1);
    expect(log.of('narrow')).toHaveLength(1);
    gate.release();
    await rt.waitForIdle();
    expect((await rt.execution('narrow', 'shop/narrow#n-1'))?.status).toBe('SUCCEEDED');
    expect((await rt.execution('narrow', 'shop/narrow#n-2'))?.status).toBe('SUCCEEDED');
    expect(log.of('narrow').map((c) => (c.payload as { hold: boolean }).hold)).toEqual([true, false]);
    expect(String(throttled()?.fields.reason)).toContain('TooManyRequestsException');
  });
});
