import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../router/cli/main.ts';
import { runRouterCli } from '../../support/cli.ts';

/** An endpoint nothing listens on: a command that reached a store would fail, not print help. */
const ENV = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1' };

function cli(...argv: string[]) {
  return runRouterCli(argv, { env: ENV });
}

describe('router --help', () => {
  it('lists every command with its usage line and the environment it reads', async () => {
    // Act
    const result = await cli('--help');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const command of COMMANDS) expect(result.stdout).toContain(`router ${command.usage}`);
    expect(result.stdout).toContain('AWS_ENDPOINT_URL');
    expect(result.stdout).toContain('router COMMAND --help');
  });

  it('answers `router help` and `-h` the same way, and a bare `router` with usage on stderr, exit 2', async () => {
    // Act
    const [help, short, bare] = await Promise.all([cli('help'), cli('-h'), cli()]);

    // Assess
    expect(short).toEqual(help);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe(help.stdout);
  });
});

describe('help on every command', () => {
  it.each(COMMANDS.map((c) => [c.words.join(' '), c] as const))('router %s --help', async (_, command) => {
    // Act
    const result = await cli(...command.words, '--help');

    // Assess: usage, summary and every option its parser accepts
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^usage: router ${command.words.join(' ')}\\b`));
    expect(result.stdout).toContain(command.summary);
    for (const [name, option] of Object.entries(command.options)) {
      expect(result.stdout).toContain(`--${name}`);
      expect(result.stdout).toContain(option.description);
    }
    expect(result.stdout).toContain('-h, --help');
  });

  it('prints the options of engine publish, after the arguments too, and through `router help`', async () => {
    // Act
    const [flag, after, viaHelp] = await Promise.all([
      cli('engine', 'publish', '--help'),
      cli('engine', 'publish', 'orders.hjson', '--canary', '10', '-h'),
      cli('help', 'engine', 'publish'),
    ]);

    // Assess
    expect(flag.stdout).toContain('  --canary PERCENT  ');
    expect(flag.stdout).toContain('  --vars FILE       ');
    expect(after).toEqual(flag);
    expect(viaHelp).toEqual(flag);
  });

  it('treats --help after -- as an argument, not a request for help', async () => {
    // Act
    const result = await cli('engine', 'validate', '--', '--help');

    // Assess: the file named --help cannot be read
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('--help: invalid (cannot read');
  });
});

describe('help on command groups', () => {
  it.each([
    ['engine', ['validate', 'run', 'publish', 'promote', 'rollback', 'list', 'versions', 'show']],
    ['executions', ['list', 'show', 'trace']],
    ['task', ['success', 'failure', 'heartbeat']],
    ['quarantine', ['list', 'show', 'redrive']],
  ])('router %s --help lists its subcommands', async (group, subcommands) => {
    // Act
    const result = await cli(group, '--help');

    // Assess
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^usage: router ${group} SUBCOMMAND`));
    for (const sub of subcommands) expect(result.stdout).toContain(`router ${group} ${sub}`);
    expect(result.stdout).not.toContain('router put');
  });

  it('asks for a subcommand when a group is named alone, exit 2', async () => {
    // Act
    const [alone, withOption] = await Promise.all([cli('engine'), cli('engine', '--vars', 'x')]);

    // Assess
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^router engine: name a subcommand\nusage: router engine SUBCOMMAND/);
    expect(withOption).toEqual(alone);
  });

  it('names an unknown subcommand and shows its group, exit 2', async () => {
    // Act
    const [unknown, unknownHelp, nothing] = await Promise.all([
      cli('engine', 'deploy'),
      cli('engine', 'deploy', '--help'),
      cli('frobnicate', '--help'),
    ]);

    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^router: unknown command 'engine deploy'\nusage: router engine SUBCOMMAND/,
    );
    expect(unknownHelp).toEqual(unknown);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^router: unknown command 'frobnicate'\nusage: router COMMAND/);
  });

  it('points a usage error at the command help', async () => {
    // Act
    const result = await cli('engine', 'promote', 'orders');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'router engine promote: name an engine and a version\nusage: router engine promote NAME VERSION [--alias NAME]\n(router engine promote --help lists the options)\n',
    );
  });
});
