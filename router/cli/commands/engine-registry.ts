/**
 * The engine author's release commands: publish a validated graph as a new immutable version, promote a
 * version, roll an alias back, and look at what is published. They talk to the deployment the
 * environment points at (`AWS_ENDPOINT_URL`, `ROUTER_ENGINES_TABLE`, `ROUTER_BUCKET`, ...).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatProblems } from '../../asl/load.ts';
import type { Variables } from '../../asl/substitute.ts';
import { type Registry, registryFromEnv } from '../../registry/fromEnv.ts';
import {
  PublishValidationError,
  promoteVersion,
  publishEngine,
  rollbackAlias,
} from '../../registry/publish.ts';
import type { AliasRecord } from '../../registry/types.ts';
import { type Command, type CommandIo, parseCommandArgs, UsageError } from '../command.ts';
import { readVariablesFile } from './engine-validate.ts';

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

const publish: Command = {
  words: ['engine', 'publish'],
  usage: 'engine publish FILE [--vars FILE] [--name NAME] [--alias NAME | --no-alias] [--canary PERCENT]',
  summary: 'validate a graph and publish it as a new immutable version; move the alias or start a canary',
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      vars: { type: 'string' },
      name: { type: 'string' },
      alias: { type: 'string' },
      'no-alias': { type: 'boolean' },
      canary: { type: 'string' },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('name exactly one graph file');
    let canaryPercent: number | undefined;
    if (typeof values.canary === 'string') {
      canaryPercent = Number(values.canary);
      if (!(canaryPercent > 0 && canaryPercent < 100))
        throw new UsageError('--canary takes a percentage between 0 and 100');
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
      return 0;
    } catch (error) {
      if (error instanceof PublishValidationError) {
        io.stderr.write(`${error.message}\n`);
        return 2;
      }
      throw error;
    }
  },
};

const promote: Command = {
  words: ['engine', 'promote'],
  usage: 'engine promote NAME VERSION [--alias NAME]',
  summary: 'point an alias at exactly one version (ends a canary, or pins an older version)',
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { alias: { type: 'string' } });
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

const rollback: Command = {
  words: ['engine', 'rollback'],
  usage: 'engine rollback NAME [--alias NAME]',
  summary: 'move an alias back to where it pointed before its last move',
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { alias: { type: 'string' } });
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
  summary: 'published engines, their latest version and where live points',
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
      return [
        e.engine,
        String(e.latestVersion),
        alias === undefined ? '-' : describeAlias(alias),
        e.updatedAt,
      ];
    });
    io.stdout.write(table(['ENGINE', 'LATEST', 'ALIAS', 'UPDATED'], rows));
    return 0;
  },
};

const versions: Command = {
  words: ['engine', 'versions'],
  usage: 'engine versions NAME',
  summary: 'every published version of an engine',
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

/** Formats rows as aligned columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The release commands, registered in the CLI. */
export const engineRegistryCommands: readonly Command[] = [publish, promote, rollback, list, versions, show];
