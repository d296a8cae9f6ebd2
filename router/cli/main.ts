/**
 * The `router` command: engine authors, producers and operators all use this one entry point. It finds
 * the longest registered command matching the arguments and runs it; `--help` (or `router help ...`)
 * on any command or command group prints its usage and options instead.
 */
import { type Command, type CommandIo, commandHelp, UsageError } from './command.ts';
import { activityPoll } from './commands/activity.ts';
import { consoleCommand } from './commands/console.ts';
import { engineGraph } from './commands/engine-graph.ts';
import { engineRegistryCommands } from './commands/engine-registry.ts';
import { engineRun } from './commands/engine-run.ts';
import { engineValidate } from './commands/engine-validate.ts';
import { executionsCommands } from './commands/executions.ts';
import { put } from './commands/put.ts';
import { quarantineCommands } from './commands/quarantine.ts';
import { redrive } from './commands/redrive.ts';
import { taskCommands } from './commands/task.ts';
import { unreachableHint } from './unreachable.ts';

/** Every subcommand; each module exports one `Command`. */
export const COMMANDS: readonly Command[] = [
  engineValidate,
  engineGraph,
  engineRun,
  ...engineRegistryCommands,
  put,
  ...executionsCommands,
  ...taskCommands,
  activityPoll,
  ...quarantineCommands,
  redrive,
  consoleCommand,
];

const ENVIRONMENT = [
  'environment:',
  '  AWS_ENDPOINT_URL   one endpoint for every service (the local stack: http://127.0.0.1:4566); unset: AWS',
  '  AWS_REGION         region of the deployment (default us-east-1)',
  '  ROUTER_STREAM, ROUTER_ENGINES_TABLE, ROUTER_EXECUTIONS_TABLE, ROUTER_BUCKET   resource names',
  '  ROUTER_RESOURCE_ALLOWLIST   comma-separated resource patterns graphs may call',
];

function listing(commands: readonly Command[]): string {
  return commands.map((c) => `  router ${c.usage}\n      ${c.summary}`).join('\n');
}

/** The top-level help: every command, then the environment the commands read. */
function usage(): string {
  return `usage: router COMMAND [ARGS] [--help]\n\ncommands:\n${listing(COMMANDS)}\n\n${ENVIRONMENT.join('\n')}\n\nrouter COMMAND --help prints the options of one command.\n`;
}

/** What the leading words of a command line name. */
type Lookup =
  | { readonly kind: 'command'; readonly command: Command }
  /** A group (`engine`): `exact` when the words are the group itself, not an unknown subcommand of it. */
  | {
      readonly kind: 'group';
      readonly prefix: readonly string[];
      readonly commands: readonly Command[];
      readonly exact: boolean;
    }
  | { readonly kind: 'unknown' };

/** Finds the longest command whose words lead `words`, else the longest group they start with. */
function lookup(words: readonly string[]): Lookup {
  const [command] = COMMANDS.filter((c) => c.words.every((w, i) => words[i] === w)).sort(
    (a, b) => b.words.length - a.words.length,
  );
  if (command !== undefined) return { kind: 'command', command };
  for (let n = words.length; n > 0; n--) {
    const prefix = words.slice(0, n);
    const commands = COMMANDS.filter((c) => c.words.length > n && prefix.every((w, i) => c.words[i] === w));
    if (commands.length > 0) return { kind: 'group', prefix, commands, exact: n === words.length };
  }
  return { kind: 'unknown' };
}

function groupHelp(prefix: readonly string[], commands: readonly Command[]): string {
  const group = prefix.join(' ');
  return `usage: router ${group} SUBCOMMAND [ARGS] [--help]\n\nsubcommands:\n${listing(commands)}\n\nrouter ${group} SUBCOMMAND --help prints the options of one subcommand.\n`;
}

/** The leading words of `argv`, up to the first option. */
function leadingWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return words;
}

/** True when `--help` or `-h` appears before a `--` that ends the options. */
function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** Answers words that name no command: a group's subcommands, or every command; exit 2. */
function notACommand(words: readonly string[], found: Lookup, io: CommandIo): number {
  if (found.kind === 'group') {
    const what = found.exact
      ? `router ${words.join(' ')}: name a subcommand`
      : `router: unknown command '${words.join(' ')}'`;
    io.stderr.write(`${what}\n${groupHelp(found.prefix, found.commands)}`);
  } else {
    io.stderr.write(`router: unknown command '${words.join(' ')}'\n${usage()}`);
  }
  return 2;
}

/** Prints the help of the command or group named by `words`; exit 0, or 2 when they name neither. */
function help(words: readonly string[], io: CommandIo): number {
  if (words.length === 0) {
    io.stdout.write(usage());
    return 0;
  }
  const found = lookup(words);
  if (found.kind === 'command') {
    io.stdout.write(commandHelp(found.command));
    return 0;
  }
  if (found.kind === 'group' && found.exact) {
    io.stdout.write(groupHelp(found.prefix, found.commands));
    return 0;
  }
  return notACommand(words, found, io);
}

/** Runs the CLI with the given arguments; returns the process exit code. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length === 0) {
    io.stderr.write(usage());
    return 2;
  }
  if (argv[0] === 'help') return help(leadingWords(argv.slice(1)), io);
  if (asksForHelp(argv)) return help(leadingWords(argv), io);
  const words = leadingWords(argv);
  const found = lookup(words);
  if (found.kind !== 'command') return notACommand(words, found, io);
  const { command } = found;
  const name = `router ${command.words.join(' ')}`;
  try {
    return await command.run(argv.slice(command.words.length), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `${name}: ${error.message}\nusage: router ${command.usage}\n(${name} --help lists the options)\n`,
      );
      return 2;
    }
    const hint = unreachableHint(error, io.env);
    if (hint !== undefined) {
      io.stderr.write(`${name}: ${hint}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${name}: ${message}\n`);
    return 1;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const { quietSdkNodeVersionWarning } = await import('../aws/index.ts');
  quietSdkNodeVersionWarning(process.env, process.versions.node);
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}
