import { describe, expect, it } from 'vitest';
import { inChunks } from '../../../router/executions/inChunks.ts';

/** Resolves after the current macrotask, so several slices are in flight together. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('inChunks', () => {
  it('hands every item over once, in slices of the size, at most `parallel` at a time', async () => {
    // Prepare
    const items = Array.from({ length: 103 }, (_, i) => i);
    const seen: number[][] = [];
    let inFlight = 0;
    let most = 0;

    // Act
    await inChunks(
      items,
      25,
      async (chunk) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await tick();
        seen.push(chunk);
        inFlight -= 1;
      },
      2,
    );

    // Assess
    expect(seen.flat().sort((a, b) => a - b)).toEqual(items);
    expect(seen.map((chunk) => chunk.length).sort((a, b) => a - b)).toEqual([3, 25, 25, 25, 25]);
    expect(most).toBe(2);
  });

  it('starts no slice after a failure and rejects with it once the started ones have settled', async () => {
    // Prepare
    const started: number[] = [];
    const settled: number[] = [];

    // Act
    const outcome = await inChunks(
      Array.from({ length: 10 }, (_, i) => i),
      1,
      async ([item = -1]) => {
        started.push(item);
        await tick();
        if (item === 1) throw new Error('store unavailable');
        await tick();
        settled.push(item);
      },
      3,
    ).catch((error: unknown) => error);

    // Assess
    expect(outcome).toEqual(new Error('store unavailable'));
    expect(started).toEqual([0, 1, 2]);
    expect(settled.sort()).toEqual([0, 2]);
  });

  it('does nothing for no items', async () => {
    // Act
    let calls = 0;
    await inChunks([], 25, async () => {
      calls += 1;
    });

    // Assess
    expect(calls).toBe(0);
  });
});
