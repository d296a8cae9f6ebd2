/**
 * Dispose: what becomes of a record the router cannot finish. {@link disposition} decides between
 * delivering it again and giving up; this performs the decision: counts a retryable failure and gives
 * up once it happened too often, stores a record it gives up on in the quarantine with its reason, and
 * ends that record's execution QUARANTINED so no execution stays RUNNING once its batch has reported.
 */
import type { RouterSettings } from '../config.ts';
import { disposition, errorMessage } from '../errors.ts';
import type {
  ExecutionKey,
  ExecutionLifecycle,
  ExecutionRecord,
  ExecutionStore,
} from '../executions/index.ts';
import type { RouterLogger } from '../observability/index.ts';
import type { QuarantineStore } from '../quarantine/index.ts';
import { type DecodedOk, type DecodedRecord, quarantineRecordOf } from './decode.ts';
import { describe, refOf } from './execute.ts';
import type { BatchSummary } from './report.ts';
import type { Outcome } from './schedule.ts';

/** Why a record is quarantined, and what else the entry records. */
export interface Rejection {
  readonly reason: string;
  /** Human-readable, naming the record. */
  readonly detail: string;
  readonly engine?: string;
  readonly attempts?: number;
}

/** What disposing of records needs. */
export interface DisposeDeps {
  readonly quarantine: QuarantineStore;
  readonly executions: Pick<ExecutionStore, 'recordFailure'>;
  readonly lifecycle: Pick<ExecutionLifecycle, 'giveUp'>;
  readonly settings: Pick<RouterSettings, 'maxAttempts'>;
  readonly clock: { now(): number };
  readonly logger: RouterLogger;
}

/** Performs the disposition of records that failed or cannot run. */
export class Disposer {
  constructor(private readonly deps: DisposeDeps) {}

  /**
   * A failure while handling a routed message, performed as {@link disposition} decides: deliver it
   * again, or quarantine it (at once when a redelivery cannot heal it, or once it failed too often),
   * leaving its execution in a terminal status.
   */
  async onError(d: DecodedOk, key: ExecutionKey, error: unknown, summary: BatchSummary): Promise<Outcome> {
    const decided = disposition(error);
    const message = errorMessage(error);
    if (decided.kind === 'lease-lost') return { kind: 'retry', error };
    if (decided.kind === 'give-up') {
      return this.giveUp(summary, d, key, { reason: decided.reason, detail: `${describe(d)}: ${message}` });
    }
    let attempts: number;
    try {
      attempts = await this.deps.executions.recordFailure(key, this.deps.clock.now());
    } catch (countError) {
      this.deps.logger.warn('could not count a retryable failure', {
        error: String(countError),
        ...refOf(d),
      });
      return { kind: 'retry', error };
    }
    if (attempts >= this.deps.settings.maxAttempts) {
      return this.giveUp(summary, d, key, {
        reason: 'max-attempts',
        detail: `${describe(d)}: failed ${attempts} times, last: ${message}`,
        attempts,
      });
    }
    this.deps.logger.warn('record will be retried', {
      reason: message,
      attempts,
      engine: key.engine,
      ...refOf(d),
    });
    return { kind: 'retry', error };
  }

  /** Quarantines a routed record and ends its execution QUARANTINED, so later copies are duplicates. */
  private async giveUp(
    summary: BatchSummary,
    d: DecodedOk,
    key: ExecutionKey,
    rejection: Omit<Rejection, 'engine'>,
  ): Promise<Outcome> {
    const outcome = await this.quarantine(summary, d, { ...rejection, engine: key.engine });
    if (outcome.kind !== 'done') return outcome;
    try {
      await this.deps.lifecycle.giveUp(key, 'QUARANTINED', `Router.${rejection.reason}`, rejection.detail);
    } catch (error) {
      // The quarantine entry is written (again, harmlessly, on a redelivery); an execution left RUNNING
      // is not acceptable while the store may yet answer, so a transient failure delivers the record again.
      const again = disposition(error).kind !== 'give-up';
      this.deps.logger.warn('could not mark a quarantined execution', {
        error: String(error),
        engine: key.engine,
        ...(again ? { next: 'the record is delivered again' } : {}),
        ...refOf(d),
      });
      if (again) return { kind: 'retry', error };
    }
    return outcome;
  }

  async quarantine(summary: BatchSummary, d: DecodedRecord, rejection: Rejection): Promise<Outcome> {
    try {
      await this.deps.quarantine.put({
        record: quarantineRecordOf(d),
        reason: rejection.reason,
        message: rejection.detail,
        ...(rejection.engine === undefined ? {} : { engine: rejection.engine }),
        ...(rejection.attempts === undefined ? {} : { attempts: rejection.attempts }),
      });
    } catch (error) {
      this.deps.logger.error('quarantine write failed; the record will be retried', {
        error: String(error),
        ...refOf(d),
      });
      return { kind: 'retry', error };
    }
    summary.quarantined += 1;
    this.deps.logger.warn('record quarantined', {
      reason: rejection.reason,
      detail: rejection.detail,
      ...refOf(d),
    });
    return { kind: 'done' };
  }

  /**
   * A resume from the sweep failed, performed as {@link disposition} decides: a lost lease is someone
   * else's progress; a retryable failure is tried again by a later sweep once the lease lapses, up to
   * the same attempt limit as a record; past it, or when it cannot heal, the execution ends FAILED so
   * `router redrive` can restart it, instead of being retried forever.
   */
  async onDueError(record: ExecutionRecord, error: unknown): Promise<void> {
    const fields = {
      executionId: record.executionId,
      engine: `${record.engine}@${record.version}`,
      error: String(error),
    };
    const decided = disposition(error);
    if (decided.kind === 'lease-lost') return;
    try {
      const attempts =
        decided.kind === 'retry'
          ? await this.deps.executions.recordFailure(record, this.deps.clock.now())
          : 0;
      if (decided.kind === 'retry' && attempts < this.deps.settings.maxAttempts) {
        this.deps.logger.warn('resuming a due execution failed; a later sweep retries it', {
          ...fields,
          attempts,
        });
        return;
      }
      const name = decided.kind === 'retry' ? 'Router.MaxAttempts' : 'Router.ResumeFailed';
      await this.deps.lifecycle.giveUp(record, 'FAILED', name, errorMessage(error));
      this.deps.logger.error('a due execution could not be resumed; it is now FAILED', {
        ...fields,
        attempts,
      });
    } catch (storeError) {
      this.deps.logger.warn('resuming a due execution failed; a later sweep retries it', {
        ...fields,
        storeError: String(storeError),
      });
    }
  }
}
