/**
 * The outstanding invokes and timers of an execution, kept in the state as a plain array (JSON round
 * trips it) with an id index cached beside it. A plain object keyed by id would be simpler but every
 * unique key is interned by the JavaScript engine, which costs microseconds per Task.
 */
import type { ExecutionState, PendingEffect } from './state.ts';

const indexes = new WeakMap<ExecutionState, Map<string, number>>();

function indexOf(state: ExecutionState): Map<string, number> {
  let index = indexes.get(state);
  if (index === undefined || index.size !== state.pending.length) {
    index = new Map();
    for (let i = 0; i < state.pending.length; i++)
      index.set((state.pending[i] as PendingEffect).effect.id, i);
    indexes.set(state, index);
  }
  return index;
}

/** The pending entry with this id. */
export function getPending(state: ExecutionState, id: string): PendingEffect | undefined {
  const i = indexOf(state).get(id);
  return i === undefined ? undefined : state.pending[i];
}

/** Records an outstanding invoke or timer. */
export function addPending(state: ExecutionState, entry: PendingEffect): void {
  const index = indexOf(state);
  index.set(entry.effect.id, state.pending.length);
  state.pending.push(entry);
}

/** Forgets an invoke or timer; false when it was not pending. */
export function removePending(state: ExecutionState, id: string): boolean {
  const index = indexOf(state);
  const i = index.get(id);
  if (i === undefined) return false;
  const last = state.pending.pop() as PendingEffect;
  index.delete(id);
  if (i < state.pending.length) {
    state.pending[i] = last;
    index.set(last.effect.id, i);
  }
  return true;
}
