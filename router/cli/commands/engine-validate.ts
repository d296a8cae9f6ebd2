/**
 * `router engine validate`: the engine author's check before publishing. It runs the same load path as
 * publish and the router (parse, legacy compile, substitution, validation, allowlist), so a file that
 * passes here is accepted there, and it prints every problem with its line so the author fixes all at once.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatProblems, loadGraph } from '../../asl/load.ts';
import { parseVariables, type Variables } from '../../asl/substitute.ts';
import type { GraphProblem, StateMachine } from '../../asl/types.ts';
import { routerSettingsFromEnv } from '../../config.ts';
import { type Command, type CommandIo, parseCommandArgs, UsageError } from '../command.ts';

/** Reads a `--vars` file, or returns its problems (shared with `engine graph`). */
export async function readVariablesFile(
  path: string,
  io: CommandIo,
): Promise<{ variables: Variables; problems: GraphProblem[] }> {
  let source: string;
  try {
    source = await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read variables file '${path}': ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseVariables(source, path);
}

/** Parses the options both engine commands share. */
export function parseEngineArgs(args: readonly string[], allowAllow: boolean) {
  return parseCommandArgs(args, {
    vars: { type: 'string' },
    ...(allowAllow ? { allow: { type: 'string', multiple: true } } : {}),
  });
}

/** The `router engine validate FILE... [--vars FILE] [--allow PATTERN...]` command. */
export const engineValidate: Command = {
  words: ['engine', 'validate'],
  usage: 'engine validate FILE... [--vars FILE] [--allow PATTERN]...',
  summary:
    'check engine graphs (HJSON/JSON or legacy functionOutline) against --allow or ROUTER_RESOURCE_ALLOWLIST; exit 2 if any is invalid',
  async run(args, io) {
    const { values, positionals } = parseEngineArgs(args, true);
    if (positionals.length === 0) throw new UsageError('name at least one graph file');
    let variables: Variables | undefined;
    if (typeof values.vars === 'string') {
      const read = await readVariablesFile(values.vars, io);
      if (read.problems.length > 0) {
        io.stderr.write(`${formatProblems(read.problems)}\n${values.vars}: invalid variables file\n`);
        return 2;
      }
      variables = read.variables;
    }
    // Without --allow, the deployment's own allowlist (ROUTER_RESOURCE_ALLOWLIST or the default) applies,
    // so a graph that passes here is not refused at publish.
    const given =
      'allow' in values && Array.isArray(values.allow)
        ? values.allow.filter((a) => typeof a === 'string')
        : [];
    const allow = given.length > 0 ? given : routerSettingsFromEnv(io.env).allowlist;
    let invalid = 0;
    for (const file of positionals) {
      let source: string;
      try {
        source = await readFile(resolve(io.cwd, file), 'utf8');
      } catch (error) {
        io.stdout.write(
          `${file}: invalid (cannot read: ${error instanceof Error ? error.message : String(error)})\n`,
        );
        invalid++;
        continue;
      }
      const { graph, problems } = loadGraph(source, {
        file,
        ...(variables === undefined ? {} : { variables }),
        allowlist: allow,
      });
      if (problems.length > 0) io.stdout.write(`${formatProblems(problems)}\n`);
      if (graph === undefined) {
        invalid++;
        io.stdout.write(`${file}: invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})\n`);
      } else {
        const count = countStates(graph);
        io.stdout.write(`${file}: valid (${count} state${count === 1 ? '' : 's'})\n`);
      }
    }
    return invalid > 0 ? 2 : 0;
  },
};

function countStates(machine: StateMachine): number {
  let count = 0;
  for (const state of Object.values(machine.States)) {
    count++;
    if (state.Type === 'Parallel') for (const branch of state.Branches) count += countStates(branch);
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor !== undefined) count += countStates(processor);
    }
  }
  return count;
}
