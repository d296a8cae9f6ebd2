/**
 * Workflow errors with the names the Amazon States Language gives them, so Retry and Catch rules match on
 * `name` exactly as Step Functions does.
 *
 * Step Functions reports three of the spec's names (`States.IntrinsicFailure`, `States.ParameterPathFailure`,
 * `States.NoChoiceMatched`) as `States.Runtime`, and `States.Runtime` can be neither retried nor caught
 * (a `States.ALL` rule does not see it). This runtime does the same, so a state machine behaves here as it
 * does on AWS; the finer spec name is kept in {@link StatesError.specError} for logs and tests.
 */

import type { JsonValue } from './types.ts';

/** The error names the spec reserves (all begin with `States.`). */
export const STATES_ERRORS = {
  ALL: 'States.ALL',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  Timeout: 'States.Timeout',
  TaskFailed: 'States.TaskFailed',
  Permissions: 'States.Permissions',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ParameterPathFailure: 'States.ParameterPathFailure',
  QueryEvaluationError: 'States.QueryEvaluationError',
  BranchFailed: 'States.BranchFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  ItemReaderFailed: 'States.ItemReaderFailed',
  ResultWriterFailed: 'States.ResultWriterFailed',
  DataLimitExceeded: 'States.DataLimitExceeded',
  Runtime: 'States.Runtime',
} as const;

/** One of the reserved `States.*` error names. */
export type StatesErrorName = (typeof STATES_ERRORS)[keyof typeof STATES_ERRORS];

/** Spec errors that Step Functions reports under the name `States.Runtime`. */
const REPORTED_AS_RUNTIME: ReadonlySet<string> = new Set([
  STATES_ERRORS.IntrinsicFailure,
  STATES_ERRORS.ParameterPathFailure,
  STATES_ERRORS.NoChoiceMatched,
]);

/** Errors the `States.ALL` wildcard does not match (terminal errors). */
const NOT_MATCHED_BY_ALL: ReadonlySet<string> = new Set([
  STATES_ERRORS.Runtime,
  STATES_ERRORS.DataLimitExceeded,
]);

/**
 * A reference path that found nothing, with the value it was applied to, so whoever reports the error
 * can show that value beside the path (the interpreter adds the state and the Map item).
 */
export interface PathMiss {
  /** The path as written. */
  readonly path: string;
  /** Its steps below the root (field names and indices). */
  readonly steps: readonly (string | number)[];
  /** `$` paths read the state's data, `$$` paths the context object, `$name` paths a variable. */
  readonly root: 'data' | 'context' | 'variable';
  /** What the path was applied to: the data or the context object. */
  readonly value: JsonValue;
  /** Where the walk stopped, e.g. `field 'customer' is missing`. */
  readonly reason: string;
  /** The field holding the path: a template field (`customer.$`) or a Choice rule's `Variable` / operator. */
  readonly field?: string;
}

/** Options of {@link StatesError}. */
export interface StatesErrorOptions {
  /** The spec's finer name when the reported name is `States.Runtime` (e.g. `States.IntrinsicFailure`). */
  readonly specError?: string;
  /** The path that found nothing, when that is the failure. */
  readonly miss?: PathMiss;
}

/**
 * A workflow error as Retry / Catch see it: `name` is the error name matched by `ErrorEquals`, `cause` the
 * human-readable cause placed in the error output (`{ Error, Cause }`). It is the workflow's error, data
 * inside an execution, not a router error: its `retryable` says whether a Retry rule may match it, which is
 * unrelated to whether a record should be delivered again, so it stays outside `RouterError`.
 *
 * @example
 * throw new StatesError('States.Runtime', "The JSONPath '$.a' could not be found in the input");
 */
export class StatesError extends Error {
  /** The error name matched by `ErrorEquals`. */
  override readonly name: string;
  /** Human-readable cause, as Step Functions puts it in `Cause`. */
  override readonly cause: string;
  /** Whether a Retry rule may match it (`States.Runtime` never). */
  readonly retryable: boolean;
  /** Whether a Catch rule may match it (`States.Runtime` never). */
  readonly catchable: boolean;
  /** The spec's own name for this failure when it differs from `name`. */
  readonly specError: string | undefined;
  /** The path that found nothing, when that is the failure. */
  readonly miss: PathMiss | undefined;

  constructor(name: string, cause: string, options: StatesErrorOptions = {}) {
    super(cause);
    this.name = name;
    this.cause = cause;
    const terminal = name === STATES_ERRORS.Runtime;
    this.retryable = !terminal;
    this.catchable = !terminal;
    this.specError = options.specError;
    this.miss = options.miss;
  }
}

/**
 * Builds the error for a failure the spec names `specError` (`States.IntrinsicFailure`,
 * `States.ParameterPathFailure`, `States.NoChoiceMatched`, ...), reported under the name Step Functions
 * reports it with.
 */
export function statesFailure(specError: StatesErrorName, cause: string, miss?: PathMiss): StatesError {
  const found = miss === undefined ? {} : { miss };
  if (REPORTED_AS_RUNTIME.has(specError)) {
    return new StatesError(STATES_ERRORS.Runtime, cause, { specError, ...found });
  }
  return new StatesError(specError, cause, found);
}

/**
 * Decides whether a Retrier's or Catcher's `ErrorEquals` matches an error name, with the spec's wildcards:
 * `States.ALL` matches every error except the terminal ones (`States.Runtime`, `States.DataLimitExceeded`);
 * `States.TaskFailed` matches every error except the timeouts and the terminal ones; `States.Timeout`
 * also matches `States.HeartbeatTimeout` (a heartbeat timeout is a Task timeout). `States.Runtime` is
 * never matched, whether retrying or catching, because Step Functions always fails the execution on it.
 *
 * @param _forRetry true for a Retrier, false for a Catcher: callers state which rule they test, although
 * the spec's matching rules are the same for both.
 */
export function errorMatches(errorName: string, errorEquals: readonly string[], _forRetry: boolean): boolean {
  if (errorName === STATES_ERRORS.Runtime) return false;
  for (const candidate of errorEquals) {
    if (candidate === errorName) return true;
    switch (candidate) {
      case STATES_ERRORS.ALL:
        if (!NOT_MATCHED_BY_ALL.has(errorName)) return true;
        break;
      case STATES_ERRORS.TaskFailed:
        if (
          !NOT_MATCHED_BY_ALL.has(errorName) &&
          errorName !== STATES_ERRORS.Timeout &&
          errorName !== STATES_ERRORS.HeartbeatTimeout
        ) {
          return true;
        }
        break;
      case STATES_ERRORS.Timeout:
        if (errorName === STATES_ERRORS.HeartbeatTimeout) return true;
        break;
      default:
        break;
    }
  }
  return false;
}
