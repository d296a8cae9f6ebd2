/**
 * Deterministic randomness and task tokens. MathRandom, UUID and FULL jitter draw from a hash of the
 * execution id and a counter kept in the execution state, so replaying an execution from a checkpoint
 * gives the same values; task tokens are an HMAC of the invoke, so they are stable and unguessable.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

/**
 * Task token of an invoke: `<locator>.<mac>`. The locator (base64url of execution id, start time and
 * invoke id) lets whoever receives a callback find the execution without a token table or an extra
 * write when the task starts; the mac (HMAC-SHA256 over the same text) makes the token unguessable and
 * binds it to that execution and that visit of the state. Without a start time the token is the bare mac
 * (the form of interpreter-only runs that never need to find an execution again).
 */
export function taskToken(
  secret: Uint8Array,
  executionId: string,
  invokeId: string,
  startTime?: number,
): string {
  if (startTime === undefined) {
    return createHmac('sha256', secret).update(`${executionId}\u0000${invokeId}`).digest('base64url');
  }
  const text = `${executionId}\u0000${startTime}\u0000${invokeId}`;
  const mac = createHmac('sha256', secret).update(text).digest('base64url');
  return `${Buffer.from(text, 'utf8').toString('base64url')}.${mac}`;
}

/** Where a task token points: the execution (id and start time) and the invoke waiting for it. */
export interface TaskTokenLocator {
  readonly executionId: string;
  readonly startTime: number;
  readonly invokeId: string;
}

/**
 * Reads the locator of a token made by {@link taskToken} and checks its mac against `secret`, so a
 * forged or foreign token is refused before any store is read. Returns why it was refused otherwise.
 */
export function parseTaskToken(
  secret: Uint8Array,
  token: string,
): TaskTokenLocator | { readonly invalid: string } {
  const locator = readTaskTokenLocator(token);
  if ('invalid' in locator) return locator;
  const dot = token.indexOf('.');
  const text = Buffer.from(token.slice(0, dot), 'base64url').toString('utf8');
  const expected = createHmac('sha256', secret).update(text).digest();
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { invalid: 'the token was not issued by this deployment (its signature does not match)' };
  }
  return locator;
}

/**
 * Reads a token's locator without checking its mac: for a client that does not hold the deployment's
 * secret (`router task` on an operator's machine), and to tell this runtime's tokens from Step
 * Functions' own. Safe, because a token is only ever accepted when it equals, in full, a token its
 * execution's checkpoint waits for.
 */
export function readTaskTokenLocator(token: string): TaskTokenLocator | { readonly invalid: string } {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) {
    return { invalid: 'the token is not of the form <locator>.<mac>' };
  }
  const parts = Buffer.from(token.slice(0, dot), 'base64url').toString('utf8').split('\u0000');
  const [executionId, startText, invokeId] = parts;
  const startTime = Number(startText);
  if (parts.length !== 3 || !executionId || !invokeId || !Number.isSafeInteger(startTime)) {
    return { invalid: 'the token locator does not name an execution and a task' };
  }
  return { executionId, startTime, invokeId };
}
