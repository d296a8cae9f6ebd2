/**
 * The graph a distributed Map's child execution runs: the Map's item processor, found in the parent's
 * compiled graph by the steps a `mapRun: 'child'` invoke names, with the parent's limits and secrets.
 * So a child runs the version its parent started on, compiled once with it.
 */
import { isJsonObject, type JsonValue } from '../types.ts';
import type { CompiledGraph, CompiledMachine } from './compiled.ts';

/**
 * The item processor of the Map at `steps` (`[{ State }, { State, Branch }, ..., { State: map }]` from the
 * root), as a graph of its own; undefined when the steps lead to no distributed Map.
 *
 * @example
 * const child = processorGraph(compiled, [{ State: 'Sum batches' }]);
 */
export function processorGraph(graph: CompiledGraph, steps: JsonValue): CompiledGraph | undefined {
  if (!Array.isArray(steps) || steps.length === 0) return undefined;
  let machine: CompiledMachine = graph.root;
  for (const [i, step] of steps.entries()) {
    if (!isJsonObject(step) || typeof step.State !== 'string') return undefined;
    const state = machine.states.get(step.State);
    const last = i === steps.length - 1;
    if (state?.type === 'Map') {
      if (last) {
        if (state.distributed === undefined) return undefined;
        return {
          ...graph,
          root: state.processor,
          timeoutSeconds: undefined,
          stateMachineName: `${graph.stateMachineName}/${state.distributed.label}`,
          stateMachineId: `${graph.stateMachineId}/${state.distributed.label}`,
        };
      }
      machine = state.processor;
    } else if (state?.type === 'Parallel' && !last) {
      const branch = state.branches[typeof step.Branch === 'number' ? step.Branch : -1];
      if (branch === undefined) return undefined;
      machine = branch;
    } else return undefined;
  }
  return undefined;
}
