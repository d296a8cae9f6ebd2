/**
 * The compiled graph: what the interpreter runs. Every expression is a closure, every default of the
 * spec applied, so a transition reads fields and calls functions and never parses.
 */
import type {
  CompiledCondition,
  CompiledJsonata,
  IntrinsicEnv,
  ResultPathBound,
  Variables,
} from '../expressions/index.ts';
import type { EngineGraph, JsonValue, StateType } from '../types.ts';
import type { HistoryEventType } from './history.ts';

/** A path, template or intrinsic evaluated against the state's data, the context object and the variables. */
export type Evaluate = (
  input: JsonValue,
  context: JsonValue,
  env: IntrinsicEnv,
  vars?: Variables,
) => JsonValue;
/** A JSONata field, evaluated against `$states` and the variables. */
export type Query = CompiledJsonata;

/**
 * An `Assign` field: a payload template over the state's data (JSONPath states) or a JSONata field over
 * `$states` (JSONata states). Either way every value is computed from the variables as they were when
 * the state was entered, and the assignments take effect when the state is left.
 */
export type CompiledAssign = { readonly path: Evaluate } | { readonly query: Query };
/** ResultPath: merges a result into the state's raw input. */
export type MergeResult = (input: JsonValue, result: JsonValue) => JsonValue;

/** A Retrier with the spec's defaults applied. */
export interface CompiledRetrier {
  readonly errorEquals: readonly string[];
  readonly intervalMs: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelayMs: number | undefined;
  readonly jitter: boolean;
}

/** A Catcher with its ResultPath compiled. */
export interface CompiledCatcher {
  readonly errorEquals: readonly string[];
  readonly next: string;
  /** JSONata: what goes to Next (undefined: the error output). */
  readonly output: Query | undefined;
  readonly assign: CompiledAssign | undefined;
  readonly resultPath: MergeResult;
  /** Bounds the ResultPath's output size, so the caught error's output is held to the limit cheaply. */
  readonly resultBound: ResultPathBound;
}

/** Fields every compiled state has. */
export interface CompiledBase {
  readonly name: string;
  readonly type: StateType;
  readonly next: string | undefined;
  readonly end: boolean;
  /** undefined = identity (`$`), null = the spec's `null` (an empty object). */
  readonly inputPath: Evaluate | null | undefined;
  readonly outputPath: Evaluate | null | undefined;
  /** Whether any expression of the state reads `$$`, so the context object is built only when needed. */
  readonly usesContext: boolean;
  /** A JSONata state (else JSONPath): its expressions read `$states`, and it has Output, not the paths. */
  readonly jsonata: boolean;
  /** JSONata Output (undefined: the state's default output). */
  readonly output: Query | undefined;
  /** The variables the state sets when it succeeds. */
  readonly assign: CompiledAssign | undefined;
  readonly entered: HistoryEventType;
  readonly exited: HistoryEventType;
}

/** Task state. */
export interface CompiledTask extends CompiledBase {
  readonly type: 'Task';
  readonly resource: string;
  readonly callback: boolean;
  /**
   * The invoke carries a task token even though the context does not show it: a nested
   * `states:startExecution`, whose child (an execution of this runtime) answers through it.
   */
  readonly issuesToken: boolean;
  readonly parameters: Evaluate | undefined;
  readonly resultSelector: Evaluate | undefined;
  readonly resultPath: MergeResult;
  /** Bounds the ResultPath's output size, so the next size check need not walk it. */
  readonly resultBound: ResultPathBound;
  readonly retry: readonly CompiledRetrier[];
  readonly catch: readonly CompiledCatcher[];
  readonly timeoutSeconds: number | Evaluate | undefined;
  readonly heartbeatSeconds: number | Evaluate | undefined;
  /** JSONata: Arguments, and TimeoutSeconds / HeartbeatSeconds written as expressions. */
  readonly arguments: Query | undefined;
  readonly timeoutQuery: Query | undefined;
  readonly heartbeatQuery: Query | undefined;
}

/** Pass state. */
export interface CompiledPass extends CompiledBase {
  readonly type: 'Pass';
  readonly parameters: Evaluate | undefined;
  readonly result: JsonValue | undefined;
  readonly resultPath: MergeResult;
  /** Bounds the ResultPath's output size, so the next size check need not walk it. */
  readonly resultBound: ResultPathBound;
}

/** Choice state. */
export interface CompiledChoice extends CompiledBase {
  readonly type: 'Choice';
  readonly choices: readonly CompiledChoiceRule[];
  readonly default: string | undefined;
}

/** One top-level Choice rule: its test (a JSONPath rule or a JSONata Condition) and what it leads to. */
export interface CompiledChoiceRule {
  readonly test: CompiledCondition | undefined;
  readonly condition: Query | undefined;
  readonly next: string;
  readonly assign: CompiledAssign | undefined;
  readonly output: Query | undefined;
}

/** Wait state. */
export interface CompiledWait extends CompiledBase {
  readonly type: 'Wait';
  readonly seconds: number | undefined;
  readonly timestamp: string | undefined;
  readonly secondsPath: Evaluate | undefined;
  readonly timestampPath: Evaluate | undefined;
  /** JSONata: Seconds / Timestamp written as expressions. */
  readonly secondsQuery: Query | undefined;
  readonly timestampQuery: Query | undefined;
}

/** Succeed state. */
export interface CompiledSucceed extends CompiledBase {
  readonly type: 'Succeed';
}

/** Fail state. */
export interface CompiledFail extends CompiledBase {
  readonly type: 'Fail';
  readonly error: string | Evaluate | undefined;
  readonly cause: string | Evaluate | undefined;
  /** JSONata: Error / Cause written as expressions. */
  readonly errorQuery: Query | undefined;
  readonly causeQuery: Query | undefined;
}

/** Parallel state. */
export interface CompiledParallel extends CompiledBase {
  readonly type: 'Parallel';
  readonly branches: readonly CompiledMachine[];
  readonly parameters: Evaluate | undefined;
  /** JSONata: the input of every branch. */
  readonly arguments: Query | undefined;
  readonly resultSelector: Evaluate | undefined;
  readonly resultPath: MergeResult;
  /** Bounds the ResultPath's output size, so the next size check need not walk it. */
  readonly resultBound: ResultPathBound;
  readonly retry: readonly CompiledRetrier[];
  readonly catch: readonly CompiledCatcher[];
}

/** Map state. */
export interface CompiledMap extends CompiledBase {
  readonly type: 'Map';
  readonly processor: CompiledMachine;
  readonly itemsPath: Evaluate | undefined;
  readonly itemSelector: Evaluate | undefined;
  /** JSONata: Items, ItemSelector, and the counts written as expressions. */
  readonly items: Query | undefined;
  readonly itemSelectorQuery: Query | undefined;
  readonly maxConcurrencyQuery: Query | undefined;
  readonly toleratedFailureCountQuery: Query | undefined;
  readonly toleratedFailurePercentageQuery: Query | undefined;
  readonly maxConcurrency: number | Evaluate;
  readonly toleratedFailureCount: number | Evaluate | undefined;
  readonly toleratedFailurePercentage: number | Evaluate | undefined;
  readonly resultSelector: Evaluate | undefined;
  readonly resultPath: MergeResult;
  /** Bounds the ResultPath's output size, so the next size check need not walk it. */
  readonly resultBound: ResultPathBound;
  readonly retry: readonly CompiledRetrier[];
  readonly catch: readonly CompiledCatcher[];
  /** Set on a distributed Map (`ProcessorConfig.Mode: DISTRIBUTED`). */
  readonly distributed: CompiledDistributed | undefined;
}

/** An S3 request a distributed Map makes: the resource and its parameters in the state's language. */
export interface CompiledS3Request {
  readonly resource: string;
  /** JSONPath: the Parameters template over the effective input. */
  readonly parameters: Evaluate | undefined;
  /** JSONata: the Arguments. */
  readonly arguments: Query | undefined;
}

/** How a distributed Map reads its items. */
export interface CompiledItemReader extends CompiledS3Request {
  /** ReaderConfig without MaxItems (InputType, CSV settings), as written. */
  readonly config: Readonly<Record<string, JsonValue>>;
  readonly maxItems: number | Evaluate | undefined;
  readonly maxItemsQuery: Query | undefined;
}

/** How a distributed Map groups items into batches. */
export interface CompiledItemBatcher {
  readonly maxItems: number | Evaluate | undefined;
  readonly maxItemsQuery: Query | undefined;
  readonly maxBytes: number | Evaluate | undefined;
  readonly maxBytesQuery: Query | undefined;
  readonly batchInput: Evaluate | undefined;
  readonly batchInputQuery: Query | undefined;
}

/** The distributed parts of a Map: its run label, reader, batcher and writer. */
export interface CompiledDistributed {
  /** The map run's name (Label, or the state name). */
  readonly label: string;
  readonly executionType: 'STANDARD' | 'EXPRESS';
  readonly reader: CompiledItemReader | undefined;
  readonly batcher: CompiledItemBatcher | undefined;
  /** The ResultWriter's S3 write (undefined: nothing is written). */
  readonly writer: CompiledS3Request | undefined;
  /** The ResultWriter's WriterConfig, defaults filled in (undefined: none was given). */
  readonly writerConfig: CompiledWriterConfig | undefined;
}

/** How a ResultWriter shapes results (see `WriterConfig` in `types.ts`). */
export interface CompiledWriterConfig {
  readonly outputType: 'JSON' | 'JSONL';
  readonly transformation: 'NONE' | 'COMPACT' | 'FLATTEN';
}

/** Any compiled state. */
export type CompiledState =
  | CompiledTask
  | CompiledPass
  | CompiledChoice
  | CompiledWait
  | CompiledSucceed
  | CompiledFail
  | CompiledParallel
  | CompiledMap;

/** A compiled (sub)machine: the top level, a Parallel branch or a Map item processor. */
export interface CompiledMachine {
  readonly startAt: string;
  readonly states: ReadonlyMap<string, CompiledState>;
}

/** What the interpreter runs: the compiled machine plus the limits every execution obeys. */
export interface CompiledGraph {
  readonly graph: EngineGraph;
  readonly root: CompiledMachine;
  readonly timeoutSeconds: number | undefined;
  readonly maxPayloadBytes: number;
  readonly maxTransitions: number;
  /** The key task tokens are signed with, asked at each token (it may be rotated while the graph is cached). */
  readonly taskTokenSecret: (() => Uint8Array) | undefined;
  readonly stateMachineName: string;
  readonly stateMachineId: string;
  /** `$$.Execution.RoleArn` when the execution names none (empty when the deployment named none). */
  readonly roleArn: string;
  /** Number of states, branches and processors included. */
  readonly stateCount: number;
  /**
   * How a distributed Map runs its children: as threads of the execution (`threads`), or as child
   * executions the runtime starts from `mapRun: 'child'` invokes, the Map waiting on their task tokens
   * (`executions`).
   */
  readonly mapChildren: 'threads' | 'executions';
  /** The published engine and version, when the graph is one. */
  readonly engineRef: { readonly engine: string; readonly version: number } | undefined;
}
