/**
 * Errors about the task-token secret itself: it cannot be read, or what was read cannot sign tokens.
 * They name the secret (its ARN and staging label or version), never its value.
 */
import { RouterError, type RouterErrorOptions } from '../errors.ts';

/**
 * The task-token secret could not be read or is unusable. At cold start it fails the init; while
 * checking a callback it is retryable when the read failed for a transient reason (throttling, an
 * outage), so the callback is delivered again instead of being refused.
 */
export class TaskTokenSecretError extends RouterError {
  override readonly name = 'TaskTokenSecretError';

  constructor(message: string, retryable: boolean, options: RouterErrorOptions = {}) {
    super(message, retryable, options);
  }
}
