/**
 * Interpreter figures: state transitions per second on a Task + Choice + Pass loop with invokes answered
 * in-process, and the time to load (parse + validate) and compile a 200-state graph; then the same loop
 * written in JSONata (Pass with Output, Task with Arguments, Choice by Condition) and the rate of single
 * JSONata evaluations, so the cost of the second query language is read beside the first; and executions
 * per second against aws-local-stepfunctions (another ASL interpreter in TypeScript) on a 5-state, a Map
 * and a Parallel graph, alternating the two in rounds. Run alone with `node --import tsx bench/interpreter.ts`.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { StateMachine } from 'aws-local-stepfunctions';
import type { EngineGraph, IntrinsicEnv, JsonObject, JsonValue } from '../router/asl/index.ts';
import {
  type CompiledGraph,
  compileGraph,
  compileJsonataField,
  loadGraph,
  runExecution,
  systemClock,
} from '../router/asl/index.ts';
import { median } from './stats.ts';

const LOOP_GRAPH: EngineGraph = {
  StartAt: 'Init',
  States: {
    Init: { Type: 'Pass', Result: { i: 0, total: 0 }, Next: 'Work' },
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:add',
      Parameters: { 'i.$': '$.i', 'total.$': '$.total' },
      Next: 'More?',
    },
    'More?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.i', NumericLessThan: 100_000, Next: 'Again' }],
      Default: 'Done',
    },
    Again: { Type: 'Pass', Next: 'Work' },
    Done: { Type: 'Succeed' },
  },
};

/** Iterations of the JSONata loop: fewer than the JSONPath one, as each of its expressions costs more. */
const JSONATA_ITERATIONS = 10_000;

/** {@link LOOP_GRAPH} in JSONata: the same states and data, with Output, Arguments and a Condition. */
const LOOP_GRAPH_JSONATA: EngineGraph = {
  QueryLanguage: 'JSONata',
  StartAt: 'Init',
  States: {
    Init: { Type: 'Pass', Output: { i: 0, total: 0 }, Next: 'Work' },
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:add',
      Arguments: { i: '{% $states.input.i %}', total: '{% $states.input.total %}' },
      Next: 'More?',
    },
    'More?': {
      Type: 'Choice',
      Choices: [{ Condition: `{% $states.input.i < ${JSONATA_ITERATIONS} %}`, Next: 'Again' }],
      Default: 'Done',
    },
    Again: { Type: 'Pass', Next: 'Work' },
    Done: { Type: 'Succeed' },
  },
};

/** A graph of `count` states (Pass, Task, Choice in turn, with paths, templates, intrinsics), as HJSON text. */
function graphSource(count: number): string {
  const states: Record<string, JsonObject> = {};
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    const next: JsonObject = last ? { End: true } : { Next: `S${i + 1}` };
    if (last) {
      states[`S${i}`] = { Type: 'Succeed' };
    } else if (i % 3 === 0) {
      states[`S${i}`] = { Type: 'Pass', Parameters: { 'v.$': '$.v', n: i }, ResultPath: `$.p${i}`, ...next };
    } else if (i % 3 === 1) {
      states[`S${i}`] = {
        Type: 'Task',
        Resource: `arn:aws:lambda:us-east-1:000000000000:function:f${i}`,
        Parameters: { 'a.$': '$.v', 'b.$': "States.Format('x{}', $.v)" },
        ResultSelector: { 'r.$': '$.Payload' },
        ResultPath: `$.t${i}`,
        Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }],
        ...next,
      };
    } else {
      states[`S${i}`] = {
        Type: 'Choice',
        Choices: [
          { Variable: '$.v', NumericGreaterThan: i, Next: `S${i + 1}` },
          {
            And: [
              { Variable: '$.v', IsPresent: true },
              { Variable: '$.w', StringMatches: 'a*' },
            ],
            Next: `S${i + 1}`,
          },
        ],
        Default: `S${i + 1}`,
      };
    }
  }
  return `# ${count}-state benchmark graph\n${JSON.stringify({ StartAt: 'S0', States: states }, null, 2)}\n`;
}

/** The Task's answer in both loops: the next counter and the running total. */
function answer(input: JsonValue): JsonValue {
  const o = input as JsonObject;
  return { i: (o.i as number) + 1, total: (o.total as number) + (o.i as number) };
}

const invoke = (effect: { input: JsonValue }) =>
  Promise.resolve({ ok: true as const, output: answer(effect.input) });

/** Runs a loop graph once to warm up, then once measured: its transitions, wall and CPU seconds. */
async function measureLoop(
  compiled: CompiledGraph,
): Promise<{ transitions: number; seconds: number; cpuSeconds: number }> {
  await runExecution(
    compiled,
    { executionId: 'warm', input: {}, startTime: 0 },
    { invoke, clock: systemClock, historyLimit: 100 },
  );
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await runExecution(
    compiled,
    { executionId: 'bench', input: {}, startTime: Date.now() },
    { invoke, clock: systemClock, historyLimit: 100 },
  );
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (result.status !== 'SUCCEEDED') throw new Error(`bench execution ended ${result.status}`);
  return {
    transitions: result.state.transitions,
    seconds: elapsed / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** Evaluations per second of one JSONata field (`$states.input.i + 1`), outside any state. */
function jsonataEvaluationsPerSecond(count: number): number {
  const field = compileJsonataField('{% $states.input.i + 1 %}', 'Bench', 'Output');
  const env: IntrinsicEnv = { random: () => 0.5, uuid: () => '00000000-0000-4000-8000-000000000000' };
  const evaluate = (i: number): JsonValue => field({ states: { input: { i } }, variables: {}, env, now: 0 });
  for (let i = 0; i < 1_000; i++) evaluate(i);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (evaluate(i) !== i + 1) throw new Error(`JSONata evaluation ${i} gave a wrong answer`);
  }
  return Math.round(count / ((performance.now() - started) / 1000));
}

/**
 * aws-local-stepfunctions calls `Promise.withResolvers`, which Node 22 (Lambda's runtime) has and Node 20
 * lacks: give it the standard one on Node 20 so the contest runs on either.
 */
function ensurePromiseWithResolvers(): void {
  const promise = Promise as { withResolvers?: unknown };
  if (typeof promise.withResolvers === 'function') return;
  promise.withResolvers = <T>() => {
    let resolve: (value: T) => void = () => {};
    let reject: (reason: unknown) => void = () => {};
    const created = new Promise<T>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise: created, resolve, reject };
  };
}

const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:work';

/** The graphs both interpreters run: every Task calls `work`, answered in-process. */
const CONTEST_GRAPHS: Readonly<Record<string, EngineGraph>> = {
  fiveStates: {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Parameters: { 'n.$': '$.n', kind: 'order' }, Next: 'Work' },
      Work: { Type: 'Task', Resource: LAMBDA, ResultPath: '$.work', Next: 'Big?' },
      'Big?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericGreaterThan: 5, Next: 'Big' }],
        Default: 'Small',
      },
      Big: { Type: 'Pass', Result: 'big', ResultPath: '$.size', End: true },
      Small: { Type: 'Pass', Result: 'small', ResultPath: '$.size', End: true },
    },
  },
  map: {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        Iterator: {
          StartAt: 'Item',
          States: { Item: { Type: 'Task', Resource: LAMBDA, End: true } },
        },
        ResultPath: '$.results',
        End: true,
      },
    },
  },
  parallel: {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Parallel',
        Branches: ['A', 'B', 'C'].map((name) => ({
          StartAt: name,
          States: { [name]: { Type: 'Task', Resource: LAMBDA, End: true } },
        })),
        ResultPath: '$.branches',
        End: true,
      },
    },
  },
};

const CONTEST_INPUT: JsonObject = { n: 7, items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };
const CONTEST_ROUNDS = 5;
/**
 * Untimed executions before the timed round, in each side's process: at least this many, so that a
 * machine running slower still brings both sides' hot paths to the same tier of the JIT, and for at
 * least {@link WARM_UP_CPU_MS}, so that the faster side is not still being compiled when the clock
 * starts. With 3,000 executions alone our 5-state side had run for some 50 ms: its timed round then
 * paid for the JIT's background compilation (which counts as the process's CPU time) and measured
 * 50,000 executions per CPU-second where a warmed process runs 105,000-115,000.
 */
const WARM_UP_EXECUTIONS = 3_000;
const WARM_UP_CPU_MS = 1_000;

const work = (input: JsonValue): JsonValue => ({ done: true, seen: typeof input });

/**
 * CPU time each side runs per round: long enough that the clock's granularity and a single collection
 * of the old generation do not decide the round.
 */
const CONTEST_CPU_MS = 500;

/**
 * Runs `run` one execution after another until both `executions` have run and `cpuMs` of this process's
 * CPU time has passed; returns the executions run and the CPU milliseconds they took.
 */
async function runFor(
  run: () => Promise<unknown>,
  executions: number,
  cpuMs: number,
): Promise<{ count: number; cpuMs: number }> {
  const before = process.cpuUsage();
  let count = 0;
  let used = 0;
  while (count < executions || used < cpuMs) {
    for (let i = 0; i < 20; i += 1) await run();
    count += 20;
    const usage = process.cpuUsage(before);
    used = (usage.user + usage.system) / 1000;
  }
  return { count, cpuMs: used };
}

/** The flag that makes this file the process of one side of one contest round. */
const CONTEST_FLAG = '--contest';
const SIDES = ['ours', 'theirs'] as const;
type Side = (typeof SIDES)[number];

/**
 * Executions per CPU-second of this interpreter over aws-local-stepfunctions' on each contest graph:
 * min / median / max of the ratio over rounds. Each side of each round runs in a fresh process, the
 * two alternating which goes first: in one shared heap, each side's rounds would also pay to collect
 * the other's garbage (aws-local-stepfunctions keeps about 18 KB per Map execution it ran, so its heap
 * grows by 90 MB every 5,000 runs and collecting it lands on whichever side runs).
 */
async function contest(): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = {};
  for (const name of Object.keys(CONTEST_GRAPHS)) {
    const ratios: number[] = [];
    for (let round = 0; round < CONTEST_ROUNDS; round += 1) {
      const rates = new Map<Side, number>();
      for (const side of round % 2 === 0 ? SIDES : SIDES.toReversed()) {
        const { stdout } = await promisify(execFile)(process.execPath, [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          CONTEST_FLAG,
          name,
          side,
        ]);
        rates.set(side, Number(stdout));
      }
      ratios.push((rates.get('ours') ?? 0) / (rates.get('theirs') ?? 1));
    }
    ratios.sort((x, y) => x - y);
    const at = (value: number | undefined): number => Number((value ?? 0).toFixed(1));
    figures[`interpreter.vsAwsLocalStepFunctions.${name}.minMedianMax`] =
      `${at(ratios[0])} / ${at(median(ratios))} / ${at(ratios.at(-1))}`;
  }
  return figures;
}

/** One side of one contest round, in this process: untimed executions, then the timed round. */
async function contestRate(name: string, side: string): Promise<number> {
  const graph = CONTEST_GRAPHS[name];
  if (graph === undefined || (side !== 'ours' && side !== 'theirs')) {
    throw new Error(
      `bench interpreter: ${CONTEST_FLAG} takes a graph (${Object.keys(CONTEST_GRAPHS).join(', ')}) and a side (${SIDES.join(', ')})`,
    );
  }
  const run = side === 'ours' ? oursOn(name, graph) : theirsOn(graph);
  // A fresh process: the JIT optimises the hot paths before the timed round.
  await runFor(run, WARM_UP_EXECUTIONS, WARM_UP_CPU_MS);
  const timed = await runFor(run, 0, CONTEST_CPU_MS);
  return timed.count / (timed.cpuMs / 1000);
}

/** One execution of this interpreter on a contest graph, with its tasks answered in-process. */
function oursOn(name: string, graph: EngineGraph): () => Promise<void> {
  const compiled = compileGraph(graph);
  const invoke = (effect: { input: JsonValue }) =>
    Promise.resolve({ ok: true as const, output: work(effect.input) });
  let id = 0;
  return async () => {
    id += 1;
    const result = await runExecution(
      compiled,
      { executionId: `contest-${id}`, input: CONTEST_INPUT, startTime: Date.now() },
      { invoke, clock: systemClock },
    );
    if (result.status !== 'SUCCEEDED') throw new Error(`bench contest ${name}: ended ${result.status}`);
  };
}

/** One execution of aws-local-stepfunctions on a contest graph, with its tasks answered in-process. */
function theirsOn(graph: EngineGraph): () => Promise<unknown> {
  ensurePromiseWithResolvers();
  const machine = new StateMachine(graph as ConstructorParameters<typeof StateMachine>[0], {
    validationOptions: { checkArn: false, checkPaths: false },
  });
  const handlers = Object.fromEntries(['Work', 'Item', 'A', 'B', 'C'].map((state) => [state, work]));
  return () => machine.run(CONTEST_INPUT, { overrides: { taskResourceLocalHandlers: handlers } }).result;
}

/** Runs the interpreter benchmarks and returns their figures. */
export async function benchInterpreter(): Promise<Record<string, number | string>> {
  const loop = await measureLoop(compileGraph(LOOP_GRAPH, { maxTransitions: 10_000_000 }));
  const transitions = loop.transitions;

  const source = graphSource(200);
  const loadTimes: number[] = [];
  const compileTimes: number[] = [];
  const cpuLoadBefore = process.cpuUsage();
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const loaded = loadGraph(source, { file: 'bench-200.hjson' });
    const t1 = performance.now();
    if (loaded.graph === undefined) {
      throw new Error(`bench graph is invalid: ${loaded.problems.map((p) => p.message).join('; ')}`);
    }
    const graph = compileGraph(loaded.graph);
    const t2 = performance.now();
    if (graph.stateCount !== 200) throw new Error(`bench graph has ${graph.stateCount} states`);
    loadTimes.push(t1 - t0);
    compileTimes.push(t2 - t1);
  }
  const cpuLoad = process.cpuUsage(cpuLoadBefore);

  // JSONata after the JSONPath figures, so its warm-up does not touch theirs.
  const jsonata = await measureLoop(compileGraph(LOOP_GRAPH_JSONATA, { maxTransitions: 10_000_000 }));
  const evaluations = jsonataEvaluationsPerSecond(50_000);
  return {
    'interpreter.transitions': transitions,
    'interpreter.transitionsPerSecond': Math.round(transitions / loop.seconds),
    // CPU time of this process: the figure that holds when other work shares the machine.
    'interpreter.transitionsPerCpuSecond': Math.round(transitions / loop.cpuSeconds),
    'interpreter.load200StatesMs': Number(median(loadTimes).toFixed(2)),
    'interpreter.compile200StatesMs': Number(median(compileTimes).toFixed(2)),
    'interpreter.loadAndCompile200StatesCpuMs': Number(
      ((cpuLoad.user + cpuLoad.system) / 1000 / 30).toFixed(2),
    ),
    'interpreter.loadAndCompile200StatesMs': Number(
      median(loadTimes.map((t, i) => t + (compileTimes[i] ?? 0))).toFixed(2),
    ),
    'interpreter.jsonata.transitions': jsonata.transitions,
    'interpreter.jsonata.transitionsPerSecond': Math.round(jsonata.transitions / jsonata.seconds),
    'interpreter.jsonata.transitionsPerCpuSecond': Math.round(jsonata.transitions / jsonata.cpuSeconds),
    'interpreter.jsonata.evaluationsPerSecond': evaluations,
    ...(await contest()),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = process.argv.indexOf(CONTEST_FLAG);
  if (flag >= 0) {
    process.stdout.write(
      `${await contestRate(process.argv[flag + 1] ?? '', process.argv[flag + 2] ?? '')}\n`,
    );
  } else {
    const figures = await benchInterpreter();
    for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}\t${value}\n`);
  }
}
