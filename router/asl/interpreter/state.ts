/**
 * The execution state: everything needed to resume an execution after a crash, as plain JSON
 * (`JSON.parse(JSON.stringify(state))` gives back an equal state). The transition function reads and
 * updates it; the router checkpoints it; nothing else about an execution lives in memory.
 */
import type { JsonObject, JsonValue } from '../types.ts';

/** Status of an execution as a whole. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** The execution's identity and input, the source of the context object's `Execution` and `StateMachine`. */
export interface ExecutionContext {
  executionId: string;
  name: string;
  /** Epoch milliseconds. */
  startTime: number;
  input: JsonValue;
  stateMachineName: string;
  stateMachineId: string;
  roleArn?: string;
  /** Times the execution was redriven (`$$.Execution.RedriveCount`), and when it last was (epoch ms). */
  redriveCount?: number;
  redriveTime?: number;
  /**
   * Fields laid over the context object the runtime builds, one level deep (`Map`, `State`...): the
   * context a single-state test is given. Absent in an execution.
   */
  contextOverlay?: JsonObject;
}

/** Invoke a Task's resource; the runtime answers with TaskSucceeded / TaskFailed (or TaskSubmitted). */
export interface InvokeEffect {
  type: 'invoke';
  id: string;
  resource: string;
  input: JsonValue;
  /** Same for every retry attempt of one visit of a state; differs between visits and Map items. */
  idempotencyKey: string;
  /** Set for `.waitForTaskToken` resources: the result arrives later as an event for this invoke. */
  taskToken?: string;
  /**
   * Set once a job integration (`.sync`) has started its job: what the invoker needs to ask how the job
   * stands (its id), as the invoker returned it. The invoke is issued again with it after each poll timer.
   */
  poll?: JsonValue;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  stateName: string;
  /** 0 for the first attempt, n for the n-th retry. */
  attempt: number;
  /**
   * Set on the requests of a distributed Map: `read` its ItemReader (the result is the item array),
   * `write` its ResultWriter (the result is the ResultWriter details), `child` start a child execution
   * of its item processor (the input: `Input`, the item or batch; `Name`, `Index`, `MapRunArn`,
   * `ExecutionType`; `Processor`, the steps from the root to the Map, `[{ State, Branch? }, ...]`;
   * `Engine` and `Version` of a published graph; the result is the child's output).
   * Absent on a Task's invoke.
   */
  mapRun?: 'read' | 'write' | 'child';
}

/** Why a timer exists. */
export type TimerReason = 'wait' | 'retry' | 'timeout' | 'heartbeat' | 'execution-timeout' | 'poll';

/** Deliver a TimerFired event for `id` at `dueAt` (epoch ms). */
export interface TimerEffect {
  type: 'timer';
  id: string;
  dueAt: number;
  reason: TimerReason;
}

/** Stop waiting for an invoke or a timer (sibling branch failed, tolerance exceeded, timeout fired). */
export interface CancelEffect {
  type: 'cancel';
  id: string;
  /**
   * The invoke whose work runs on without the execution (a `.sync` job, a child execution it was
   * handed over to), so the runtime can ask for that work to be stopped.
   */
  stops?: InvokeEffect;
}

/** What a transition asks the runtime to do. */
export type Effect = InvokeEffect | TimerEffect | CancelEffect;

/** What the runtime (or a resumed invocation) feeds back into the transition function. */
export type ExecutionEvent =
  | { type: 'TaskSucceeded'; id: string; output: JsonValue }
  | { type: 'TaskFailed'; id: string; error: string; cause: string }
  | { type: 'TimerFired'; id: string }
  | { type: 'TaskHeartbeat'; id: string }
  /** The invoke was handed over and its result will come back later by task token (callback tasks). */
  | { type: 'TaskSubmitted'; id: string }
  /**
   * A job integration's job runs: ask again (the same invoke with `poll` set) after `afterSeconds`. The
   * execution holds no compute meanwhile: the poll is a timer like a Wait state's.
   */
  | { type: 'TaskPolling'; id: string; poll: JsonValue; afterSeconds: number };

/** An effect the execution is still waiting on, and which thread waits (indices from the root). */
export interface PendingEffect {
  effect: InvokeEffect | TimerEffect;
  loc: number[];
  /**
   * A callback invoke that has been handed over, or a job integration between two polls: on resume, wait
   * for its token or its poll timer instead of re-invoking.
   */
  submitted?: boolean;
}

/** A Task waiting for its invoke (and its timeout / heartbeat timers). */
export interface TaskBlock {
  kind: 'task';
  invokeId: string;
  timeoutId?: string;
  timeoutSeconds?: number;
  heartbeatId?: string;
  heartbeatSeconds?: number;
  heartbeats: number;
  /** The pending poll timer of a job integration (`.sync`), and how many polls came before it. */
  pollId?: string | undefined;
  polls?: number;
}

/** A Wait state waiting for its timer. */
export interface WaitBlock {
  kind: 'wait';
  timerId: string;
}

/** A Task, Parallel or Map state waiting before its next retry attempt. */
export interface RetryBlock {
  kind: 'retry';
  timerId: string;
}

/** A Parallel state running its branches. */
export interface ParallelBlock {
  kind: 'parallel';
  /** Running branches by branch index. */
  children: Record<string, ThreadState>;
  /** Branch outputs in branch order (null until a branch ends). */
  results: JsonValue[];
  remaining: number;
}

/** A Map state running its items; items beyond MaxConcurrency wait their turn (`next`). */
export interface MapBlock {
  kind: 'map';
  /** The Map's effective input (after InputPath), against which ItemSelector is evaluated. */
  input: JsonValue;
  items: JsonValue[];
  /** Index of the next item to start. */
  next: number;
  running: number;
  remaining: number;
  failed: number;
  /** 0 = unlimited. */
  maxConcurrency: number;
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  /** Running items by item index. */
  children: Record<string, ThreadState>;
  /** Item outputs in item order (a failed, tolerated item holds `{ Error, Cause }`). */
  results: JsonValue[];
  /** Set on a distributed Map: its map run. */
  run?: MapRun;
}

/**
 * A distributed Map's run: each item (or batch of items) is a child execution; the Map reads its items
 * from S3 first and writes the children's results to S3 last, waiting on an invoke for each.
 */
export interface MapRun {
  /** `arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:ID`. */
  arn: string;
  /** The run's UUID: the folder ResultWriter writes under. */
  id: string;
  /** The S3 read or write the Map waits on, when it waits on one. */
  io?: { phase: 'read' | 'write'; invokeId: string } | undefined;
  /** Items read (with a batcher, `items` holds the batches). */
  itemCount: number;
  /** True once ItemSelector has been applied to every item (a batcher needs them selected first). */
  selected: boolean;
  /** ResultWriter's Parameters, evaluated as the Map started. */
  writer?: JsonValue;
  /** When each running child started (epoch ms), by index. */
  starts: Record<string, number>;
  /** One record per settled child, as ResultWriter writes it (kept only with a ResultWriter). */
  records: JsonValue[];
  /** Children running as executions: the invoke each was started by, by index. */
  invokes?: Record<string, string>;
  /** Set once the tolerance is exceeded: the Map fails with it after ResultWriter has written. */
  failure?: { error: string; cause: string };
}

/** What a thread is blocked on. */
export type Block = TaskBlock | WaitBlock | RetryBlock | ParallelBlock | MapBlock;

/** How a thread ended. */
export type ThreadEnd =
  | { status: 'SUCCEEDED'; output: JsonValue }
  | { status: 'FAILED'; error: string; cause: string };

/**
 * One line of control: the top-level machine, a Parallel branch or a Map item. Runs its states one after
 * the other until it is blocked or ends.
 */
export interface ThreadState {
  /** Prefix of ids and history (`''`, `Fan#1.0[2]/`): parent state, its visit and attempt, index. */
  path: string;
  /** Prefix of idempotency keys: like `path` without attempts, so a retry keeps the keys. */
  keyPath: string;
  /** Name of the current state. */
  state: string;
  /** Raw input of the current state (what ResultPath merges the result into). */
  input: JsonValue;
  /** When the current state was entered (epoch ms). */
  enteredAt: number;
  /** Visits per state name in this thread (a poll loop re-enters the same state). */
  visits: Record<string, number>;
  /** Retry attempt of the current visit (0 = first try). */
  attempt: number;
  /** Retries used per retrier of the current state (reset when the state is left, like `block`). */
  retries?: number[] | undefined;
  /**
   * What the thread waits on. Cleared by assigning `undefined` rather than deleting the field: a delete
   * turns the object into a slow dictionary for the rest of its life (JSON drops the field either way).
   */
  block?: Block | undefined;
  end?: ThreadEnd;
  /**
   * The variables this thread's scope has assigned (`Assign`); a Parallel branch or Map item reads its
   * parents' scopes as well. Replaced, never changed in place, so a checkpoint or history holds a value
   * that later assignments do not touch.
   */
  vars?: Record<string, JsonValue>;
}

/** The whole execution. */
export interface ExecutionState {
  /** Format version of this object, for stored checkpoints. */
  format: 1;
  context: ExecutionContext;
  status: ExecutionStatus;
  output?: JsonValue;
  error?: string;
  cause?: string;
  /** States entered so far (bounded by the graph's maxTransitions). */
  transitions: number;
  /** History events emitted so far (ids continue across resumes). */
  events: number;
  /** Draws of deterministic randomness so far (MathRandom, UUID, jitter). */
  draws: number;
  root: ThreadState;
  /** Every outstanding invoke and timer. */
  pending: PendingEffect[];
}

/** Id of the state machine timer (`TimeoutSeconds` at the top level). */
export const EXECUTION_TIMEOUT_ID = 'execution:timeout';
