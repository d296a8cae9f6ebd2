/**
 * `router engine validate`: the engine author's check before publishing. It runs the same load path as
 * publish and the router (parse, legacy compile, substitution, validation, allowlist), so a file that
 * passes here is accepted there, and it prints every problem with its line so the author fixes all at once.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GraphProblem, StateMachine } from '../../asl/index.ts';
import { formatProblems, loadGraph, parseVariables, type Variables } from '../../asl/index.ts';
import { allowlistNote, cliAllowlist, isAllowlistRefusal } from '../allowlist.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';

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

/** `--vars FILE`, shared by the engine commands that load a graph. */
export const VARS_OPTION = {
  vars: {
    type: 'string',
    value: 'FILE',
    description: "per-stage variables file (HJSON) that fills the graph's placeholders",
  },
} as const satisfies CommandOptions;

/** `--allow PATTERN`, shared by the commands that check graphs against the allowlist. */
export const ALLOW_OPTION = {
  allow: {
    type: 'string',
    multiple: true,
    value: 'PATTERN',
    description:
      "add a resource pattern to the allowlist (ROUTER_RESOURCE_ALLOWLIST, else the router's default); '*' allows everything",
  },
} as const satisfies CommandOptions;

const OPTIONS = { ...VARS_OPTION, ...ALLOW_OPTION } as const satisfies CommandOptions;

/** The `router engine validate FILE... [--vars FILE] [--allow PATTERN...]` command. */
export const engineValidate: Command = {
  words: ['engine', 'validate'],
  usage: 'engine validate FILE... [--vars FILE] [--allow PATTERN]...',
  summary:
    'check engine graphs (HJSON/JSON or legacy functionOutline) against the allowlist; exit 2 if any is invalid',
  options: OPTIONS,
  details: [
    "The allowlist is ROUTER_RESOURCE_ALLOWLIST (the deployment's), or the router's default when it is unset,",
    'plus every --allow pattern, so a graph that passes here is not refused at publish.',
    'exit codes: 0 every file is valid, 2 a file is invalid or an option is wrong',
  ],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
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
    const allow = cliAllowlist(io.env, values.allow ?? []);
    let refused = false;
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
        allowlist: allow.patterns,
      });
      if (problems.length > 0) io.stdout.write(`${formatProblems(problems)}\n`);
      if (problems.some((p) => isAllowlistRefusal(p.message))) refused = true;
      if (graph === undefined) {
        invalid++;
        io.stdout.write(`${file}: invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})\n`);
      } else {
        const count = countStates(graph);
        io.stdout.write(`${file}: valid (${count} state${count === 1 ? '' : 's'})\n`);
      }
    }
    if (refused) io.stdout.write(`${allowlistNote(allow, true)}\n`);
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
