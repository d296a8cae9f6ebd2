/**
 * The outstanding invokes and timers of an execution, kept in the state as a plain array (JSON round
 * trips it), scanned while short and indexed by id beside it once long (a wide Map or Parallel). A plain
 * object keyed by id would be simpler but every unique key is interned by the JavaScript engine, which
 * costs microseconds per Task.
 */
import type { ExecutionState, PendingEffect } from './state.ts';

/** Up to this many entries a scan beats building and keeping an index (a Task has one or two). */
const SCANNED_UP_TO = 8;

/**
 * Finds, records and forgets an execution's pending entries. Its index lives here, never in the state, so
 * the state stays exactly what it serialises to: one per run, kept by the caller from one transition to
 * the next (like `SizeBounds`). The index follows the array it was built from: a state it has not seen,
 * or entries added or removed behind its back, are indexed afresh.
 */
export class PendingIndex {
  /** The array indexed, and where each id is in it; built once a state has many entries. */
  private indexed: readonly PendingEffect[] | undefined;
  private positions: Map<string, number> | undefined;

  /** The pending entry with this id. */
  get(state: ExecutionState, id: string): PendingEffect | undefined {
    const i = this.find(state, id);
    return i < 0 ? undefined : state.pending[i];
  }

  /** Records an outstanding invoke or timer. */
  add(state: ExecutionState, entry: PendingEffect): void {
    this.current(state)?.set(entry.effect.id, state.pending.length);
    state.pending.push(entry);
  }

  /** Forgets an invoke or timer; false when it was not pending. */
  remove(state: ExecutionState, id: string): boolean {
    const i = this.find(state, id);
    if (i < 0) return false;
    const { pending } = state;
    const positions = this.current(state);
    const last = pending.pop() as PendingEffect;
    positions?.delete(id);
    if (i < pending.length) {
      pending[i] = last;
      positions?.set(last.effect.id, i);
    }
    return true;
  }

  /** The index, when it describes this state's entries as they are. */
  private current(state: ExecutionState): Map<string, number> | undefined {
    const { positions } = this;
    return this.indexed === state.pending && positions?.size === state.pending.length ? positions : undefined;
  }

  /** Where the entry with this id is, or -1. */
  private find(state: ExecutionState, id: string): number {
    const { pending } = state;
    if (pending.length <= SCANNED_UP_TO) {
      for (let i = 0; i < pending.length; i++) if ((pending[i] as PendingEffect).effect.id === id) return i;
      return -1;
    }
    let positions = this.current(state);
    if (positions === undefined) {
      positions = new Map();
      for (let i = 0; i < pending.length; i++) positions.set((pending[i] as PendingEffect).effect.id, i);
      this.positions = positions;
      this.indexed = pending;
    }
    return positions.get(id) ?? -1;
  }
}
