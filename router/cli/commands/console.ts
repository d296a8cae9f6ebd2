/**
 * `router console`: serves the web console for engine authors and operators against whatever the other
 * commands talk to (the environment's endpoint, region and resource names), until Ctrl-C.
 */
import { ConsoleApi, consoleDepsFromEnv, startConsole } from '../../console/index.ts';
import { type Command, type CommandOptions, parseCommandArgs, UsageError } from '../command.ts';

const OPTIONS = {
  port: { type: 'string', value: 'N', description: 'port to listen on (default 4567; 0 picks a free one)' },
  host: {
    type: 'string',
    value: 'H',
    description: 'interface to listen on (default 127.0.0.1; any other needs the token)',
  },
  token: {
    type: 'string',
    value: 'T',
    description: 'the token a browser must present (default: generated when --host is not loopback)',
  },
} as const satisfies CommandOptions;

/** The `router console [--port N] [--host H] [--token T]` command. */
export const consoleCommand: Command = {
  words: ['console'],
  usage: 'console [--port N] [--host H] [--token T]',
  summary:
    'serve the web console: engines, executions, quarantine, stream and cost, with promote and redrive',
  options: OPTIONS,
  details: ['Open the address it prints. It reads and writes through the same code as these commands.'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const port = values.port === undefined ? 4567 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port ${values.port}: expected an integer from 0 to 65535`);
    const running = await startConsole({
      api: new ConsoleApi(consoleDepsFromEnv(io.env)),
      port,
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
      ...(typeof values.token === 'string' ? { token: values.token } : {}),
    });
    io.stdout.write(`router console on ${running.url} (Ctrl-C stops it)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await running.close();
    return 0;
  },
};
