/**
 * The shape every `router` subcommand has, so each lives in its own module and the dispatcher stays a
 * table. Commands write through the given streams (tests capture them) and return the exit code. Each
 * command's options table is both what its arguments are parsed with and what its `--help` prints, so
 * the two cannot drift apart.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../errors.ts';

/** How `node:util` parseArgs reads one option. */
type ParseArgsOption = NonNullable<ParseArgsConfig['options']>[string];

/** One option: how `node:util` parseArgs reads it, plus what `--help` says about it. */
export type CommandOption = ParseArgsOption & {
  /** What the option does, in one line. */
  readonly description: string;
  /** The value's placeholder in help (`FILE`, `NAME`); string options only. */
  readonly value?: string;
};

/** The options table of one command. */
export type CommandOptions = Readonly<Record<string, CommandOption>>;

/** Output streams and environment of one command run. */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** One subcommand: its words (`['engine', 'validate']`), a usage line, what it does and its options. */
export interface Command {
  readonly words: readonly string[];
  readonly usage: string;
  readonly summary: string;
  readonly options: CommandOptions;
  /** Lines printed after the options by `--help`: examples, exit codes, where settings come from. */
  readonly details?: readonly string[];
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** A usage or input error: the dispatcher prints the message and exits 2. */
export class UsageError extends InputError {
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

/** The `--help` text of one command: usage, summary, every option with its description. */
export function commandHelp(command: Command): string {
  const lines = [`usage: router ${command.usage}`, '', command.summary];
  const rows = Object.entries(command.options).map(([name, option]) => {
    const short = option.short === undefined ? '' : `-${option.short}, `;
    const value = option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : '';
    const repeat = option.multiple === true ? ' (repeatable)' : '';
    return [`${short}--${name}${value}`, `${option.description}${repeat}`] as const;
  });
  rows.push(['-h, --help', 'print this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  lines.push('', 'options:', ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`));
  if (command.details !== undefined && command.details.length > 0) lines.push('', ...command.details);
  return `${lines.join('\n')}\n`;
}
