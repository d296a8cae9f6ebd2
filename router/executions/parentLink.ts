/**
 * Child executions and the parent that waits for them. A child's record keeps a {@link ParentLink}; when
 * the child ends, {@link settlementOf} says what its parent's waiting task receives, and the lifecycle
 * hands that to its `settleParent` dependency (which puts a task-result record on the stream, the same
 * record `router task success|failure` puts) before it writes the child's terminal status. So a crash
 * between the two only makes the child settle again, and the parent's callback dedup absorbs it.
 *
 * ```
 * parent Task ──start record (stream)──> child claims, runs ──ends──> settleParent(settlement) ──> complete
 *    └──WAITING on its token ─────────────────────<── task-result record (stream) ──<──┘
 * ```
 *
 * The link is plain data on purpose: anything that starts a child of this runtime (a nested
 * `states:startExecution`, a batch of distributed Map items) fills one in and is answered through the
 * parent's task token.
 */
import type { ExecutionState, JsonValue, RunResult } from '../asl/index.ts';
import type { ExecutionRecord } from './ExecutionStore.ts';

/**
 * How a child's end reaches its parent. `raw`: the child's output as it is, its error and cause as they
 * are (the form a distributed Map aggregates). `sync` / `sync:2`: Step Functions' `DescribeExecution`
 * shape of a nested `states:startExecution.sync` (`Output` as a JSON string) or `.sync:2` (as JSON), and
 * a failed child fails the task with `States.TaskFailed` and that shape as the cause.
 */
export type ChildResultShape = 'raw' | 'sync' | 'sync:2';

/** What a child knows about who started it. */
export interface ParentLink {
  /** The parent's execution id. */
  readonly executionId: string;
  /** The parent's invoke (Task state visit) that started the child. */
  readonly invokeId?: string;
  /** The task token the parent waits on; without one the child settles nothing (request/response). */
  readonly token?: string;
  /** How the child's end is shaped for the parent. Default `raw`. */
  readonly shape?: ChildResultShape;
  /** The child's `ExecutionArn`, `StateMachineArn`, name and start date (epoch ms) as the parent reported them. */
  readonly executionArn?: string;
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly startDate?: number;
  /**
   * A distributed Map's child: the steps to the Map (of the version the child is pinned to) whose item
   * processor it runs. Every load of the child's graph (its start, a resume, a redrive) runs that
   * processor, never the parent's whole graph.
   */
  readonly processor?: JsonValue;
}

/** What a child's end does to its parent: the token to complete and with what. */
export type Settlement =
  | { readonly parent: ParentLink; readonly token: string; readonly ok: true; readonly output: JsonValue }
  | {
      readonly parent: ParentLink;
      readonly token: string;
      readonly ok: false;
      readonly error: string;
      readonly cause: string;
    };

/** Settles a parent; performed before the child's terminal write (see the head comment). */
export type SettleParent = (
  settlement: Settlement,
  child: Pick<ExecutionRecord, 'executionId'>,
) => Promise<void>;

/** The end of a child as far as its parent cares. */
export interface ChildEnd {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  readonly input: JsonValue;
  readonly output?: JsonValue;
  readonly error?: string;
  readonly cause?: string;
  /** Epoch ms. */
  readonly stopDate: number;
}

/** A finished run as a {@link ChildEnd}. */
export function childEndOf(
  result: Extract<RunResult, { status: 'SUCCEEDED' | 'FAILED' }>,
  stopDate: number,
): ChildEnd {
  const state: ExecutionState = result.state;
  return {
    status: result.status,
    input: state.context.input,
    stopDate,
    ...(result.output === undefined ? {} : { output: result.output }),
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(result.cause === undefined ? {} : { cause: result.cause }),
  };
}

/**
 * What the parent's waiting task receives when the child ends, or undefined when the link holds no
 * token (nothing waits). `startedAt` is the child record's own start, used when the link has none.
 *
 * @example
 * const s = settlementOf(record.parent, childEndOf(result, now), Date.parse(record.startedAt));
 * if (s !== undefined) await settleParent(s, record);
 */
export function settlementOf(
  parent: ParentLink | undefined,
  end: ChildEnd,
  startedAt: number,
): Settlement | undefined {
  if (parent?.token === undefined) return undefined;
  const token = parent.token;
  const shape = parent.shape ?? 'raw';
  if (shape === 'raw') {
    return end.status === 'SUCCEEDED'
      ? { parent, token, ok: true, output: end.output ?? null }
      : {
          parent,
          token,
          ok: false,
          error: end.error ?? `States.${end.status === 'TIMED_OUT' ? 'Timeout' : 'TaskFailed'}`,
          cause: end.cause ?? '',
        };
  }
  const described = describeExecution(parent, end, startedAt, shape);
  if (end.status === 'SUCCEEDED') return { parent, token, ok: true, output: described };
  return { parent, token, ok: false, error: 'States.TaskFailed', cause: JSON.stringify(described) };
}

/**
 * Step Functions' `DescribeExecution` result of a finished child, as `.sync` (`Input` and `Output` as
 * JSON strings) or `.sync:2` (as JSON) give it; a failed child carries `Error` and `Cause` instead of
 * `Output`, each only when it has one.
 */
export function describeExecution(
  parent: ParentLink,
  end: ChildEnd,
  startedAt: number,
  shape: 'sync' | 'sync:2',
): { [key: string]: JsonValue } {
  const json = (value: JsonValue): JsonValue => (shape === 'sync:2' ? value : JSON.stringify(value));
  const described: { [key: string]: JsonValue } = {
    ExecutionArn: parent.executionArn ?? '',
    Input: json(end.input),
    InputDetails: { Included: true },
    Name: parent.name ?? '',
    StartDate: parent.startDate ?? startedAt,
    StateMachineArn: parent.stateMachineArn ?? '',
    Status: end.status,
    StopDate: end.stopDate,
  };
  if (end.status === 'SUCCEEDED') {
    described.Output = json(end.output ?? null);
    described.OutputDetails = { Included: true };
  } else {
    if (end.cause !== undefined) described.Cause = end.cause;
    if (end.error !== undefined) described.Error = end.error;
  }
  return described;
}

/** Most children a parent record lists (the latest); a wide fan-out is counted, not listed. */
export const CHILDREN_KEPT = 64;

/** A parent's child list after adding `started` (kept unique, the latest {@link CHILDREN_KEPT}). */
export function childrenAfter(
  known: readonly string[] | undefined,
  started: readonly string[],
): readonly string[] | undefined {
  if (started.length === 0) return known;
  const all = [...(known ?? [])];
  for (const id of started) if (!all.includes(id)) all.push(id);
  return all.slice(-CHILDREN_KEPT);
}
