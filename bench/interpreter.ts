/**
 * Interpreter figures: state transitions per second on a Task + Choice + Pass loop with invokes answered
 * in-process, and the time to load (parse + validate) and compile a 200-state graph. Run alone with
 * `node --import tsx bench/interpreter.ts`.
 */
import { pathToFileURL } from 'node:url';
import type { EngineGraph, JsonObject, JsonValue } from '../router/asl/index.ts';
import { compileGraph, loadGraph, runExecution, systemClock } from '../router/asl/index.ts';
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

/** Runs the interpreter benchmarks and returns their figures. */
export async function benchInterpreter(): Promise<Record<string, number>> {
  const compiled = compileGraph(LOOP_GRAPH, { maxTransitions: 10_000_000 });
  const answer = (input: JsonValue): JsonValue => {
    const o = input as JsonObject;
    return { i: (o.i as number) + 1, total: (o.total as number) + (o.i as number) };
  };
  const invoke = (effect: { input: JsonValue }) =>
    Promise.resolve({ ok: true as const, output: answer(effect.input) });
  // Warm up, then measure.
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
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (result.status !== 'SUCCEEDED') throw new Error(`bench execution ended ${result.status}`);
  const transitions = result.state.transitions;

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
  return {
    'interpreter.transitions': transitions,
    'interpreter.transitionsPerSecond': Math.round(transitions / (elapsed / 1000)),
    // CPU time of this process: the figure that holds when other work shares the machine.
    'interpreter.transitionsPerCpuSecond': Math.round(transitions / cpuSeconds),
    'interpreter.load200StatesMs': Number(median(loadTimes).toFixed(2)),
    'interpreter.compile200StatesMs': Number(median(compileTimes).toFixed(2)),
    'interpreter.loadAndCompile200StatesCpuMs': Number(
      ((cpuLoad.user + cpuLoad.system) / 1000 / 30).toFixed(2),
    ),
    'interpreter.loadAndCompile200StatesMs': Number(
      median(loadTimes.map((t, i) => t + (compileTimes[i] ?? 0))).toFixed(2),
    ),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchInterpreter();
  for (const [name, value] of Object.entries(figures)) process.stdout.write(`${name}\t${value}\n`);
}
