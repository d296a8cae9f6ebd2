/**
 * The engine author's release commands: publish a validated graph as a new immutable version, promote a
 * version, roll an alias back, and look at what is published. They talk to the deployment the
 * environment points at (`AWS_ENDPOINT_URL`, `ROUTER_ENGINES_TABLE`, `ROUTER_BUCKET`, ...).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Variables } from '../../asl/index.ts';
import { formatProblems } from '../../asl/index.ts';
import type { AliasRecord } from '../../registry/index.ts';
import {
  canaryVersion,
  PublishValidationError,
  promoteVersion,
  publishEngine,
  type Registry,
  registryFromEnv,
  rollbackAlias,
} from '../../registry/index.ts';
import { allowlistNote, cliAllowlist, isAllowlistRefusal } from '../allowlist.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { table } from '../table.ts';
import { readVariablesFile, VARS_OPTION } from './engine-validate.ts';

/** Describes where an alias points: `live -> 3` or `live -> 2 (90%), 3 (10%)`. */
export function describeAlias(alias: AliasRecord): string {
  const [only] = alias.targets;
  if (alias.targets.length === 1 && only !== undefined) return `${alias.alias} -> ${only.version}`;
  const total = alias.targets.reduce((sum, t) => sum + t.weight, 0) || 1;
  const parts = alias.targets.map((t) => `${t.version} (${Math.round((t.weight / total) * 100)}%)`);
  return `${alias.alias} -> ${parts.join(', ')}`;
}

function positiveInteger(value: string | undefined, what: string): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1)
    throw new UsageError(`${what} must be a positive integer`);
  return n;
}

/** Tests swap the registry; the CLI builds it from the environment. */
export type RegistryFactory = (io: CommandIo) => Registry;
let makeRegistry: RegistryFactory = (io) => registryFromEnv(io.env);

/** Replaces how commands build the registry (tests point it at their stack). */
export function setRegistryFactory(factory: RegistryFactory): void {
  makeRegistry = factory;
}

const PUBLISH_OPTIONS = {
  ...VARS_OPTION,
  name: {
    type: 'string',
    value: 'NAME',
    description: "engine name (default: the graph's Engine, else the file name)",
  },
  alias: { type: 'string', value: 'NAME', description: 'the alias to move (default live)' },
  'no-alias': { type: 'boolean', description: 'publish the version without moving any alias' },
  canary: {
    type: 'string',
    value: 'PERCENT',
    description: "send PERCENT of the alias's messages to the new version, the rest to its current one",
  },
} as const satisfies CommandOptions;

/**
 * Why a requested canary left the alias on one version, or undefined when it was applied. Publishing
 * reuses the latest version when the graph is identical to it, and a canary needs a current version to
 * split traffic with that differs from the published one.
 */
export function canaryNotApplied(result: {
  readonly engine: string;
  readonly version: number;
  readonly created: boolean;
  readonly alias?: AliasRecord;
}): string | undefined {
  const alias = result.alias;
  if (alias === undefined || alias.targets.length > 1) return undefined;
  const at = `${result.engine}@${result.version}`;
  if (!result.created) {
    return `the graph is identical to ${at}, which ${alias.alias} already sends every message to, so there is no other version to split traffic with and nothing changed; publish a changed graph to canary it, or move ${alias.alias} with \`router engine promote\` or \`rollback\``;
  }
  return `${result.engine} had no '${alias.alias}' alias to split traffic with, so ${alias.alias} now points at ${at} alone`;
}

const publish: Command = {
  words: ['engine', 'publish'],
  usage: 'engine publish FILE [--vars FILE] [--name NAME] [--alias NAME | --no-alias] [--canary PERCENT]',
  summary: 'validate a graph and publish it as a new immutable version; move the alias or start a canary',
  options: PUBLISH_OPTIONS,
  details: [
    "The graph is validated against ROUTER_RESOURCE_ALLOWLIST (the router's default when unset), as the router",
    'will check it again at load. A graph identical to the latest version publishes nothing new: that version',
    'is reused. Talks to the deployment of AWS_ENDPOINT_URL / AWS_REGION, ROUTER_ENGINES_TABLE and ROUTER_BUCKET.',
    'exit codes: 0 published (or reused), 1 the deployment refused or could not be reached, 2 invalid graph or options',
  ],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, PUBLISH_OPTIONS);
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('name exactly one graph file');
    let canaryPercent: number | undefined;
    if (typeof values.canary === 'string') {
      canaryPercent = Number(values.canary);
      if (!(canaryPercent > 0 && canaryPercent < 100))
        throw new UsageError('--canary takes a percentage between 0 and 100');
      if (values['no-alias'] === true)
        throw new UsageError('--canary moves an alias: it cannot go with --no-alias');
    }
    let variables: Variables | undefined;
    if (typeof values.vars === 'string') {
      const read = await readVariablesFile(values.vars, io);
      if (read.problems.length > 0) {
        io.stderr.write(`${formatProblems(read.problems)}\n`);
        return 2;
      }
      variables = read.variables;
    }
    const source = await readFile(resolve(io.cwd, file), 'utf8').catch((error: unknown) => {
      throw new UsageError(
        `cannot read '${file}': ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    const registry = makeRegistry(io);
    try {
      const result = await publishEngine(
        {
          source,
          file,
          ...(variables === undefined ? {} : { variables }),
          ...(typeof values.name === 'string' ? { engine: values.name } : {}),
          ...(values['no-alias'] === true
            ? { alias: null }
            : typeof values.alias === 'string'
              ? { alias: values.alias }
              : {}),
          ...(canaryPercent === undefined ? {} : { canaryPercent }),
        },
        registry.publishLoader,
        registry,
      );
      const what = result.created ? 'published' : 'unchanged, reusing';
      const alias = result.alias === undefined ? '' : ` (${describeAlias(result.alias)})`;
      io.stdout.write(
        `${what} ${result.engine}@${result.version}${alias} sha256 ${result.record.sha256.slice(0, 12)}\n`,
      );
      const skipped = canaryPercent === undefined ? undefined : canaryNotApplied(result);
      if (skipped !== undefined) io.stderr.write(`--canary ${values.canary} not applied: ${skipped}\n`);
      return 0;
    } catch (error) {
      if (error instanceof PublishValidationError) {
        io.stderr.write(`${error.message}\n`);
        if (error.problems.some((p) => isAllowlistRefusal(p.message)))
          io.stderr.write(`${allowlistNote(cliAllowlist(io.env), false)}\n`);
        return 2;
      }
      throw error;
    }
  },
};

const ALIAS_OPTION = {
  alias: { type: 'string', value: 'NAME', description: 'the alias to move (default live)' },
} as const satisfies CommandOptions;

const promote: Command = {
  words: ['engine', 'promote'],
  usage: 'engine promote NAME VERSION [--alias NAME]',
  summary: 'point an alias at exactly one version (ends a canary, or pins an older version)',
  options: ALIAS_OPTION,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, ALIAS_OPTION);
    const [name, version] = positionals;
    if (name === undefined || positionals.length !== 2) throw new UsageError('name an engine and a version');
    const alias = await promoteVersion(
      name,
      positiveInteger(version, 'VERSION'),
      makeRegistry(io),
      typeof values.alias === 'string' ? values.alias : 'live',
    );
    io.stdout.write(`${name}: ${describeAlias(alias)}\n`);
    return 0;
  },
};

const CANARY_OPTIONS = {
  ...ALIAS_OPTION,
  percent: { type: 'string', value: 'P', description: 'share of messages sent to VERSION (default 10)' },
} as const satisfies CommandOptions;

const canary: Command = {
  words: ['engine', 'canary'],
  usage: 'engine canary NAME VERSION [--percent P] [--alias NAME]',
  summary: "send P% of an alias's messages to a published version, the rest to the version it points at",
  options: CANARY_OPTIONS,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, CANARY_OPTIONS);
    const [name, version] = positionals;
    if (name === undefined || positionals.length !== 2) throw new UsageError('name an engine and a version');
    const percent = values.percent === undefined ? 10 : Number(values.percent);
    if (!(percent > 0 && percent < 100))
      throw new UsageError('--percent takes a percentage between 0 and 100');
    const alias = await canaryVersion(
      name,
      positiveInteger(version, 'VERSION'),
      percent,
      makeRegistry(io),
      typeof values.alias === 'string' ? values.alias : 'live',
    );
    io.stdout.write(`${name}: ${describeAlias(alias)}\n`);
    return 0;
  },
};

const rollback: Command = {
  words: ['engine', 'rollback'],
  usage: 'engine rollback NAME [--alias NAME]',
  summary: 'move an alias back to where it pointed before its last move',
  options: ALIAS_OPTION,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, ALIAS_OPTION);
    const [name] = positionals;
    if (name === undefined || positionals.length !== 1) throw new UsageError('name one engine');
    const alias = await rollbackAlias(
      name,
      makeRegistry(io),
      typeof values.alias === 'string' ? values.alias : 'live',
    );
    io.stdout.write(`${name}: ${describeAlias(alias)}\n`);
    return 0;
  },
};

const list: Command = {
  words: ['engine', 'list'],
  usage: 'engine list',
  summary: 'published engines, their latest version, where live points and when either last changed',
  options: {},
  details: [
    'UPDATED is the later of the last publish and the last move of live (promote, rollback, canary).',
  ],
  async run(args, io) {
    parseCommandArgs(args, {});
    const registry = makeRegistry(io);
    const [engines, aliases] = await Promise.all([
      registry.index.listEngines(),
      registry.index.listAliases('live'),
    ]);
    const live = new Map(aliases.map((a) => [a.engine, a]));
    const rows = engines.map((e) => {
      const alias = live.get(e.engine);
      const updated = alias !== undefined && alias.updatedAt > e.updatedAt ? alias.updatedAt : e.updatedAt;
      return [e.engine, String(e.latestVersion), alias === undefined ? '-' : describeAlias(alias), updated];
    });
    io.stdout.write(table(['ENGINE', 'LATEST', 'ALIAS', 'UPDATED'], rows));
    return 0;
  },
};

const versions: Command = {
  words: ['engine', 'versions'],
  usage: 'engine versions NAME',
  summary: 'every published version of an engine',
  options: {},
  async run(args, io) {
    const { positionals } = parseCommandArgs(args, {});
    const [name] = positionals;
    if (name === undefined || positionals.length !== 1) throw new UsageError('name one engine');
    const records = await makeRegistry(io).index.listVersions(name);
    if (records.length === 0) {
      io.stderr.write(`engine '${name}' has no published versions\n`);
      return 1;
    }
    const rows = records.map((r) => [
      String(r.version),
      r.mode,
      r.publishedAt,
      r.sha256.slice(0, 12),
      r.comment ?? '',
    ]);
    io.stdout.write(table(['VERSION', 'MODE', 'PUBLISHED', 'SHA256', 'COMMENT'], rows));
    return 0;
  },
};

const show: Command = {
  words: ['engine', 'show'],
  usage: 'engine show NAME[@VERSION]',
  summary: "print a version's graph (default: the version live points at)",
  options: {},
  async run(args, io) {
    const { positionals } = parseCommandArgs(args, {});
    const [spec] = positionals;
    if (spec === undefined || positionals.length !== 1)
      throw new UsageError('name one engine, optionally NAME@VERSION');
    const [name = '', versionText] = spec.split('@');
    const registry = makeRegistry(io);
    let version: number;
    if (versionText === undefined) {
      const alias = await registry.index.getAlias(name, 'live');
      const target = alias?.targets[0];
      if (target === undefined) {
        io.stderr.write(`engine '${name}' has no live alias\n`);
        return 1;
      }
      version = target.version;
    } else {
      version = positiveInteger(versionText, 'VERSION');
    }
    const record = await registry.index.getVersion(name, version);
    if (record === undefined) {
      io.stderr.write(`engine ${name}@${version} does not exist\n`);
      return 1;
    }
    const body = await registry.store.get(record.s3Key);
    if (body === undefined) {
      io.stderr.write(`engine ${name}@${version}: object ${record.s3Key} is missing\n`);
      return 1;
    }
    io.stdout.write(
      `# ${name}@${version} ${record.mode} published ${record.publishedAt} sha256 ${record.sha256}\n`,
    );
    io.stdout.write(body.toString('utf8'));
    return 0;
  },
};

/** The release commands, registered in the CLI. */
export const engineRegistryCommands: readonly Command[] = [
  publish,
  promote,
  canary,
  rollback,
  list,
  versions,
  show,
];
