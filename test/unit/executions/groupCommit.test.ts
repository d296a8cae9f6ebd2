import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../router/executions/groupCommit.ts';

/** A bulk write whose requests the test answers by hand, recording what each carried. */
function manualWrite() {
  const requests: {
    items: readonly number[];
    answer: (outcomes: readonly string[]) => void;
    fail: (e: Error) => void;
  }[] = [];
  const write = (items: readonly number[]) =>
    new Promise<readonly string[]>((resolve, reject) => {
      requests.push({ items, answer: resolve, fail: reject });
    });
  return { requests, write };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('sends the items of one turn of the event loop as one request, each caller getting its own outcome', async () => {
    const { requests, write } = manualWrite();
    const commit = new GroupCommit(write, { batch: 25, parallel: 4 });
    const pending = [1, 2, 3].map((n) => commit.submit(n));
    await turn();
    expect(requests.map((r) => r.items)).toEqual([[1, 2, 3]]);
    requests[0]?.answer(['a', 'b', 'c']);
    expect(await Promise.all(pending)).toEqual(['a', 'b', 'c']);
  });

  it('holds a partial request beside one in flight while items keep arriving, and sends it after a turn with none', async () => {
    const { requests, write } = manualWrite();
    const commit = new GroupCommit(write, { batch: 25, parallel: 4 });
    const first = commit.submit(1);
    await turn();
    expect(requests).toHaveLength(1);
    const later: Promise<string>[] = [];
    for (const n of [2, 3, 4]) {
      later.push(commit.submit(n));
      await turn();
      expect(requests).toHaveLength(1);
    }
    await turn();
    await turn();
    expect(requests.map((r) => r.items)).toEqual([[1], [2, 3, 4]]);
    requests[1]?.answer(['two', 'three', 'four']);
    expect(await Promise.all(later)).toEqual(['two', 'three', 'four']);
    requests[0]?.answer(['one']);
    expect(await first).toBe('one');
  });

  it('sends a full request beside one in flight, up to the parallel limit', async () => {
    const { requests, write } = manualWrite();
    const commit = new GroupCommit(write, { batch: 2, parallel: 2 });
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => commit.submit(n));
    await turn();
    expect(requests.map((r) => r.items)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    requests[0]?.answer(['1', '2']);
    await turn();
    expect(requests.map((r) => r.items)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    requests[1]?.answer(['3', '4']);
    await turn();
    requests[2]?.answer(['5', '6']);
    await turn();
    requests[3]?.answer(['7']);
    expect(await Promise.all(all)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('rejects every caller of a failed request, and later requests still go', async () => {
    const { requests, write } = manualWrite();
    const commit = new GroupCommit(write, { batch: 25, parallel: 1 });
    const failed = [commit.submit(1), commit.submit(2)];
    await turn();
    requests[0]?.fail(new Error('store unavailable'));
    for (const p of failed) await expect(p).rejects.toThrow('store unavailable');
    const next = commit.submit(3);
    await turn();
    requests[1]?.answer(['ok']);
    expect(await next).toBe('ok');
  });

  it('rejects when the bulk write answers the wrong number of outcomes', async () => {
    const { requests, write } = manualWrite();
    const commit = new GroupCommit(write, { batch: 25, parallel: 1 });
    const pending = [commit.submit(1), commit.submit(2)];
    await turn();
    requests[0]?.answer(['only one']);
    for (const p of pending) await expect(p).rejects.toThrow('answered 1 outcomes for 2 items');
  });
});
