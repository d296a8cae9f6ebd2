/**
 * Runs the `router` CLI in-process with captured output, as the CLI tests do: the same dispatcher the
 * binary uses, with the environment and working directory a test chooses.
 */
import { PassThrough } from 'node:stream';
import { runCli } from '../../router/cli/main.ts';

/** What a command printed and its exit code. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `router ...argv` with `env` (nothing else from the process) in `cwd`. */
export async function runRouterCli(
  argv: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {},
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await runCli(argv, {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
