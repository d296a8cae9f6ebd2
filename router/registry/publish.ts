/**
 * Publishing: the only way a graph reaches the router. A graph is validated first (with the deployment's
 * variables and resource allowlist), stored once under a new version number and only then pointed at by
 * an alias, so the router never sees a version that is half written or invalid.
 */

import type { EngineGraph, GraphProblem } from '../asl/index.ts';
import { formatProblems } from '../asl/index.ts';
import { BUCKET_PREFIXES } from '../config.ts';
import { RouterError } from '../errors.ts';
import { canaryTargets } from './canary.ts';
import { type AliasRouting, type EngineIndex, EngineIndexError } from './EngineIndex.ts';
import { type GraphStore, sha256Hex } from './GraphStore.ts';
import type { AliasRecord, EngineVersionRecord } from './types.ts';

/** Parses, substitutes and validates a source (the language toolchain's `loadGraph`, bound to an allowlist). */
export type PublishLoader = (
  source: string,
  options: {
    readonly file: string;
    readonly variables?: Readonly<Record<string, string | number | boolean>>;
  },
) => { readonly graph?: EngineGraph; readonly problems: readonly GraphProblem[] };

/** Where publishing reads and writes. */
export interface RegistryDeps {
  readonly index: EngineIndex;
  readonly store: GraphStore;
  readonly now?: () => Date;
}

/** What to publish and where to point. */
export interface PublishRequest {
  readonly source: string;
  /** Source file name: used in messages and, without extension, as the default engine name. */
  readonly file: string;
  readonly variables?: Readonly<Record<string, string | number | boolean>>;
  /** Engine name; defaults to the graph's `Engine` field, then the file name. */
  readonly engine?: string;
  /** Alias to move (default `live`); `null` publishes without moving any alias. */
  readonly alias?: string | null;
  /** Send this share of the alias's traffic to the new version, the rest to the current one. */
  readonly canaryPercent?: number;
}

/** What publishing did. */
export interface PublishResult {
  readonly engine: string;
  readonly version: number;
  /** False when the graph was identical to the latest version, which is then reused. */
  readonly created: boolean;
  readonly record: EngineVersionRecord;
  readonly alias?: AliasRecord;
}

/** The graph failed validation: nothing was stored. Carries every problem. */
export class PublishValidationError extends RouterError {
  override readonly name = 'PublishValidationError';
  constructor(
    readonly file: string,
    readonly problems: readonly GraphProblem[],
  ) {
    super(`${file}: not published, ${problems.length} problem(s):\n${formatProblems(problems)}`, false);
  }
}

const ENGINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** Checks an engine name (it becomes part of S3 keys and DynamoDB keys). */
export function assertEngineName(name: string): void {
  if (!ENGINE_NAME.test(name)) {
    throw new EngineIndexError(
      `invalid engine name '${name}': use 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

/** The object key of a version. */
export function graphKey(engine: string, version: number): string {
  return `${BUCKET_PREFIXES.engines}${engine}/${version}.hjson`;
}

function routingOf(record: EngineVersionRecord): AliasRouting {
  return {
    mode: record.mode,
    ...(record.match === undefined ? {} : { match: record.match }),
    ...(record.idPath === undefined ? {} : { idPath: record.idPath }),
  };
}

function defaultEngineName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.(hjson|json|asl\.json|asl\.hjson)$/i, '').replace(/\.v\d+(\.\d+)*$/i, '');
}

/**
 * Validates and publishes a graph as a new immutable version, then moves the alias (or starts a canary).
 * Publishing the same graph again reuses the latest version instead of creating a new one.
 */
export async function publishEngine(
  request: PublishRequest,
  load: PublishLoader,
  deps: RegistryDeps,
): Promise<PublishResult> {
  const now = deps.now ?? (() => new Date());
  const { graph, problems } = load(request.source, {
    file: request.file,
    ...(request.variables === undefined ? {} : { variables: request.variables }),
  });
  if (graph === undefined || problems.length > 0) throw new PublishValidationError(request.file, problems);
  const engine = request.engine ?? graph.Engine ?? defaultEngineName(request.file);
  assertEngineName(engine);
  const body = `${JSON.stringify({ ...graph, Engine: engine }, null, 2)}\n`;
  const sha256 = sha256Hex(body);

  const versions = await deps.index.listVersions(engine);
  const latest = versions[versions.length - 1];
  let record: EngineVersionRecord;
  let created: boolean;
  if (latest !== undefined && latest.sha256 === sha256) {
    record = latest;
    created = false;
  } else {
    const version = await deps.index.allocateVersion(engine);
    const s3Key = graphKey(engine, version);
    await deps.store.put(s3Key, body);
    record = {
      engine,
      version,
      s3Key,
      sha256,
      bytes: Buffer.byteLength(body),
      mode: graph.Mode ?? 'standard',
      publishedAt: now().toISOString(),
      ...(graph.Match === undefined ? {} : { match: graph.Match }),
      ...(graph.IdPath === undefined ? {} : { idPath: graph.IdPath }),
      ...(graph.Comment === undefined ? {} : { comment: graph.Comment }),
    };
    await deps.index.putVersion(record);
    created = true;
  }

  const aliasName = request.alias === undefined ? 'live' : request.alias;
  if (aliasName === null) return { engine, version: record.version, created, record };
  const current = await deps.index.getAlias(engine, aliasName);
  const stable = current?.targets[0]?.version;
  let targets = [{ version: record.version, weight: 100 }];
  let routingRecord = record;
  if (request.canaryPercent !== undefined && stable !== undefined && stable !== record.version) {
    targets = canaryTargets(stable, record.version, request.canaryPercent);
    routingRecord = (await deps.index.getVersion(engine, stable)) ?? record;
  }
  const unchanged =
    current !== undefined &&
    current.targets.length === targets.length &&
    current.targets.every((t, i) => t.version === targets[i]?.version && t.weight === targets[i]?.weight);
  const alias = unchanged
    ? current
    : await deps.index.setAlias(engine, aliasName, targets, routingOf(routingRecord));
  return { engine, version: record.version, created, record, alias };
}

/** Points an alias at exactly one existing version (ends a canary, or pins an older version). */
export async function promoteVersion(
  engine: string,
  version: number,
  deps: RegistryDeps,
  alias = 'live',
): Promise<AliasRecord> {
  const record = await deps.index.getVersion(engine, version);
  if (record === undefined) throw new EngineIndexError(`engine ${engine}@${version} does not exist`);
  return deps.index.setAlias(engine, alias, [{ version, weight: 100 }], routingOf(record));
}

/**
 * Starts a canary of an existing version: the alias keeps its stable version and sends `percent` of the
 * messages to `version`. The stable version is the alias's current first target.
 */
export async function canaryVersion(
  engine: string,
  version: number,
  percent: number,
  deps: RegistryDeps,
  alias = 'live',
): Promise<AliasRecord> {
  const [canary, current] = await Promise.all([
    deps.index.getVersion(engine, version),
    deps.index.getAlias(engine, alias),
  ]);
  if (canary === undefined) throw new EngineIndexError(`engine ${engine}@${version} does not exist`);
  const stable = current?.targets[0]?.version;
  if (stable === undefined)
    throw new EngineIndexError(`engine ${engine} has no '${alias}' alias to split traffic with`);
  if (stable === version)
    throw new EngineIndexError(
      `${alias} already sends ${engine}@${version} its messages: name another version`,
    );
  const stableRecord = await deps.index.getVersion(engine, stable);
  if (stableRecord === undefined) throw new EngineIndexError(`engine ${engine}@${stable} does not exist`);
  return deps.index.setAlias(engine, alias, canaryTargets(stable, version, percent), routingOf(stableRecord));
}

/** Moves an alias back to the versions it pointed at before its last move. */
export async function rollbackAlias(
  engine: string,
  deps: RegistryDeps,
  alias = 'live',
): Promise<AliasRecord> {
  return deps.index.rollbackAlias(engine, alias, async (version) => {
    const record = await deps.index.getVersion(engine, version);
    if (record === undefined) throw new EngineIndexError(`engine ${engine}@${version} does not exist`);
    return routingOf(record);
  });
}
