import { describe, expect, it } from 'vitest';
import { taskToken } from '../../../router/asl/index.ts';
import type { TaskTokenSecrets } from '../../../router/config.ts';
import { isRetryable } from '../../../router/errors.ts';
import { TaskTokenKeyring, TaskTokenSecretError } from '../../../router/security/index.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const V1 = 'one-'.repeat(12);
const V2 = 'two-'.repeat(12);
const V3 = 'three-'.repeat(8);

/** A token for one waiting task, signed with `secret`. */
function tokenSignedWith(secret: string, invokeId = 'Approve#1.0'): string {
  return taskToken(new TextEncoder().encode(secret), 'orders:abc', invokeId, T0);
}

const LOCATOR = { executionId: 'orders:abc', startTime: T0, invokeId: 'Approve#1.0' };

/** A keyring over a secret whose versions the test rotates, on a clock the test moves. */
function rotatingKeyring(initial: TaskTokenSecrets, minReloadIntervalMs = 10_000) {
  const state: { secrets: TaskTokenSecrets; reads: number; now: number; fail: Error | undefined } = {
    secrets: initial,
    reads: 0,
    now: T0,
    fail: undefined,
  };
  const logged: string[] = [];
  const keyring = new TaskTokenKeyring(initial, {
    reload: async () => {
      state.reads += 1;
      if (state.fail !== undefined) throw state.fail;
      return state.secrets;
    },
    minReloadIntervalMs,
    now: () => state.now,
    logger: { info: (message) => logged.push(message), warn: (message) => logged.push(message) },
  });
  return { keyring, state, logged };
}

describe('the task-token keyring', () => {
  it('signs with the current secret and verifies tokens of the current and the previous one', async () => {
    // Prepare
    const keyring = new TaskTokenKeyring({ current: V2, previous: [V1] });

    // Act
    const signing = new TextDecoder().decode(keyring.signingSecret());
    const current = await keyring.verify(tokenSignedWith(V2));
    const previous = await keyring.verify(tokenSignedWith(V1));
    const foreign = await keyring.verify(tokenSignedWith(V3));

    // Assess
    expect(signing).toBe(V2);
    expect(current).toEqual(LOCATOR);
    expect(previous).toEqual(LOCATOR);
    expect(foreign).toEqual({
      invalid: 'the token was not issued by this deployment (its signature does not match)',
    });
  });

  it('refuses a valid-looking locator with a wrong mac, without reading anything when the secret cannot change', async () => {
    // Prepare
    const keyring = new TaskTokenKeyring({ current: V1, previous: [] });
    const real = tokenSignedWith(V1);
    const forged = `${real.slice(0, real.indexOf('.'))}.${tokenSignedWith(V3).split('.')[1]}`;

    // Act
    const verdict = await keyring.verify(forged);

    // Assess
    expect(verdict).toHaveProperty('invalid');
  });

  it('reads the secret again when a token matches no known version, and then signs with the new one', async () => {
    // Prepare: this process started before the rotation; another one signed with the new version
    const { keyring, state, logged } = rotatingKeyring({ current: V1, previous: [] });
    state.secrets = { current: V2, previous: [V1] };
    state.now = T0 + 60_000;

    // Act
    const newer = await keyring.verify(tokenSignedWith(V2));
    const older = await keyring.verify(tokenSignedWith(V1));

    // Assess
    expect(newer).toEqual(LOCATOR);
    expect(older).toEqual(LOCATOR);
    expect(state.reads).toBe(1);
    expect(new TextDecoder().decode(keyring.signingSecret())).toBe(V2);
    expect(logged).toEqual(['task-token secret rotated: new tokens are signed with the new current version']);
  });

  it('reads at most once per interval, and concurrent misses share one read', async () => {
    // Prepare
    const { keyring, state } = rotatingKeyring({ current: V1, previous: [] }, 10_000);
    const forged = tokenSignedWith(V3);

    // Act
    const early = await keyring.verify(forged);
    state.now += 10_000;
    const burst = await Promise.all([keyring.verify(forged), keyring.verify(forged), keyring.verify(forged)]);
    const readsAfterBurst = state.reads;
    state.now += 9_999;
    await keyring.verify(forged);

    // Assess
    expect(early).toHaveProperty('invalid');
    expect(burst.every((verdict) => 'invalid' in verdict)).toBe(true);
    expect(readsAfterBurst).toBe(1);
    expect(state.reads).toBe(1);
  });

  it('refuses a token signed two rotations ago', async () => {
    // Prepare
    const { keyring, state } = rotatingKeyring({ current: V2, previous: [V1] });
    state.secrets = { current: V3, previous: [V2] };
    state.now += 60_000;
    await keyring.verify(tokenSignedWith(V3));

    // Act
    const stale = await keyring.verify(tokenSignedWith(V1));

    // Assess
    expect(stale).toHaveProperty('invalid');
  });

  it('turns a failed read into a TaskTokenSecretError, retryable when the failure is transient, keeping what it knew', async () => {
    // Prepare
    const { keyring, state } = rotatingKeyring({ current: V1, previous: [] });
    state.fail = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    state.now += 60_000;

    // Act
    const throttled: unknown = await keyring.verify(tokenSignedWith(V2)).catch((error: unknown) => error);
    state.fail = Object.assign(new Error('not authorized to perform GetSecretValue'), {
      name: 'AccessDeniedException',
    });
    state.now += 60_000;
    const denied: unknown = await keyring.verify(tokenSignedWith(V2)).catch((error: unknown) => error);

    // Assess
    expect(throttled).toBeInstanceOf(TaskTokenSecretError);
    expect(isRetryable(throttled)).toBe(true);
    expect(denied).toBeInstanceOf(TaskTokenSecretError);
    expect(isRetryable(denied)).toBe(false);
    expect(denied instanceof Error ? denied.message : '').toMatch(
      /matches no known secret, and reading the task-token secret again failed: not authorized/,
    );
    expect(await keyring.verify(tokenSignedWith(V1))).toEqual(LOCATOR);
  });

  it('reads again in the background once its secrets are an hour old, signing meanwhile with the one held', async () => {
    // Prepare: a rotation happened; no token of the new version ever reached this process
    const { keyring, state, logged } = rotatingKeyring({ current: V1, previous: [] });
    state.secrets = { current: V2, previous: [V1] };
    state.now = T0 + 3_599_999;
    const young = new TextDecoder().decode(keyring.signingSecret());
    state.now = T0 + 3_600_000;

    // Act
    const meanwhile = new TextDecoder().decode(keyring.signingSecret());
    await keyring.verify(tokenSignedWith(V1));
    const after = new TextDecoder().decode(keyring.signingSecret());

    // Assess
    expect([young, meanwhile, after]).toEqual([V1, V1, V2]);
    expect(state.reads).toBe(1);
    expect(logged).toEqual(['task-token secret rotated: new tokens are signed with the new current version']);
  });

  it('keeps signing with the secret it holds when that background read fails, and says so', async () => {
    // Prepare
    const { keyring, state, logged } = rotatingKeyring({ current: V1, previous: [] });
    state.fail = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    state.now = T0 + 3_600_000;

    // Act
    keyring.signingSecret();
    await new Promise((resolve) => setImmediate(resolve));
    const held = new TextDecoder().decode(keyring.signingSecret());
    const readsAtOnce = state.reads;
    state.now += 10_000;
    keyring.signingSecret();
    await new Promise((resolve) => setImmediate(resolve));

    // Assess: tried again after the re-read interval, not an hour later
    expect(held).toBe(V1);
    expect(readsAtOnce).toBe(1);
    expect(state.reads).toBe(2);
    expect(logged).toEqual([
      'reading the task-token secret again failed; signing with the one held',
      'reading the task-token secret again failed; signing with the one held',
    ]);
  });
});
