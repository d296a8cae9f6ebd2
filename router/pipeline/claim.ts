/**
 * Claim, first half: which routed messages may start or resume an execution. Copies of one message
 * inside the batch are duplicates without a store read; the rest are looked up together (one
 * BatchGetItem per 100 keys), so a finished execution's redelivery costs no write. The claim itself, a
 * conditional write, is part of the execution's lifecycle (`executions/ExecutionLifecycle.ts`).
 */
import type { ExecutionMode } from '../asl/index.ts';
import {
  type ExecutionKey,
  type ExecutionRecord,
  type ExecutionStore,
  executionMapKey,
  TERMINAL_STATUSES,
} from '../executions/index.ts';

/** A routed message's execution key, and what the batch found out about it. */
export interface ClaimCandidate {
  readonly key?: ExecutionKey;
  /** `executionMapKey(key)`, made once: every stage looks the execution up by it. */
  mapKey?: string;
  /** Set on the second and later copies of one message inside the batch. */
  duplicateInBatch?: boolean;
}

/**
 * Marks copies of a message already met in this batch (`seen` spans the batch's windows) and reads the
 * records of the others. Answers the records found, by map key.
 */
export async function precheck(
  candidates: readonly ClaimCandidate[],
  seen: Set<string>,
  executions: Pick<ExecutionStore, 'peek'>,
  now: number,
): Promise<ReadonlyMap<string, ExecutionRecord>> {
  const keys: ExecutionKey[] = [];
  for (const candidate of candidates) {
    if (candidate.key === undefined) continue;
    const mapKey = executionMapKey(candidate.key);
    candidate.mapKey = mapKey;
    if (seen.has(mapKey)) candidate.duplicateInBatch = true;
    else {
      seen.add(mapKey);
      keys.push(candidate.key);
    }
  }
  return keys.length === 0 ? new Map() : executions.peek(keys, now);
}

/** What a message's execution needs: nothing (it is a duplicate), or a run in a mode. */
export type Admission =
  | { readonly kind: 'duplicate'; readonly record: ExecutionRecord }
  | {
      readonly kind: 'run';
      readonly mode: ExecutionMode;
      /** The record the pre-check found (an unfinished execution to take over), or null. */
      readonly known: ExecutionRecord | null;
    };

/**
 * Decides from the pre-check's record: a finished execution answers a duplicate; an unfinished one keeps
 * the mode it started in; a new one takes its alias's mode.
 */
export function admit(existing: ExecutionRecord | undefined, aliasMode: ExecutionMode): Admission {
  if (existing === undefined) return { kind: 'run', mode: aliasMode, known: null };
  if (TERMINAL_STATUSES.has(existing.status)) return { kind: 'duplicate', record: existing };
  return { kind: 'run', mode: existing.mode, known: existing };
}
