/**
 * `router engine graph`: prints an engine graph as Mermaid text, to paste into a pull request or README
 * (GitHub renders it) so reviewers see the workflow, not only its HJSON.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatProblems, loadGraph, renderMermaid } from '../../asl/index.ts';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';
import { readVariablesFile, VARS_OPTION } from './engine-validate.ts';

/** The `router engine graph FILE [--vars FILE]` command. */
export const engineGraph: Command = {
  words: ['engine', 'graph'],
  usage: 'engine graph FILE [--vars FILE]',
  summary: 'print an engine graph as a Mermaid flowchart',
  options: VARS_OPTION,
  details: ['Paste the output into a Markdown file or pull request: GitHub renders Mermaid.'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, VARS_OPTION);
    const [file, ...rest] = positionals;
    if (file === undefined || rest.length > 0) throw new UsageError('name exactly one graph file');
    let source: string;
    try {
      source = await readFile(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read '${file}': ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const read = typeof values.vars === 'string' ? await readVariablesFile(values.vars, io) : undefined;
    if (read !== undefined && read.problems.length > 0) {
      io.stderr.write(`${formatProblems(read.problems)}\n`);
      return 2;
    }
    const { graph, problems } = loadGraph(source, {
      file,
      ...(read === undefined ? {} : { variables: read.variables }),
    });
    if (graph === undefined) {
      io.stderr.write(`${formatProblems(problems)}\n${file}: invalid, not rendered\n`);
      return 2;
    }
    io.stdout.write(renderMermaid(graph));
    return 0;
  },
};
