/**
 * The typed graph: an Amazon States Language state machine (JSONPath or JSONata per state, with
 * variables) as it stands after parsing and validation.
 *
 * In a JSONata state, the fields that take an expression hold either their JSONPath-era type (a number
 * for `Seconds`) or a `{% ... %}` string; the validator has checked which. The parser produces it, the validator vouches for it, the legacy compiler emits it and
 * the interpreter runs it; none of them sees raw HJSON.
 */
import type { JsonObject, JsonValue } from '../json.ts';

export type { JsonObject, JsonValue } from '../json.ts';

/** How an engine keeps its execution state: checkpointed after each Task, or in memory only. */
export type ExecutionMode = 'standard' | 'express';

/** The two query languages: JSONPath (the default) and JSONata. */
export type QueryLanguage = 'JSONPath' | 'JSONata';

/** A `{% ... %}` JSONata expression, where a field takes one in place of its literal value. */
export type Expression = string;

/** A whole state machine (also the shape of a Parallel branch and of a Map item processor). */
export interface StateMachine {
  /** At the root only: the language of every state that does not name its own. */
  readonly QueryLanguage?: QueryLanguage;
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, State>>;
  readonly TimeoutSeconds?: number;
  readonly Version?: string;
  /**
   * Only on Map's ItemProcessor: `INLINE` (the default) runs items as threads of the execution;
   * `DISTRIBUTED` runs each item (or batch) as a child execution, with `ExecutionType` STANDARD or EXPRESS.
   */
  readonly ProcessorConfig?: {
    readonly Mode?: 'INLINE' | 'DISTRIBUTED';
    readonly ExecutionType?: 'STANDARD' | 'EXPRESS';
  };
}

/**
 * The root graph of an engine: the state machine plus the runtime's own top-level fields, which ASL
 * ignores (`Engine`, `Mode`, `Match`), so a plain Step Functions definition is also a valid engine.
 */
export interface EngineGraph extends StateMachine {
  /** Engine name; defaults to the file name without extension. */
  readonly Engine?: string;
  /** `standard` (default) or `express`. */
  readonly Mode?: ExecutionMode;
  /**
   * Standard engines: `durable` (default) writes the state where the guarantees need it (before a task
   * token, a poll, a wait, at the end, after a while); `every-step` also after every finished step.
   */
  readonly Checkpoint?: 'durable' | 'every-step';
  /** An EventBridge-style event pattern matched against the CloudEvents envelope to route events here. */
  readonly Match?: JsonObject;
  /** For records that are not CloudEvents: JSON path of the message id, so they are deduplicated too. */
  readonly IdPath?: string;
}

/** Fields common to every state type. */
export interface StateBase {
  readonly Type: StateType;
  readonly Comment?: string;
  readonly QueryLanguage?: QueryLanguage;
  /** Variables set when the state leaves: a payload template (JSONPath) or JSONata field (JSONata). */
  readonly Assign?: JsonValue;
  /** JSONata: the state's output (default: its input, or its result for Task, Parallel and Map). */
  readonly Output?: JsonValue;
}

/** Fields of states that can transition. */
export interface Transitioning {
  readonly Next?: string;
  readonly End?: boolean;
}

/** InputPath / OutputPath (null discards, per the spec). */
export interface InputOutput {
  readonly InputPath?: string | null;
  readonly OutputPath?: string | null;
}

/** Retry rule, with the spec's defaults applied by the interpreter (1 s, 3 attempts, rate 2). */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** Catch rule: on a matching error go to Next with the error object placed by ResultPath. */
export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly ResultPath?: string | null;
  /** JSONata: what goes to Next (default: the error output `{ Error, Cause }`). */
  readonly Output?: JsonValue;
  readonly Assign?: JsonValue;
}

/** Task: invoke a resource. */
export interface TaskState extends StateBase, Transitioning, InputOutput {
  readonly Type: 'Task';
  readonly Resource: string;
  readonly Parameters?: JsonValue;
  /** JSONata: what the resource is called with. */
  readonly Arguments?: JsonValue;
  readonly ResultSelector?: JsonValue;
  readonly ResultPath?: string | null;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
  readonly TimeoutSeconds?: number | Expression;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: number | Expression;
  readonly HeartbeatSecondsPath?: string;
  readonly Credentials?: JsonValue;
}

/** Pass: move or inject data. */
export interface PassState extends StateBase, Transitioning, InputOutput {
  readonly Type: 'Pass';
  readonly Result?: JsonValue;
  readonly ResultPath?: string | null;
  readonly Parameters?: JsonValue;
}

/** Choice comparison operators that take a literal operand. */
export const CHOICE_LITERAL_OPERATORS = [
  'StringEquals',
  'StringLessThan',
  'StringGreaterThan',
  'StringLessThanEquals',
  'StringGreaterThanEquals',
  'StringMatches',
  'NumericEquals',
  'NumericLessThan',
  'NumericGreaterThan',
  'NumericLessThanEquals',
  'NumericGreaterThanEquals',
  'BooleanEquals',
  'TimestampEquals',
  'TimestampLessThan',
  'TimestampGreaterThan',
  'TimestampLessThanEquals',
  'TimestampGreaterThanEquals',
] as const;

/** Choice comparison operators whose operand is a path into the input (`...Path` variants). */
export const CHOICE_PATH_OPERATORS = [
  'StringEqualsPath',
  'StringLessThanPath',
  'StringGreaterThanPath',
  'StringLessThanEqualsPath',
  'StringGreaterThanEqualsPath',
  'NumericEqualsPath',
  'NumericLessThanPath',
  'NumericGreaterThanPath',
  'NumericLessThanEqualsPath',
  'NumericGreaterThanEqualsPath',
  'BooleanEqualsPath',
  'TimestampEqualsPath',
  'TimestampLessThanPath',
  'TimestampGreaterThanPath',
  'TimestampLessThanEqualsPath',
  'TimestampGreaterThanEqualsPath',
] as const;

/** Choice type tests. */
export const CHOICE_TYPE_OPERATORS = [
  'IsNull',
  'IsPresent',
  'IsNumeric',
  'IsString',
  'IsBoolean',
  'IsTimestamp',
] as const;

/**
 * A Choice rule or nested boolean expression. A comparison has `Variable` plus exactly one operator key;
 * a top-level rule also has `Next`. Kept structural (an index of operator to operand) because the
 * validator has already checked that exactly one operator is present and its operand has the right type.
 */
export interface ChoiceRule {
  readonly Variable?: string;
  readonly And?: readonly ChoiceRule[];
  readonly Or?: readonly ChoiceRule[];
  readonly Not?: ChoiceRule;
  readonly Next?: string;
  readonly Comment?: string;
  /** JSONata: a boolean, or an expression that yields one. */
  readonly Condition?: boolean | Expression;
  readonly Assign?: JsonValue;
  readonly Output?: JsonValue;
  readonly [operator: string]: JsonValue | readonly ChoiceRule[] | ChoiceRule | undefined;
}

/** Choice: branch on the input. */
export interface ChoiceState extends StateBase, InputOutput {
  readonly Type: 'Choice';
  readonly Choices: readonly ChoiceRule[];
  readonly Default?: string;
}

/** Wait: pause for a duration or until a time. */
export interface WaitState extends StateBase, Transitioning, InputOutput {
  readonly Type: 'Wait';
  readonly Seconds?: number | Expression;
  readonly Timestamp?: string | Expression;
  readonly SecondsPath?: string;
  readonly TimestampPath?: string;
}

/** Succeed: end this (sub)machine successfully. */
export interface SucceedState extends StateBase, InputOutput {
  readonly Type: 'Succeed';
}

/** Fail: end this (sub)machine with an error. */
export interface FailState extends StateBase {
  readonly Type: 'Fail';
  readonly Error?: string;
  readonly Cause?: string;
  readonly ErrorPath?: string;
  readonly CausePath?: string;
}

/** Parallel: run branches concurrently, results in branch order. */
export interface ParallelState extends StateBase, Transitioning, InputOutput {
  readonly Type: 'Parallel';
  readonly Branches: readonly StateMachine[];
  readonly Parameters?: JsonValue;
  /** JSONata: the input every branch gets. */
  readonly Arguments?: JsonValue;
  readonly ResultSelector?: JsonValue;
  readonly ResultPath?: string | null;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
}

/** Map (inline): run the item processor for every item, results in item order. */
export interface MapState extends StateBase, Transitioning, InputOutput {
  readonly Type: 'Map';
  /** Current form. */
  readonly ItemProcessor?: StateMachine;
  /** Older form, same meaning. */
  readonly Iterator?: StateMachine;
  readonly ItemsPath?: string;
  /** JSONata: the items, an array or an expression that yields one. */
  readonly Items?: JsonValue;
  /** Current form. */
  readonly ItemSelector?: JsonValue;
  /** Older form of ItemSelector. */
  readonly Parameters?: JsonValue;
  readonly MaxConcurrency?: number | Expression;
  readonly MaxConcurrencyPath?: string;
  readonly ToleratedFailureCount?: number | Expression;
  readonly ToleratedFailureCountPath?: string;
  readonly ToleratedFailurePercentage?: number | Expression;
  readonly ToleratedFailurePercentagePath?: string;
  readonly ResultSelector?: JsonValue;
  readonly ResultPath?: string | null;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
  /** Distributed Map: where the items come from (an S3 object or listing) instead of the input. */
  readonly ItemReader?: ItemReader;
  /** Distributed Map: groups items into batches, one child execution per batch. */
  readonly ItemBatcher?: ItemBatcher;
  /** Distributed Map: writes the child executions' results to S3 instead of returning them. */
  readonly ResultWriter?: ResultWriter;
  /** Distributed Map: the name of its map runs (defaults to the state name). */
  readonly Label?: string;
}

/** How a distributed Map reads its items: the S3 action, its parameters and how to parse the object. */
export interface ItemReader {
  readonly Resource: string;
  readonly Parameters?: JsonValue;
  /** JSONata: the parameters, with expressions. */
  readonly Arguments?: JsonValue;
  readonly ReaderConfig?: ReaderConfig;
}

/** How an object read by ItemReader is parsed, and how many items are taken from it. */
export interface ReaderConfig {
  readonly InputType?: 'JSON' | 'JSONL' | 'CSV' | 'MANIFEST';
  readonly CSVHeaderLocation?: 'FIRST_ROW' | 'GIVEN';
  readonly CSVHeaders?: readonly string[];
  readonly CSVDelimiter?: 'COMMA' | 'PIPE' | 'SEMICOLON' | 'SPACE' | 'TAB';
  readonly MaxItems?: number | Expression;
  readonly MaxItemsPath?: string;
}

/** How a distributed Map groups its items into the batches each child execution receives. */
export interface ItemBatcher {
  readonly MaxItemsPerBatch?: number | Expression;
  readonly MaxItemsPerBatchPath?: string;
  readonly MaxInputBytesPerBatch?: number | Expression;
  readonly MaxInputBytesPerBatchPath?: string;
  /** Added to every batch as `BatchInput` (a payload template, or JSONata). */
  readonly BatchInput?: JsonValue;
}

/**
 * Where and how a distributed Map writes its results: `arn:aws:states:::s3:putObject` with Bucket and
 * Prefix, shaped by WriterConfig; WriterConfig alone shapes the Map's output and writes nothing.
 */
export interface ResultWriter {
  readonly Resource?: string;
  readonly Parameters?: JsonValue;
  readonly Arguments?: JsonValue;
  readonly WriterConfig?: WriterConfig;
}

/**
 * How a ResultWriter shapes the children's results. Transformation `NONE`: each child's record (status,
 * input, output, metadata); `COMPACT`: each child's output; `FLATTEN`: each output, an array output
 * spread into its elements. A failed child keeps its record under every transformation. OutputType: a
 * JSON array per file, or JSON Lines.
 */
export interface WriterConfig {
  readonly OutputType?: 'JSON' | 'JSONL';
  readonly Transformation?: 'NONE' | 'COMPACT' | 'FLATTEN';
}

/** Every state type. */
export type State =
  | TaskState
  | PassState
  | ChoiceState
  | WaitState
  | SucceedState
  | FailState
  | ParallelState
  | MapState;

/** The `Type` discriminator. */
export type StateType = 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

/** Where a problem is: file, JSON-pointer-like path (`/States/Foo/Next`), state name, line and column. */
export interface SourceLocation {
  readonly file?: string;
  readonly path: string;
  readonly state?: string;
  readonly line?: number;
  readonly column?: number;
}

/** One problem found by the parser, validator or compiler; they report every problem at once. */
export interface GraphProblem extends SourceLocation {
  readonly message: string;
}

/** True for a JSON object (not null, not an array); for values read back from a store this runtime wrote. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
