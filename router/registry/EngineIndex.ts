/**
 * The engine index: where versions and aliases are recorded. The router only reads it; the publishing
 * CLI writes it. Backed by DynamoDB in every environment (the embedded stack included).
 */

import { RouterError, type RouterErrorOptions } from '../errors.ts';
import type { AliasRecord, AliasTarget, EngineSummary, EngineVersionRecord } from './types.ts';

/** How many earlier alias targets are kept for rollback. */
export const MAX_ROLLBACK_HISTORY = 20;

/** The alias record both index backends store. */
export function aliasRecord(
  engine: string,
  alias: string,
  targets: readonly AliasTarget[],
  previous: readonly (readonly AliasTarget[])[],
  routing: AliasRouting,
  updatedAt: string,
): AliasRecord {
  return {
    engine,
    alias,
    targets,
    previous: previous.slice(0, MAX_ROLLBACK_HISTORY),
    updatedAt,
    mode: routing.mode,
    ...(routing.match === undefined ? {} : { match: routing.match }),
    ...(routing.idPath === undefined ? {} : { idPath: routing.idPath }),
  };
}

/** Read/write access to published versions and aliases. */
export interface EngineIndex {
  /** Reserves the next version number of an engine (1, 2, ...); numbers are never reused. */
  allocateVersion(engine: string): Promise<number>;
  /** Records a published version; fails if that version already exists (versions are immutable). */
  putVersion(record: EngineVersionRecord): Promise<void>;
  getVersion(engine: string, version: number): Promise<EngineVersionRecord | undefined>;
  /** Versions of one engine, oldest first. */
  listVersions(engine: string): Promise<EngineVersionRecord[]>;
  listEngines(): Promise<EngineSummary[]>;
  getAlias(engine: string, alias: string): Promise<AliasRecord | undefined>;
  /** Every alias of one engine (`live`, `beta`, ...), by name (one query: the console's Engines page). */
  listEngineAliases(engine: string): Promise<AliasRecord[]>;
  /** Every alias of every engine with the given name (one query: used to refresh routes). */
  listAliases(alias: string): Promise<AliasRecord[]>;
  /** Points an alias at new targets, remembering the old ones for rollback. */
  setAlias(
    engine: string,
    alias: string,
    targets: readonly AliasTarget[],
    routing: AliasRouting,
  ): Promise<AliasRecord>;
  /** Moves an alias back to its previous targets; fails when there is nothing to go back to. */
  rollbackAlias(
    engine: string,
    alias: string,
    routing: (version: number) => Promise<AliasRouting>,
  ): Promise<AliasRecord>;
}

/** Routing data an alias carries for its stable version. */
export interface AliasRouting {
  readonly mode: AliasRecord['mode'];
  readonly match?: AliasRecord['match'];
  readonly idPath?: AliasRecord['idPath'];
}

/** The index refused a change (version exists, nothing to roll back to, engine unknown). */
export class EngineIndexError extends RouterError {
  override readonly name = 'EngineIndexError';

  constructor(message: string, options: RouterErrorOptions = {}) {
    super(message, false, options);
  }
}
