/**
 * Helpers for the JSONata and variables conformance tests: load a graph through the validator (as a
 * publish does), compile it and drive it with the pure transition function.
 */
import { compileGraph, loadGraph } from '../../../../router/asl/index.ts';
import type { EngineGraph, GraphProblem, JsonValue } from '../../../../router/asl/types.ts';
import { type Drive, drive, type Handler } from '../interpreter/helpers.ts';

/** Validates a graph written as JSON text and returns it, or fails the test with its problems. */
export function loaded(graph: object): EngineGraph {
  const { graph: valid, problems } = loadGraph(JSON.stringify(graph, null, 2));
  if (valid === undefined) throw new Error(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return valid;
}

/** The problems the validator reports for a graph, as `path: message` with the line. */
export function problemsOf(graph: object): GraphProblem[] {
  return loadGraph(JSON.stringify(graph, null, 2)).problems;
}

/** Validates, compiles and runs a graph to its end, answering invokes with `handler`. */
export function run(
  graph: object,
  input: JsonValue,
  handler: Handler = (e) => ({ ok: true, output: e.input }),
): Drive {
  return drive(compileGraph(loaded(graph)), input, handler);
}

/** The variables each state set as it left, by state name, from the history. */
export function assignedByState(d: Drive): Record<string, JsonValue>[] {
  return d.history
    .filter((e) => e.details?.assignedVariables !== undefined)
    .map((e) => ({ [e.stateName ?? '']: e.details?.assignedVariables ?? null }));
}
