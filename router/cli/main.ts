/**
 * The `router` command: engine authors, producers and operators all use this one entry point. It finds
 * the longest registered command matching the arguments and runs it.
 */
import { type Command, type CommandIo, UsageError } from './command.ts';
import { engineGraph } from './commands/engine-graph.ts';
import { engineRegistryCommands } from './commands/engine-registry.ts';
import { engineRun } from './commands/engine-run.ts';
import { engineValidate } from './commands/engine-validate.ts';
import { executionsCommands } from './commands/executions.ts';
import { put } from './commands/put.ts';
import { redrive } from './commands/redrive.ts';
import { taskCommands } from './commands/task.ts';

/** Every subcommand; each module exports one `Command`. */
const COMMANDS: readonly Command[] = [
  engineValidate,
  engineGraph,
  engineRun,
  ...engineRegistryCommands,
  put,
  ...executionsCommands,
  ...taskCommands,
  redrive,
];

function usage(): string {
  const lines = COMMANDS.map((c) => `  router ${c.usage}\n      ${c.summary}`);
  return `usage:\n${lines.join('\n')}\n`;
}

/** Runs the CLI with the given arguments; returns the process exit code. */
export async function runCli(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const matches = COMMANDS.filter((c) => c.words.every((w, i) => argv[i] === w)).sort(
    (a, b) => b.words.length - a.words.length,
  );
  const command = matches[0];
  if (command === undefined) {
    io.stderr.write(`router: unknown command '${argv.join(' ')}'\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(argv.slice(command.words.length), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `router ${command.words.join(' ')}: ${error.message}\nusage: router ${command.usage}\n`,
      );
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`router ${command.words.join(' ')}: ${message}\n`);
    return 1;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  });
  process.exitCode = code;
}
