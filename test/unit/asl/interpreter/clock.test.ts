import { describe, expect, it } from 'vitest';
import { systemClock, VirtualClock } from '../../../../router/asl/interpreter/index.ts';

describe('VirtualClock', () => {
  it('jumps to the earliest sleeper once the process is idle, waking sleepers in due order', async () => {
    // Prepare
    const clock = new VirtualClock(1_000);
    const woke: [string, number][] = [];
    const sleep = async (name: string, ms: number) => {
      await clock.sleep(ms);
      woke.push([name, clock.now()]);
    };

    // Act
    await Promise.all([
      sleep('late', 5_000),
      sleep('early', 2_000),
      sleep('same-a', 3_000),
      sleep('same-b', 3_000),
    ]);

    // Assess
    expect(woke).toEqual([
      ['early', 3_000],
      ['same-a', 4_000],
      ['same-b', 4_000],
      ['late', 6_000],
    ]);
  });

  it('lets promise work finish before moving time', async () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    const work = (async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      order.push(`work at ${clock.now()}`);
    })();

    await clock.sleep(10_000);
    order.push(`sleeper at ${clock.now()}`);
    await work;

    expect(order).toEqual(['work at 0', 'sleeper at 10000']);
  });

  it('wakes an aborted sleeper at once without moving time', async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);

    controller.abort();
    await sleeping;

    expect(clock.now()).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('moves only when told with auto off', () => {
    const clock = new VirtualClock(0, { auto: false });
    let woke = false;
    void clock.sleep(100).then(() => {
      woke = true;
    });

    clock.advance(50);
    expect([clock.now(), clock.pending]).toEqual([50, 1]);
    clock.advanceTo(100);
    expect([clock.now(), clock.pending]).toEqual([100, 0]);
    expect(woke).toBe(false); // resolution is asynchronous
  });
});

describe('systemClock', () => {
  it('reads the wall clock and resolves an aborted sleep without rejecting', async () => {
    const controller = new AbortController();
    const before = Date.now();
    const sleeping = systemClock.sleep(60_000, controller.signal);

    controller.abort();
    await sleeping;

    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    expect(Date.now() - before).toBeLessThan(5_000);
  });

  it('does not fire a sleep longer than a Node timer allows early', async () => {
    const controller = new AbortController();
    let woke = false;
    const sleeping = systemClock.sleep(2 ** 40, controller.signal).then(() => {
      woke = true;
    });

    await new Promise((resolve) => setTimeout(resolve, 30));
    const early = woke;
    controller.abort();
    await sleeping;

    expect(early).toBe(false);
  });
});
