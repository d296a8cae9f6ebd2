import { getEventListeners } from 'node:events';
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

  it('fires a timer when time reaches it, unless cancelled first', () => {
    // Prepare
    const clock = new VirtualClock(0, { auto: false });
    const fired: [string, number][] = [];
    clock.timer(100, () => fired.push(['kept', clock.now()]));
    const cancel = clock.timer(50, () => fired.push(['cancelled', clock.now()]));

    // Act
    cancel();
    clock.advance(200);
    cancel();

    // Assess
    expect(fired).toEqual([['kept', 100]]);
    expect(clock.pending).toBe(0);
  });

  it('stops listening on the signal of a sleep that ended', async () => {
    // Prepare
    const clock = new VirtualClock(0);
    const controller = new AbortController();

    // Act
    await clock.sleep(1_000, controller.signal);

    // Assess
    expect(clock.now()).toBe(1_000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
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
    expect(Date.now() - before).toBeLessThan(30_000);
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

  it('stops listening on the signal of a sleep that ended', async () => {
    const controller = new AbortController();

    await systemClock.sleep(0, controller.signal);

    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('fires a timer, and never one cancelled before it was due', async () => {
    // Prepare
    const { timer } = systemClock;
    if (timer === undefined) throw new Error('systemClock has no timer');
    const fired: string[] = [];

    // Act: the later timer fires after the cancelled one would have
    const cancel = timer(1, () => fired.push('cancelled'));
    cancel();
    await new Promise<void>((resolve) => timer(5, resolve));

    // Assess
    expect(fired).toEqual([]);
  });
});
