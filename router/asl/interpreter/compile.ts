/**
 * Graph -> CompiledGraph: every path, payload template, choice rule and intrinsic of an engine graph is
 * parsed once here, so a transition only calls closures. The router caches one CompiledGraph per
 * `engine@version`; compiling a 200-state graph takes a few milliseconds.
 */
import { type ExpressionDialect, jsonPathDialect } from '../expressions/index.ts';
import { waitsForTaskToken } from '../taskResource.ts';
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
  CompiledBase,
  CompiledCatcher,
  CompiledChoice,
  CompiledGraph,
  CompiledMachine,
  CompiledMap,
  CompiledParallel,
  CompiledRetrier,
  CompiledState,
  Evaluate,
  MergeResult,
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
  /** Key of the HMAC that derives `.waitForTaskToken` task tokens (required if the graph has one). */
  readonly taskTokenSecret?: string | Uint8Array;
  /** `$$.StateMachine.Name`; defaults to the graph's `Engine` field, then `engine`. */
  readonly stateMachineName?: string;
  /** `$$.StateMachine.Id`; defaults to the name. */
  readonly stateMachineId?: string;
  /** `$$.Execution.RoleArn` of executions that start without one: the role the router runs steps with. */
  readonly roleArn?: string;
  /** The expression language of paths, templates and rules; the ASL JSONPath dialect by default. */
  readonly dialect?: ExpressionDialect;
}

/** The dialect of the graph being compiled (compilation is synchronous, so one at a time). */
let dialect: ExpressionDialect = jsonPathDialect;

/** A path field (InputPath, ItemsPath...) as an Evaluate. */
function pathEvaluator(path: string): Evaluate {
  return dialect.compilePath(path);
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

const NONE: readonly never[] = [];

function compileChoice(rule: ChoiceRule): CompiledChoice['choices'][number] {
  return { test: dialect.compileChoiceRule(rule), next: rule.Next ?? '' };
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

function compileCatcher(c: Catcher): CompiledCatcher {
  return {
    errorEquals: c.ErrorEquals,
    next: c.Next,
    resultPath: compileResultPath(c.ResultPath),
    resultBound: dialect.resultPathBound(c.ResultPath),
  };
}

function compileRetry(retry: readonly Retrier[] | undefined): readonly CompiledRetrier[] {
  return retry === undefined ? NONE : retry.map(compileRetrier);
}

function compileCatch(catchers: readonly Catcher[] | undefined): readonly CompiledCatcher[] {
  return catchers === undefined ? NONE : catchers.map(compileCatcher);
}

function numberOrPath(value: number | undefined, path: string | undefined): number | Evaluate | undefined {
  if (value !== undefined) return value;
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

/** Whether a state's own expressions read the context object (sub-machines are not looked into). */
function readsContext(state: State): boolean {
  for (const [key, value] of Object.entries(state)) {
    if (!SUB_MACHINES.has(key) && mentionsContext(value)) return true;
  }
  return false;
}

function compileState(name: string, state: State, counter: { states: number }): CompiledState {
  counter.states += 1;
  const base = {
    name,
    next: 'Next' in state ? state.Next : undefined,
    end: 'End' in state ? state.End === true : false,
    inputPath: 'InputPath' in state ? ioPath(state.InputPath) : undefined,
    outputPath: 'OutputPath' in state ? ioPath(state.OutputPath) : undefined,
    usesContext: readsContext(state),
    entered: `${state.Type}StateEntered` as const,
    exited: `${state.Type}StateExited` as const,
  };
  switch (state.Type) {
    case 'Task':
      return withBase(base, {
        type: 'Task',
        resource: state.Resource,
        callback: waitsForTaskToken(state.Resource),
        parameters: template(state.Parameters),
        resultSelector: template(state.ResultSelector),
        resultPath: compileResultPath(state.ResultPath),
        resultBound: dialect.resultPathBound(state.ResultPath),
        retry: compileRetry(state.Retry),
        catch: compileCatch(state.Catch),
        timeoutSeconds: numberOrPath(state.TimeoutSeconds, state.TimeoutSecondsPath),
        heartbeatSeconds: numberOrPath(state.HeartbeatSeconds, state.HeartbeatSecondsPath),
      });
    case 'Pass':
      return withBase(base, {
        type: 'Pass',
        parameters: template(state.Parameters),
        result: state.Result,
        resultPath: compileResultPath(state.ResultPath),
        resultBound: dialect.resultPathBound(state.ResultPath),
      });
    case 'Choice':
      return withBase(base, {
        type: 'Choice',
        choices: state.Choices.map(compileChoice),
        default: state.Default,
      });
    case 'Wait':
      return withBase(base, {
        type: 'Wait',
        seconds: state.Seconds,
        timestamp: state.Timestamp,
        secondsPath: state.SecondsPath === undefined ? undefined : pathEvaluator(state.SecondsPath),
        timestampPath: state.TimestampPath === undefined ? undefined : pathEvaluator(state.TimestampPath),
      });
    case 'Succeed':
      return withBase(base, { type: 'Succeed' as const });
    case 'Fail':
      return withBase(base, {
        type: 'Fail',
        error: state.ErrorPath === undefined ? state.Error : pathOrIntrinsic(state.ErrorPath),
        cause: state.CausePath === undefined ? state.Cause : pathOrIntrinsic(state.CausePath),
      });
    case 'Parallel':
      return compileParallel(base, state, counter);
    case 'Map':
      return compileMap(base, state, counter);
  }
}

type Base = Omit<CompiledBase, 'type'>;

/**
 * A compiled state from the common fields plus its own. `Object.assign` rather than object spread: V8
 * builds objects spread from one with undefined fields some 30 times slower, which dominated compile time.
 */
function withBase<T extends object>(base: Base, own: T): Base & T {
  return Object.assign({}, base, own);
}

function compileParallel(base: Base, state: ParallelState, counter: { states: number }): CompiledParallel {
  return withBase(base, {
    type: 'Parallel',
    branches: state.Branches.map((branch) => compileMachine(branch, counter)),
    parameters: template(state.Parameters),
    resultSelector: template(state.ResultSelector),
    resultPath: compileResultPath(state.ResultPath),
    resultBound: dialect.resultPathBound(state.ResultPath),
    retry: compileRetry(state.Retry),
    catch: compileCatch(state.Catch),
  });
}

function compileMap(base: Base, state: MapState, counter: { states: number }): CompiledMap {
  const processor = state.ItemProcessor ?? state.Iterator;
  if (processor === undefined) {
    throw new TypeError(`Map state '${base.name}': neither ItemProcessor nor Iterator is present`);
  }
  return withBase(base, {
    type: 'Map',
    processor: compileMachine(processor, counter),
    itemsPath:
      state.ItemsPath === undefined || state.ItemsPath === '$' ? undefined : pathEvaluator(state.ItemsPath),
    itemSelector: template(state.ItemSelector ?? state.Parameters),
    maxConcurrency: numberOrPath(state.MaxConcurrency, state.MaxConcurrencyPath) ?? 0,
    toleratedFailureCount: numberOrPath(state.ToleratedFailureCount, state.ToleratedFailureCountPath),
    toleratedFailurePercentage: numberOrPath(
      state.ToleratedFailurePercentage,
      state.ToleratedFailurePercentagePath,
    ),
    resultSelector: template(state.ResultSelector),
    resultPath: compileResultPath(state.ResultPath),
    resultBound: dialect.resultPathBound(state.ResultPath),
    retry: compileRetry(state.Retry),
    catch: compileCatch(state.Catch),
  });
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
  const previous = dialect;
  dialect = options.dialect ?? jsonPathDialect;
  let root: CompiledMachine;
  try {
    root = compileMachine(graph, counter);
  } finally {
    dialect = previous;
  }
  const secret = options.taskTokenSecret;
  const name = options.stateMachineName ?? graph.Engine ?? 'engine';
  return {
    graph,
    root,
    timeoutSeconds: graph.TimeoutSeconds,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    maxTransitions: options.maxTransitions ?? DEFAULT_MAX_TRANSITIONS,
    taskTokenSecret: typeof secret === 'string' ? new TextEncoder().encode(secret) : secret,
    stateMachineName: name,
    stateMachineId: options.stateMachineId ?? name,
    roleArn: options.roleArn ?? '',
    stateCount: counter.states,
  };
}
