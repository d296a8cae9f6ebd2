/**
 * Deterministic randomness and task tokens. MathRandom, UUID and FULL jitter draw from a hash of the
 * execution id and a counter kept in the execution state, so replaying an execution from a checkpoint
 * gives the same values; task tokens are an HMAC of the invoke, so they are stable and unguessable.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IntrinsicEnv } from '../expressions/intrinsics.ts';
import type { ExecutionState } from './state.ts';

function draw(state: ExecutionState): Buffer {
  const n = state.draws;
  state.draws = n + 1;
  return createHash('sha256').update(`${state.context.executionId}\u0000${n}`).digest();
}

/** A number in [0, 1) from the execution's deterministic stream; advances `state.draws`. */
export function nextRandom(state: ExecutionState): number {
  return draw(state).readUIntBE(0, 6) / 2 ** 48;
}

/** A version-4-shaped UUID from the execution's deterministic stream; advances `state.draws`. */
export function nextUuid(state: ExecutionState): string {
  const bytes = draw(state).subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The intrinsic environment of one execution (MathRandom, UUID), drawing from its state. */
export function executionEnv(state: ExecutionState): IntrinsicEnv {
  return new ExecutionEnv(state);
}

class ExecutionEnv implements IntrinsicEnv {
  constructor(private readonly state: ExecutionState) {}
  random(): number {
    return nextRandom(this.state);
  }
  uuid(): string {
    return nextUuid(this.state);
  }
}

/** Task token of an invoke: base64url HMAC-SHA256 over the execution id and the invoke id. */
export function taskToken(secret: Uint8Array, executionId: string, invokeId: string): string {
  return createHmac('sha256', secret).update(`${executionId}\u0000${invokeId}`).digest('base64url');
}
