/**
 * Graph -> CompiledGraph: every path, payload template, choice rule, intrinsic and JSONata expression of
 * an engine graph is parsed once here, so a transition only calls closures. Each state is compiled in its
 * own query language (its `QueryLanguage`, else the root's, else JSONPath). The router caches one CompiledGraph per
 * `engine@version`; compiling a 200-state graph takes a few milliseconds.
 */
import {
  compileJsonataField,
  DEFAULT_JSONATA_LIMITS,
  type ExpectedType,
  type ExpressionDialect,
  isJsonataText,
  type JsonataLimits,
  jsonPathDialect,
} from '../expressions/index.ts';
import { startsExecution, waitsForTaskToken } from '../taskResource.ts';
import type {
  Catcher,
  ChoiceRule,
  EngineGraph,
  JsonValue,
  MapState,
  ParallelState,
  Retrier,
  State,
  StateMachine,
} from '../types.ts';
import type {
  CompiledAssign,
  CompiledBase,
  CompiledCatcher,
  CompiledChoice,
  CompiledDistributed,
  CompiledGraph,
  CompiledItemReader,
  CompiledMachine,
  CompiledMap,
  CompiledParallel,
  CompiledRetrier,
  CompiledS3Request,
  CompiledState,
  Evaluate,
  MergeResult,
  Query,
} from './compiled.ts';

export type { CompiledGraph } from './compiled.ts';

/** Default payload limit, as Step Functions: 256 KiB of UTF-8 JSON. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
/** Default cap on states entered by one execution, as Step Functions' history limit. */
export const DEFAULT_MAX_TRANSITIONS = 25_000;

/** Limits and secrets that shape every execution of a graph. */
export interface CompileOptions {
  /** States.DataLimitExceeded above this many bytes (every state's input, result and output). */
  readonly maxPayloadBytes?: number;
  /** The execution fails with States.Runtime once it has entered this many states. */
  readonly maxTransitions?: number;
  /**
   * Key of the HMAC that derives `.waitForTaskToken` task tokens (required if the graph has one); a
   * function is asked at each token, so a compiled graph signs with a secret rotated after it compiled.
   */
  readonly taskTokenSecret?: string | Uint8Array | (() => Uint8Array);
  /** `$$.StateMachine.Name`; defaults to the graph's `Engine` field, then `engine`. */
  readonly stateMachineName?: string;
  /** `$$.StateMachine.Id`; defaults to the name. */
  readonly stateMachineId?: string;
  /** `$$.Execution.RoleArn` of executions that start without one: the role the router runs steps with. */
  readonly roleArn?: string;
  /** The expression language of paths, templates and rules; the ASL JSONPath dialect by default. */
  readonly dialect?: ExpressionDialect;
  /** What one JSONata evaluation may spend (steps, time, value sizes). */
  readonly jsonataLimits?: JsonataLimits;
  /**
   * How distributed Maps run their children: `threads` in this execution (the default), or
   * `executions`, each batch a child execution the runtime starts (it needs `taskTokenSecret`).
   */
  readonly mapChildren?: 'threads' | 'executions';
  /** The published engine and version this graph is, which a distributed Map's children run again. */
  readonly engineRef?: { readonly engine: string; readonly version: number };
}

/** The JSONPath dialect of the graph being compiled (compilation is synchronous, so one at a time). */
let dialect: ExpressionDialect = jsonPathDialect;
/** The JSONata bounds of the graph being compiled. */
let limits: JsonataLimits = DEFAULT_JSONATA_LIMITS;
/** The root's QueryLanguage: the language of states that name none. */
let rootJsonata = false;

/** A path field (InputPath, ItemsPath...) as an Evaluate. */
function pathEvaluator(path: string): Evaluate {
  const compiled = dialect.compilePath(path);
  return (input, context, _env, vars) => compiled(input, context, vars);
}

/** A JSONata field of `state`, absent -> undefined. */
function query(
  value: JsonValue | undefined,
  state: string,
  field: string,
  expected?: ExpectedType,
): Query | undefined {
  return value === undefined ? undefined : compileJsonataField(value, state, field, limits, expected);
}

/** A numeric field that a JSONata state may write as an expression. */
function queryIfExpression(
  value: unknown,
  state: string,
  field: string,
  expected: ExpectedType = 'number',
): Query | undefined {
  return isJsonataText(value) ? compileJsonataField(value, state, field, limits, expected) : undefined;
}

/** A number, unless the field holds an expression (compiled by {@link queryIfExpression}). */
function literalNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** Assign in the state's language. */
function compileAssign(
  value: JsonValue | undefined,
  jsonata: boolean,
  state: string,
  field = 'Assign',
): CompiledAssign | undefined {
  if (value === undefined) return undefined;
  if (jsonata) return { query: compileJsonataField(value, state, field, limits) };
  return { path: dialect.compilePayloadTemplate(value) };
}

/** InputPath / OutputPath: `$` and absent are the identity, null is the spec's empty object. */
function ioPath(path: string | null | undefined): Evaluate | null | undefined {
  if (path === null) return null;
  if (path === undefined || path === '$') return undefined;
  return pathEvaluator(path);
}

/** ResultPath: absent or `$` replaces, null keeps the input, otherwise sets at the reference path. */
function compileResultPath(path: string | null | undefined): MergeResult {
  return dialect.compileResultPath(path);
}

/** A payload template (Parameters, ResultSelector, ItemSelector), absent -> undefined. */
function template(value: JsonValue | undefined): Evaluate | undefined {
  if (value === undefined) return undefined;
  return dialect.compilePayloadTemplate(value);
}

/** ErrorPath / CausePath: a reference path or an intrinsic function. */
function pathOrIntrinsic(expression: string): Evaluate {
  if (expression.startsWith('States.')) return dialect.compileIntrinsic(expression);
  return pathEvaluator(expression);
}

/** Fail's Error / Cause in a JSONata state: a literal string, or an expression. */
function failText(
  value: string | undefined,
  state: string,
  field: string,
): { text: string | undefined; query: Query | undefined } {
  return isJsonataText(value)
    ? { text: undefined, query: compileJsonataField(value, state, field, limits, 'string') }
    : { text: value, query: undefined };
}

const NONE: readonly never[] = [];

function compileChoice(
  rule: ChoiceRule,
  index: number,
  jsonata: boolean,
  state: string,
): CompiledChoice['choices'][number] {
  if (!jsonata) {
    return {
      test: dialect.compileChoiceRule(rule),
      condition: undefined,
      next: rule.Next ?? '',
      assign:
        rule.Assign === undefined
          ? undefined
          : compileAssign(rule.Assign, false, state, `Choices/${index}/Assign`),
      output: undefined,
    };
  }
  const where = `Choices/${index}`;
  return {
    test: undefined,
    condition: compileJsonataField(rule.Condition ?? false, state, `${where}/Condition`, limits, 'boolean'),
    next: rule.Next ?? '',
    assign: compileAssign(rule.Assign, true, state, `${where}/Assign`),
    output: query(rule.Output, state, `${where}/Output`),
  };
}

function compileRetrier(r: Retrier): CompiledRetrier {
  return {
    errorEquals: r.ErrorEquals,
    intervalMs: (r.IntervalSeconds ?? 1) * 1000,
    maxAttempts: r.MaxAttempts ?? 3,
    backoffRate: r.BackoffRate ?? 2,
    maxDelayMs: r.MaxDelaySeconds === undefined ? undefined : r.MaxDelaySeconds * 1000,
    jitter: r.JitterStrategy === 'FULL',
  };
}

function compileCatcher(c: Catcher, index: number, jsonata: boolean, state: string): CompiledCatcher {
  return {
    errorEquals: c.ErrorEquals,
    next: c.Next,
    output: jsonata ? query(c.Output, state, `Catch/${index}/Output`) : undefined,
    assign: compileAssign(c.Assign, jsonata, state, `Catch/${index}/Assign`),
    resultPath: compileResultPath(c.ResultPath),
    resultBound: dialect.resultPathBound(c.ResultPath),
  };
}

function compileRetry(retry: readonly Retrier[] | undefined): readonly CompiledRetrier[] {
  return retry === undefined ? NONE : retry.map(compileRetrier);
}

function compileCatch(
  catchers: readonly Catcher[] | undefined,
  jsonata: boolean,
  state: string,
): readonly CompiledCatcher[] {
  return catchers === undefined ? NONE : catchers.map((c, k) => compileCatcher(c, k, jsonata, state));
}

function numberOrPath(value: unknown, path: string | undefined): number | Evaluate | undefined {
  if (typeof value === 'number') return value;
  return path === undefined ? undefined : pathEvaluator(path);
}

const SUB_MACHINES: ReadonlySet<string> = new Set(['Branches', 'ItemProcessor', 'Iterator']);

/** Whether a value holds a string mentioning `$$` (a path or intrinsic reading the context object). */
function mentionsContext(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('$$');
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(mentionsContext);
  for (const key in value) {
    if (key.includes('$$') || mentionsContext((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** Whether a value holds a JSONata expression reading `$states.context` (or `$states` whole). */
function mentionsStatesContext(value: unknown): boolean {
  if (typeof value === 'string') return /\$states(?!\.(?:input|result|errorOutput)\b)/.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(mentionsStatesContext);
  for (const key in value) {
    if (mentionsStatesContext((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** Whether a state's own expressions read the context object (sub-machines are not looked into). */
function readsContext(state: State, jsonata: boolean): boolean {
  const reads = jsonata ? mentionsStatesContext : mentionsContext;
  for (const key in state) {
    if (!SUB_MACHINES.has(key) && reads((state as unknown as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function compileState(name: string, state: State, counter: { states: number }): CompiledState {
  counter.states += 1;
  const jsonata = state.QueryLanguage === undefined ? rootJsonata : state.QueryLanguage === 'JSONata';
  const next = 'Next' in state ? state.Next : undefined;
  const end = 'End' in state ? state.End === true : false;
  const inputPath = 'InputPath' in state && !jsonata ? ioPath(state.InputPath) : undefined;
  const outputPath = 'OutputPath' in state && !jsonata ? ioPath(state.OutputPath) : undefined;
  const usesContext = readsContext(state, jsonata);
  const output = jsonata ? query(state.Output, name, 'Output') : undefined;
  const assign = compileAssign(state.Assign, jsonata, name);
  const entered = `${state.Type}StateEntered` as const;
  const exited = `${state.Type}StateExited` as const;
  switch (state.Type) {
    case 'Task':
      return {
        type: 'Task',
        name,
        next,
        end,
        inputPath,
        outputPath,
        usesContext,
        jsonata,
        output,
        assign,
        entered,
        exited,
        resource: state.Resource,
        callback: waitsForTaskToken(state.Resource),
        issuesToken: startsExecution(state.Resource),
        parameters: jsonata ? undefined : template(state.Parameters),
        resultSelector: jsonata ? undefined : template(state.ResultSelector),
        resultPath: compileResultPath(jsonata ? undefined : state.ResultPath),
        resultBound: dialect.resultPathBound(jsonata ? undefined : state.ResultPath),
        retry: compileRetry(state.Retry),
        catch: compileCatch(state.Catch, jsonata, name),
        timeoutSeconds: numberOrPath(state.TimeoutSeconds, state.TimeoutSecondsPath),
        heartbeatSeconds: numberOrPath(state.HeartbeatSeconds, state.HeartbeatSecondsPath),
        arguments: jsonata ? query(state.Arguments, name, 'Arguments') : undefined,
        timeoutQuery: queryIfExpression(state.TimeoutSeconds, name, 'TimeoutSeconds'),
        heartbeatQuery: queryIfExpression(state.HeartbeatSeconds, name, 'HeartbeatSeconds'),
      };
    case 'Pass':
      return {
        type: 'Pass',
        name,
        next,
        end,
        inputPath,
        outputPath,
        usesContext,
        jsonata,
        output,
        assign,
        entered,
        exited,
        parameters: jsonata ? undefined : template(state.Parameters),
        result: jsonata ? undefined : state.Result,
        resultPath: compileResultPath(jsonata ? undefined : state.ResultPath),
        resultBound: dialect.resultPathBound(jsonata ? undefined : state.ResultPath),
      };
    case 'Choice':
      return {
        type: 'Choice',
        name,
        next,
        end,
        inputPath,
        outputPath,
        usesContext,
        jsonata,
        output,
        assign,
        entered,
        exited,
        choices: state.Choices.map((rule, k) => compileChoice(rule, k, jsonata, name)),
        default: state.Default,
      };
    case 'Wait':
      return {
        type: 'Wait',
        name,
        next,
        end,
        inputPath,
        outputPath,
        usesContext,
        jsonata,
        output,
        assign,
        entered,
        exited,
        seconds: literalNumber(state.Seconds),
        timestamp: isJsonataText(state.Timestamp) ? undefined : state.Timestamp,
        secondsPath: state.SecondsPath === undefined ? undefined : pathEvaluator(state.SecondsPath),
        timestampPath: state.TimestampPath === undefined ? undefined : pathEvaluator(state.TimestampPath),
        secondsQuery: queryIfExpression(state.Seconds, name, 'Seconds'),
        timestampQuery: queryIfExpression(state.Timestamp, name, 'Timestamp', 'string'),
      };
    case 'Succeed':
      return {
        type: 'Succeed',
        name,
        next,
        end,
        inputPath,
        outputPath,
        usesContext,
        jsonata,
        output,
        assign,
        entered,
        exited,
      };
    case 'Fail': {
      const error = failText(state.Error, name, 'Error');
      const cause = failText(state.Cause, name, 'Cause');
      return {
        type: 'Fail',
        name,
        next,
        end,
        inputPath,
        outputPath,
        usesContext,
        jsonata,
        output,
        assign,
        entered,
        exited,
        error: state.ErrorPath === undefined ? error.text : pathOrIntrinsic(state.ErrorPath),
        cause: state.CausePath === undefined ? cause.text : pathOrIntrinsic(state.CausePath),
        errorQuery: error.query,
        causeQuery: cause.query,
      };
    }
    case 'Parallel':
      return compileParallel(
        { name, next, end, inputPath, outputPath, usesContext, jsonata, output, assign, entered, exited },
        state,
        counter,
      );
    case 'Map':
      return compileMap(
        { name, next, end, inputPath, outputPath, usesContext, jsonata, output, assign, entered, exited },
        state,
        counter,
      );
  }
}

/**
 * The fields every compiled state has. Each state is one object literal naming them one by one: neither
 * object spread (30 times slower on objects with undefined fields) nor `Object.assign` (which copies
 * field by field and leaves most of them outside the object) comes near a literal, which also gives the
 * transition loop in-object fields to read.
 */
type Base = Omit<CompiledBase, 'type'>;

function compileParallel(base: Base, state: ParallelState, counter: { states: number }): CompiledParallel {
  const jsonata = base.jsonata;
  return {
    type: 'Parallel',
    name: base.name,
    next: base.next,
    end: base.end,
    inputPath: base.inputPath,
    outputPath: base.outputPath,
    usesContext: base.usesContext,
    jsonata: base.jsonata,
    output: base.output,
    assign: base.assign,
    entered: base.entered,
    exited: base.exited,
    branches: state.Branches.map((branch) => compileMachine(branch, counter)),
    parameters: jsonata ? undefined : template(state.Parameters),
    arguments: jsonata ? query(state.Arguments, base.name, 'Arguments') : undefined,
    resultSelector: jsonata ? undefined : template(state.ResultSelector),
    resultPath: compileResultPath(jsonata ? undefined : state.ResultPath),
    resultBound: dialect.resultPathBound(jsonata ? undefined : state.ResultPath),
    retry: compileRetry(state.Retry),
    catch: compileCatch(state.Catch, jsonata, base.name),
  };
}

function compileMap(base: Base, state: MapState, counter: { states: number }): CompiledMap {
  const processor = state.ItemProcessor ?? state.Iterator;
  if (processor === undefined) {
    throw new TypeError(`Map state '${base.name}': neither ItemProcessor nor Iterator is present`);
  }
  const jsonata = base.jsonata;
  const name = base.name;
  return {
    type: 'Map',
    name: base.name,
    next: base.next,
    end: base.end,
    inputPath: base.inputPath,
    outputPath: base.outputPath,
    usesContext: base.usesContext,
    jsonata: base.jsonata,
    output: base.output,
    assign: base.assign,
    entered: base.entered,
    exited: base.exited,
    processor: compileMachine(processor, counter),
    itemsPath:
      jsonata || state.ItemsPath === undefined || state.ItemsPath === '$'
        ? undefined
        : pathEvaluator(state.ItemsPath),
    itemSelector: jsonata ? undefined : template(state.ItemSelector ?? state.Parameters),
    items: jsonata ? query(state.Items, name, 'Items', 'array') : undefined,
    itemSelectorQuery: jsonata ? query(state.ItemSelector, name, 'ItemSelector') : undefined,
    maxConcurrency: numberOrPath(state.MaxConcurrency, state.MaxConcurrencyPath) ?? 0,
    toleratedFailureCount: numberOrPath(state.ToleratedFailureCount, state.ToleratedFailureCountPath),
    toleratedFailurePercentage: numberOrPath(
      state.ToleratedFailurePercentage,
      state.ToleratedFailurePercentagePath,
    ),
    maxConcurrencyQuery: queryIfExpression(state.MaxConcurrency, name, 'MaxConcurrency'),
    toleratedFailureCountQuery: queryIfExpression(state.ToleratedFailureCount, name, 'ToleratedFailureCount'),
    toleratedFailurePercentageQuery: queryIfExpression(
      state.ToleratedFailurePercentage,
      name,
      'ToleratedFailurePercentage',
    ),
    resultSelector: jsonata ? undefined : template(state.ResultSelector),
    resultPath: compileResultPath(jsonata ? undefined : state.ResultPath),
    resultBound: dialect.resultPathBound(jsonata ? undefined : state.ResultPath),
    retry: compileRetry(state.Retry),
    catch: compileCatch(state.Catch, jsonata, name),
    distributed:
      processor.ProcessorConfig?.Mode === 'DISTRIBUTED'
        ? compileDistributed(state, name, jsonata)
        : undefined,
  };
}

/** Parameters (JSONPath) or Arguments (JSONata) of an ItemReader / ResultWriter. */
function compileS3Request(
  value: { readonly Resource?: string; readonly Parameters?: JsonValue; readonly Arguments?: JsonValue },
  name: string,
  field: string,
  jsonata: boolean,
): CompiledS3Request {
  return {
    resource: value.Resource ?? '',
    parameters: jsonata ? undefined : template(value.Parameters),
    arguments: jsonata ? query(value.Arguments, name, `${field}/Arguments`) : undefined,
  };
}

function compileDistributed(state: MapState, name: string, jsonata: boolean): CompiledDistributed {
  const reader = state.ItemReader;
  const batcher = state.ItemBatcher;
  let compiledReader: CompiledItemReader | undefined;
  if (reader !== undefined) {
    const { MaxItems, MaxItemsPath, ...config } = reader.ReaderConfig ?? {};
    compiledReader = {
      ...compileS3Request(reader, name, 'ItemReader', jsonata),
      config: config as Record<string, JsonValue>,
      maxItems: numberOrPath(MaxItems, MaxItemsPath),
      maxItemsQuery: queryIfExpression(MaxItems, name, 'ItemReader/ReaderConfig/MaxItems'),
    };
  }
  return {
    label: state.Label ?? name,
    executionType: state.ItemProcessor?.ProcessorConfig?.ExecutionType ?? 'STANDARD',
    reader: compiledReader,
    batcher:
      batcher === undefined
        ? undefined
        : {
            maxItems: numberOrPath(batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath),
            maxItemsQuery: queryIfExpression(batcher.MaxItemsPerBatch, name, 'ItemBatcher/MaxItemsPerBatch'),
            maxBytes: numberOrPath(batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath),
            maxBytesQuery: queryIfExpression(
              batcher.MaxInputBytesPerBatch,
              name,
              'ItemBatcher/MaxInputBytesPerBatch',
            ),
            batchInput: jsonata ? undefined : template(batcher.BatchInput),
            batchInputQuery: jsonata ? query(batcher.BatchInput, name, 'ItemBatcher/BatchInput') : undefined,
          },
    writer:
      state.ResultWriter?.Resource === undefined
        ? undefined
        : compileS3Request(state.ResultWriter, name, 'ResultWriter', jsonata),
    writerConfig:
      state.ResultWriter?.WriterConfig === undefined
        ? undefined
        : {
            outputType: state.ResultWriter.WriterConfig.OutputType ?? 'JSON',
            transformation: state.ResultWriter.WriterConfig.Transformation ?? 'NONE',
          },
  };
}

function compileMachine(machine: StateMachine, counter: { states: number }): CompiledMachine {
  const states = new Map<string, CompiledState>();
  for (const [name, state] of Object.entries(machine.States)) {
    try {
      states.set(name, compileState(name, state, counter));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`state '${name}': ${reason}`, { cause: error });
    }
  }
  return { startAt: machine.StartAt, states };
}

/** The signing key as the interpreter asks for it: a fixed key becomes a function returning it. */
function signingKey(secret: CompileOptions['taskTokenSecret']): (() => Uint8Array) | undefined {
  if (secret === undefined || typeof secret === 'function') return secret;
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return () => key;
}

/**
 * Compiles a validated graph for the interpreter. Throws a TypeError naming the state when an expression
 * does not compile (the validator normally reports those first, with their location).
 *
 * @example
 * const compiled = compileGraph(graph, { taskTokenSecret: process.env.TASK_TOKEN_SECRET });
 * const step = startExecution(compiled, { executionId: 'e-1', input: {}, startTime: Date.now() }, Date.now());
 */
export function compileGraph(graph: EngineGraph, options: CompileOptions = {}): CompiledGraph {
  const counter = { states: 0 };
  const previous = { dialect, limits, rootJsonata };
  dialect = options.dialect ?? jsonPathDialect;
  limits = options.jsonataLimits ?? DEFAULT_JSONATA_LIMITS;
  rootJsonata = graph.QueryLanguage === 'JSONata';
  let root: CompiledMachine;
  try {
    root = compileMachine(graph, counter);
  } finally {
    ({ dialect, limits, rootJsonata } = previous);
  }
  const secret = options.taskTokenSecret;
  const name = options.stateMachineName ?? graph.Engine ?? 'engine';
  return {
    graph,
    root,
    timeoutSeconds: graph.TimeoutSeconds,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    maxTransitions: options.maxTransitions ?? DEFAULT_MAX_TRANSITIONS,
    taskTokenSecret: signingKey(secret),
    stateMachineName: name,
    stateMachineId: options.stateMachineId ?? name,
    roleArn: options.roleArn ?? '',
    stateCount: counter.states,
    mapChildren: options.mapChildren ?? 'threads',
    engineRef: options.engineRef,
  };
}
