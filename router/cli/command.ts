/**
 * The shape every `router` subcommand has, so each lives in its own module and the dispatcher stays a
 * table. Commands write through the given streams (tests capture them) and return the exit code.
 */

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
