/**
 * The outstanding invokes and timers of an execution, kept in the state as a plain array (JSON round
 * trips it), scanned while short and indexed by id beside it once long (a wide Map or Parallel). A plain
 * object keyed by id would be simpler but every unique key is interned by the JavaScript engine, which
 * costs microseconds per Task.
 */
import type { ExecutionState, PendingEffect } from './state.ts';

const indexes = new WeakMap<ExecutionState, Map<string, number>>();

/** Up to this many entries a scan beats building and keeping an index (a Task has one or two). */
const SCANNED_UP_TO = 8;

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

/** Where the entry with this id is, or -1. */
function find(state: ExecutionState, id: string): number {
  const { pending } = state;
  if (pending.length <= SCANNED_UP_TO) {
    for (let i = 0; i < pending.length; i++) if ((pending[i] as PendingEffect).effect.id === id) return i;
    return -1;
  }
  return indexOf(state).get(id) ?? -1;
}

/** The pending entry with this id. */
export function getPending(state: ExecutionState, id: string): PendingEffect | undefined {
  const i = find(state, id);
  return i < 0 ? undefined : state.pending[i];
}

/** Records an outstanding invoke or timer; an index built earlier is kept current. */
export function addPending(state: ExecutionState, entry: PendingEffect): void {
  indexes.get(state)?.set(entry.effect.id, state.pending.length);
  state.pending.push(entry);
}

/** Forgets an invoke or timer; false when it was not pending. */
export function removePending(state: ExecutionState, id: string): boolean {
  const i = find(state, id);
  if (i < 0) return false;
  const last = state.pending.pop() as PendingEffect;
  const index = indexes.get(state);
  index?.delete(id);
  if (i < state.pending.length) {
    state.pending[i] = last;
    index?.set(last.effect.id, i);
  }
  return true;
}
