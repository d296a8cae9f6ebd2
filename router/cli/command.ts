/**
 * The shape every `router` subcommand has, so each lives in its own module and the dispatcher stays a
 * table. Commands write through the given streams (tests capture them) and return the exit code.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** The options table of one command. */
type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** Output streams and environment of one command run. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** One subcommand: its words (`['engine', 'validate']`), a usage line, and what it does. */
export interface Command {
  readonly words: readonly string[];
  readonly usage: string;
  readonly summary: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** A usage or input error: the dispatcher prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * `node:util` parseArgs with positionals allowed, whose complaints (an unknown option, a missing value)
 * become usage errors, so every command answers them the same way: the message, the usage line, exit 2.
 */
export function parseCommandArgs<const O extends CommandOptions>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, options });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
