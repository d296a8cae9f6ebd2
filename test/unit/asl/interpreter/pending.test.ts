import { describe, expect, it } from 'vitest';
import {
  type ExecutionState,
  PendingIndex,
  startExecution,
} from '../../../../router/asl/interpreter/index.ts';
import type { PendingEffect } from '../../../../router/asl/interpreter/state.ts';
import { graphOf, T0, task } from './helpers.ts';

/** A running execution's state, waiting on `count` timers `prefix0..` (the wide case is indexed). */
function stateWaitingOn(count: number, prefix = 't'): ExecutionState {
  const graph = graphOf('A', { A: task('a') });
  const { state } = startExecution(graph, { executionId: 'p', input: {}, startTime: T0 }, T0);
  state.pending = timers(count, prefix);
  return state;
}

function timers(count: number, prefix: string): PendingEffect[] {
  return Array.from({ length: count }, (_, i) => ({
    effect: { type: 'timer', id: `${prefix}${i}`, dueAt: T0 + i, reason: 'wait' },
    loc: [i],
  }));
}

describe('PendingIndex', () => {
  it('finds, adds and removes entries of a wide state', () => {
    // Prepare
    const state = stateWaitingOn(20);
    const index = new PendingIndex();

    // Act
    const found = index.get(state, 't7');
    const removed = [index.remove(state, 't3'), index.remove(state, 't19'), index.remove(state, 't3')];
    index.add(state, { effect: { type: 'timer', id: 'extra', dueAt: T0, reason: 'retry' }, loc: [] });

    // Assess
    expect(found?.loc).toEqual([7]);
    expect(removed).toEqual([true, true, false]);
    expect(index.get(state, 't3')).toBeUndefined();
    expect(index.get(state, 'extra')?.effect.id).toBe('extra');
    for (const entry of state.pending) expect(index.get(state, entry.effect.id)).toBe(entry);
    expect(state.pending).toHaveLength(19);
  });

  it('indexes afresh a state whose entries were replaced or added without it', () => {
    // Prepare
    const state = stateWaitingOn(12, 'old');
    const index = new PendingIndex();
    index.get(state, 'old0');

    // Act: replaced by an array of the same length (as a redrive does), then grown behind its back
    state.pending = timers(12, 'new');
    const afterReplace = [index.get(state, 'old5'), index.get(state, 'new5')?.loc];
    state.pending.push({ effect: { type: 'timer', id: 'pushed', dueAt: T0, reason: 'wait' }, loc: [] });

    // Assess
    expect(afterReplace).toEqual([undefined, [5]]);
    expect(index.get(state, 'pushed')?.effect.id).toBe('pushed');
  });

  it('keeps nothing of one state once another is indexed', () => {
    // Prepare
    const first = stateWaitingOn(10, 'a');
    const second = stateWaitingOn(10, 'b');
    const index = new PendingIndex();

    // Act
    index.get(first, 'a1');
    const fromSecond = index.get(second, 'a1');
    const ownOfSecond = index.get(second, 'b1');

    // Assess
    expect(fromSecond).toBeUndefined();
    expect(ownOfSecond?.loc).toEqual([1]);
    expect(JSON.parse(JSON.stringify(second))).toEqual(second);
  });
});
