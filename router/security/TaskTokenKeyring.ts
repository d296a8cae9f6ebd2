/**
 * The task-token secrets one router process holds: the current one signs new tokens, the current and
 * the previous ones verify callbacks. When a token matches none of them, the keyring reads the secret
 * again (once, shared by concurrent callbacks, at most once per `minReloadIntervalMs`) before refusing
 * it, because a rotation may have happened since this process started:
 *
 * ```
 * rotation            v1 current ─────────────┬─> v2 current, v1 previous
 * router A (warm)     knows v1 ───────────────┼──────────── token signed v2 arrives: miss -> read -> knows v2, v1: accepted
 * router B (cold)                             └─ knows v2, v1; signs v2; accepts v1 tokens A signed
 * ```
 *
 * A token signed with a version older than AWSPREVIOUS (two rotations ago) is refused. A router that
 * receives no such token still learns of a rotation: once its secrets are older than `maxAgeMs`, signing
 * a token starts a read in the background (that token is signed with the secret it holds, which stays
 * valid as AWSPREVIOUS), so no warm router goes on signing with a version the others have dropped.
 */
import { parseTaskToken, type TaskTokenLocator } from '../asl/index.ts';
import type { TaskTokenSecrets } from '../config.ts';
import { errorMessage, isRetryableAwsError } from '../errors.ts';
import type { RouterLogger } from '../observability/index.ts';
import { TaskTokenSecretError } from './errors.ts';

/** Checks a callback's task token: the locator of the execution it names, or why it is refused. */
export type TaskTokenVerifier = (token: string) => Promise<TaskTokenLocator | { readonly invalid: string }>;

/** What a router hands the callback stage: the one way it checks a token. */
export interface TaskTokenDeps {
  readonly verifyTaskToken: TaskTokenVerifier;
}

/** Least time between two reads triggered by unknown tokens: a flood of forged tokens costs one read. */
export const DEFAULT_MIN_RELOAD_INTERVAL_MS = 10_000;

/** Age after which signing a token reads the secrets again: an hour, as Secrets Manager's caching clients do. */
const DEFAULT_MAX_AGE_MS = 3_600_000;

/** How the keyring refreshes its secrets; without `reload` (secrets from the environment) it never does. */
export interface TaskTokenKeyringOptions {
  /** Reads the secrets again (from Secrets Manager); absent when they cannot change while the process runs. */
  readonly reload?: () => Promise<TaskTokenSecrets>;
  /** Default {@link DEFAULT_MIN_RELOAD_INTERVAL_MS}. */
  readonly minReloadIntervalMs?: number;
  /** Default one hour; a rotation period must be longer than this for tokens to stay valid across it. */
  readonly maxAgeMs?: number;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
  readonly logger?: Pick<RouterLogger, 'info' | 'warn'>;
}

interface Keys {
  readonly currentText: string;
  /** Current first, then the previous ones: the order tokens are checked in. */
  readonly all: readonly Uint8Array[];
}

function keysOf(secrets: TaskTokenSecrets): Keys {
  const texts = [secrets.current, ...secrets.previous.filter((secret) => secret !== secrets.current)];
  const encoder = new TextEncoder();
  return { currentText: secrets.current, all: texts.map((text) => encoder.encode(text)) };
}

/** Signs with the current task-token secret and verifies against the current and previous ones. */
export class TaskTokenKeyring {
  private keys: Keys;
  private readonly reload: (() => Promise<TaskTokenSecrets>) | undefined;
  private readonly minReloadIntervalMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly logger: Pick<RouterLogger, 'info' | 'warn'> | undefined;
  /** When the secrets were last read (construction counts: they were read just before). */
  private readAt: number;
  private reading: Promise<void> | undefined;

  constructor(secrets: TaskTokenSecrets, options: TaskTokenKeyringOptions = {}) {
    this.keys = keysOf(secrets);
    this.reload = options.reload;
    this.minReloadIntervalMs = options.minReloadIntervalMs ?? DEFAULT_MIN_RELOAD_INTERVAL_MS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.readAt = this.now();
  }

  /**
   * The secret new tokens are signed with: the current one as last read. When that read is older than
   * `maxAgeMs`, a new one starts in the background; a failure is logged, the secrets held are kept, and
   * the read is tried again after `minReloadIntervalMs`.
   */
  signingSecret(): Uint8Array {
    const reload = this.reload;
    if (reload !== undefined && this.reading === undefined && this.now() - this.readAt >= this.maxAgeMs) {
      this.readOnce(reload).catch((error: unknown) => {
        // Tried again at a signing after the re-read interval, not an hour later.
        this.readAt = this.now() - this.maxAgeMs + this.minReloadIntervalMs;
        this.logger?.warn('reading the task-token secret again failed; signing with the one held', {
          error: errorMessage(error),
        });
      });
    }
    const current = this.keys.all[0];
    if (current === undefined)
      throw new TaskTokenSecretError('the task-token keyring holds no secret', false);
    return current;
  }

  /**
   * Checks a token against the current, then the previous secrets; on a miss, reads the secrets again
   * if allowed and checks once more. Throws {@link TaskTokenSecretError} (retryable when the read failed
   * transiently) when that read fails, so the callback is delivered again rather than refused.
   */
  readonly verify: TaskTokenVerifier = async (token) => {
    const first = this.check(token);
    if (!('invalid' in first) || this.reload === undefined) return first;
    if (this.reading === undefined && this.now() - this.readAt < this.minReloadIntervalMs) return first;
    await this.readOnce(this.reload);
    return this.check(token);
  };

  /** The read in flight, or a new one: concurrent callers share it. */
  private readOnce(reload: () => Promise<TaskTokenSecrets>): Promise<void> {
    this.reading ??= this.readAgain(reload).finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private check(token: string): TaskTokenLocator | { readonly invalid: string } {
    let refusal: { readonly invalid: string } | undefined;
    for (const secret of this.keys.all) {
      const result = parseTaskToken(secret, token);
      if (!('invalid' in result)) return result;
      refusal ??= result;
    }
    return refusal ?? { invalid: 'no task-token secret to check it with' };
  }

  private async readAgain(reload: () => Promise<TaskTokenSecrets>): Promise<void> {
    this.readAt = this.now();
    let secrets: TaskTokenSecrets;
    try {
      secrets = await reload();
    } catch (error) {
      throw new TaskTokenSecretError(
        `a callback's task token matches no known secret, and reading the task-token secret again failed: ${errorMessage(error)}`,
        isRetryableAwsError(error),
        { cause: error },
      );
    }
    const rotated = secrets.current !== this.keys.currentText;
    this.keys = keysOf(secrets);
    if (rotated) {
      this.logger?.info('task-token secret rotated: new tokens are signed with the new current version', {
        previousVersions: secrets.previous.length,
      });
    }
  }
}
