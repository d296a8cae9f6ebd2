/**
 * What the engine index stores: immutable published versions and the aliases that point at them. These
 * records are the contract between `router engine publish` (writer) and the router (reader).
 */
import type { ExecutionMode, JsonObject } from '../asl/index.ts';

/** One immutable published version of an engine graph. */
export interface EngineVersionRecord {
  readonly engine: string;
  readonly version: number;
  /** Object key of the graph in the engines bucket (`engines/NAME/VERSION.hjson`). */
  readonly s3Key: string;
  /** Hex sha256 of the stored object; a loaded object that does not match is refused. */
  readonly sha256: string;
  readonly bytes: number;
  readonly mode: ExecutionMode;
  /** The graph's own routing pattern (`Match`), if any. */
  readonly match?: JsonObject;
  /** JSON path of the message id for non-CloudEvents records routed here (`IdPath`). */
  readonly idPath?: string;
  readonly publishedAt: string;
  readonly comment?: string;
}

/** One version an alias points at, with its share of traffic (weights are relative). */
export interface AliasTarget {
  readonly version: number;
  readonly weight: number;
}

/** A named pointer (`live`, `beta`, ...) at one version, or two with weights (a canary). */
export interface AliasRecord {
  readonly engine: string;
  readonly alias: string;
  /** First target is the stable version, a second one the canary. */
  readonly targets: readonly AliasTarget[];
  /** Earlier targets, newest first, so rollback can step back. */
  readonly previous: readonly (readonly AliasTarget[])[];
  readonly updatedAt: string;
  /** Routing data copied from the stable version at the time the alias moved. */
  readonly mode: ExecutionMode;
  readonly match?: JsonObject;
  readonly idPath?: string;
}

/** Per-engine metadata. */
export interface EngineSummary {
  readonly engine: string;
  readonly latestVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}
