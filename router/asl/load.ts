/**
 * The one way a graph source becomes a graph: parse -> (legacy compile) -> substitute -> validate. The CLI,
 * the publisher and the registry's loader all go through here, so a graph accepted at publish is accepted
 * at load, and every stage reports its problems in the same `file:line:col` form.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';
import type { ResourceAllowlist } from './allowlist.ts';
import { compileLegacyGraph, isLegacyGraph } from './legacy.ts';
import { type Position, parseGraphSource } from './parse.ts';
import { substituteVariables, type Variables } from './substitute.ts';
import type { EngineGraph, GraphProblem } from './types.ts';
import { validateGraph } from './validate/index.ts';

/** Options of {@link loadGraph}. */
export interface LoadGraphOptions {
  /** Named in every problem. */
  readonly file?: string;
  /** Values for `${Name}` placeholders; without them placeholders stay as written. */
  readonly variables?: Variables;
  /** Task resources the graph may name; without one only their form is checked. */
  readonly allowlist?: ResourceAllowlist;
}

/** A graph, or the problems that kept it from being one. */
export interface LoadedGraph {
  readonly graph?: EngineGraph;
  readonly problems: GraphProblem[];
}

/** Formats problems one per line: `file:line:col: /States/Foo/Next: state 'Foo': message`. */
export function formatProblems(problems: readonly GraphProblem[]): string {
  return problems
    .map((p) => {
      const where = [p.file ?? '<graph>', p.line, p.column].filter((part) => part !== undefined).join(':');
      const state = p.state === undefined ? '' : ` state '${p.state}':`;
      return `${where}: ${p.path === '' ? '/' : p.path}:${state} ${p.message}`;
    })
    .join('\n');
}

/** Thrown by callers that need a graph or nothing (publish, the registry loader); carries every problem. */
export class GraphError extends InputError {
  override readonly name = 'GraphError';
  constructor(
    readonly problems: readonly GraphProblem[],
    options?: ErrorOptions,
  ) {
    super(
      `invalid engine graph (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${formatProblems(problems)}`,
      options,
    );
  }
}

/**
 * Parses, compiles, substitutes and validates a graph source; never throws for bad input.
 *
 * @example
 * const { graph, problems } = loadGraph(source, { file: 'engines/orders.hjson', allowlist: ['arn:aws:lambda:*'] });
 * if (graph === undefined) throw new GraphError(problems);
 */
export function loadGraph(source: string, options: LoadGraphOptions = {}): LoadedGraph {
  const { file } = options;
  const parsed = parseGraphSource(source, file);
  if (parsed.value === undefined || parsed.problems.length > 0) return { problems: parsed.problems };
  let value: unknown = parsed.value;
  let positionOf: (path: string) => Position | undefined = parsed.positionOf;
  let hintAt: ((path: string) => string | undefined) | undefined = parsed.hintAt;
  if (isLegacyGraph(value)) {
    const compiled = compileLegacyGraph(value, file);
    const withPositions = compiled.problems.map((p) => locate(p, parsed.positionOf));
    if (compiled.graph === undefined) return { problems: withPositions };
    value = compiled.graph;
    // A compiled graph's paths are not the source's, so its values carry no hints about how they were written.
    hintAt = undefined;
    // Problems in the compiled graph point at the legacy entry the state came from.
    positionOf = (path) => {
      const name = /^\/States\/([^/]*)/.exec(path)?.[1];
      const origin =
        name === undefined
          ? undefined
          : compiled.origins.get(name.replaceAll('~1', '/').replaceAll('~0', '~'));
      return origin === undefined ? parsed.positionOf('/functionOutline') : parsed.positionOf(origin);
    };
  }
  if (options.variables !== undefined) {
    const substituted = substituteVariables(value, options.variables, {
      ...(file === undefined ? {} : { file }),
      positionOf,
    });
    if (substituted.problems.length > 0) return { problems: substituted.problems };
    value = substituted.value;
  }
  const problems = validateGraph(value, {
    ...(file === undefined ? {} : { file }),
    ...(options.allowlist === undefined ? {} : { allowlist: options.allowlist }),
    positionOf,
    ...(hintAt === undefined ? {} : { hintAt }),
  });
  return problems.length > 0 ? { problems } : { graph: value as EngineGraph, problems };
}

function locate(problem: GraphProblem, positionOf: (path: string) => Position | undefined): GraphProblem {
  for (let p = problem.path; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const position = positionOf(p);
    if (position !== undefined) return { ...problem, line: position.line, column: position.column };
    if (p === '') return problem;
  }
}

/** Reads and loads a graph file; the file name appears in every problem. */
export async function loadGraphFile(path: string, options: LoadGraphOptions = {}): Promise<LoadedGraph> {
  const source = await readFile(path, 'utf8');
  return loadGraph(source, { file: path, ...options });
}
