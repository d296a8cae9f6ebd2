/**
 * The graph validator: everything that can be known about an engine graph before it runs, reported all at
 * once with the path, state and line of each problem, so an engine author fixes a graph in one round and
 * the interpreter can trust the shapes in `types.ts` without checking them again at run time.
 *
 * Field tables follow the Amazon States Language specification (JSONPath dialect), plus the runtime's own
 * top-level fields (`Engine`, `Mode`, `Match`, `IdPath`). Each grammar lives in one place: paths and
 * intrinsic calls are checked by the expression layer's validators, `Match` and `StringMatches` by
 * `router/patterns`, so what passes here is what runs there.
 *
 * The parts, by concept: `structure.ts` (scopes, states, transitions, reachability), `stateFields.ts`
 * (each type's fields), `dataflow.ts` (paths and templates), `errorRules.ts` (Retry / Catch),
 * `choice.ts` (Choice rules), `resources.ts` (Task resources and the allowlist), `engineFields.ts` (the
 * root's runtime fields), `Checker.ts` (where problems go).
 */
import type { GraphProblem } from '../types.ts';
import { Checker, type ValidateOptions } from './Checker.ts';
import { checkGraph } from './structure.ts';

export type { ValidateOptions } from './Checker.ts';

/**
 * Validates a parsed graph (after legacy compilation and substitution) and returns every problem found;
 * an empty list means the value is a well-formed `EngineGraph` the interpreter can run.
 *
 * @example
 * validateGraph({ StartAt: 'A', States: { A: { Type: 'Pass' } } });
 * // [{ path: '/States/A', state: 'A', message: "a Pass state needs 'Next' or 'End: true'" }, ...]
 */
export function validateGraph(value: unknown, options: ValidateOptions = {}): GraphProblem[] {
  const checker = new Checker(options);
  checkGraph(checker, value);
  return checker.problems;
}
