/**
 * The crash test: messages flow through a standard engine (three Tasks, a durable Wait and a Map) while
 * the router process is killed with SIGKILL at random moments and started again. Afterwards every
 * execution has SUCCEEDED and the steps' effect table holds exactly one effect per message and step;
 * the re-invocations the kills caused are printed.
 *
 * The suite runs CRASH_MESSAGES (default 200) messages through CRASH_KILLS (default 20) kills, which fits
 * the suite's time on a shared two-core machine whatever its load; `npm run test:crash` runs the full
 * 2,000 messages (123 s measured here, longer when the machine is busy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProducerEvent } from '../../../router/producer/Producer.ts';
import { stepArn } from '../router/graphs.ts';
import { type CrashStack, type RouterChild, startCrashStack, statusCounts } from './crashStack.ts';

const MESSAGES = Number(process.env.CRASH_MESSAGES ?? '200');
const KILLS = Number(process.env.CRASH_KILLS ?? '20');
const ITEMS = 2;

/** Reserve -> Price -> Pause (Wait 1 s, durable) -> Pack (Map, one Task per item) -> Notify. */
const GRAPH = JSON.stringify({
  StartAt: 'Reserve',
  States: {
    Reserve: { Type: 'Task', Resource: stepArn('reserve'), ResultPath: '$.reserved', Next: 'Price' },
    Price: { Type: 'Task', Resource: stepArn('price'), ResultPath: '$.priced', Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 1, Next: 'Pack' },
    Pack: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'PackItem',
        States: { PackItem: { Type: 'Task', Resource: stepArn('pack'), End: true } },
      },
      ResultPath: '$.packed',
      Next: 'Notify',
    },
    Notify: { Type: 'Task', Resource: stepArn('notify'), ResultPath: '$.notified', End: true },
  },
});

const echo = (payload: unknown): unknown => ({ ok: true, saw: typeof payload });

let crash: CrashStack;
beforeAll(async () => {
  crash = await startCrashStack(
    { reserve: echo, price: echo, pack: echo, notify: echo },
    {
      // Waits park durably; a dead owner's lease runs out quickly so its work is taken over soon.
      ROUTER_MAX_INPROCESS_WAIT_MS: '0',
      ROUTER_LEASE_MS: '1500',
      ROUTER_MAX_ATTEMPTS: '1000',
    },
  );
  await crash.publish('crash', GRAPH);
}, 60_000);

afterAll(async () => {
  await crash?.stop();
});

function messages(from: number, to: number): ProducerEvent[] {
  const events: ProducerEvent[] = [];
  for (let i = from; i < to; i += 1) {
    events.push({
      partitionKey: `customer-${i % 97}`,
      data: {
        specversion: '1.0',
        id: `order-${i}`,
        source: 'crash/test',
        type: 'order.created',
        engine: 'crash',
        data: { order: i, items: Array.from({ length: ITEMS }, (_, k) => ({ sku: `s${k}` })) },
      },
    });
  }
  return events;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash test', () => {
  it(
    `every execution succeeds with one effect per message and step despite ${KILLS} SIGKILLs`,
    async () => {
      // Prepare
      const started = Date.now();
      let router: RouterChild = await crash.startRouter();
      const chunk = Math.ceil(MESSAGES / 4);
      let put = 0;
      // Act: put the messages in four rounds while killing the router at random moments
      for (let kill = 0; kill < KILLS; kill += 1) {
        if (put < MESSAGES && kill % Math.max(1, Math.floor(KILLS / 4)) === 0) {
          await crash.put(messages(put, Math.min(MESSAGES, put + chunk)));
          put = Math.min(MESSAGES, put + chunk);
        }
        await sleep(200 + Math.floor(Math.random() * 1_300));
        await router.kill();
        router = await crash.startRouter();
      }
      if (put < MESSAGES) await crash.put(messages(put, MESSAGES));
      const killed = Date.now();
      let counts: Record<string, number> = {};
      const deadline = Date.now() + Math.max(150_000, MESSAGES * 300);
      for (;;) {
        counts = await statusCounts(crash, 'crash');
        if ((counts.SUCCEEDED ?? 0) + (counts.FAILED ?? 0) === MESSAGES || Date.now() > deadline) break;
        if (process.env.CRASH_PROGRESS === '1')
          process.stdout.write(
            `${((Date.now() - started) / 1000).toFixed(1)} s ${JSON.stringify(counts)} batches ${router.batches}\n`,
          );
        await sleep(1_000);
      }
      await router.kill();
      // Assess
      const effects = await crash.effectCount();
      const invocations = [...crash.calls.values()].reduce((sum, n) => sum + n, 0);
      const reinvoked = invocations - crash.calls.size;
      const stepsPerMessage = 3 + ITEMS;
      process.stdout.write(
        `crash test: ${MESSAGES} messages, ${KILLS} kills, ${invocations} step invocations for ${crash.calls.size} effects: ${reinvoked} re-invocations caused by the kills (${((Date.now() - started) / 1000).toFixed(1)} s, ${((killed - started) / 1000).toFixed(1)} s of them killing)\n`,
      );
      const failures = (await crash.executions.list({ engine: 'crash', status: 'FAILED', limit: 5 })).map(
        (r) => `${r.error}: ${r.cause}`,
      );
      expect(failures).toEqual([]);
      expect(counts).toEqual({ SUCCEEDED: MESSAGES });
      expect(effects).toBe(MESSAGES * stepsPerMessage);
      expect(crash.calls.size).toBe(MESSAGES * stepsPerMessage);
    },
    Math.max(240_000, MESSAGES * 400),
  );
});
