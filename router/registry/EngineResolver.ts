/**
 * Hot loading: engine name -> alias -> version -> compiled graph, without a redeploy.
 *
 * Two caches, both lru-cache with `fetchMethod` so concurrent misses share one load:
 * - compiled graphs by `NAME@VERSION`, bounded by count and bytes; versions are immutable, so no TTL;
 * - the alias snapshot (every engine's `live` alias, which also carries its routing pattern), answered
 *   from memory for a TTL (re-read in the background past half of it) and re-read before answering
 *   once older; a failed read keeps the last good snapshot.
 * A version that fails to load (missing, damaged, invalid) never replaces a good one: the alias falls
 * back to the last version of that engine this process loaded successfully.
 *
 * ```
 *   resolve(engine, dedupKey)
 *     snapshot ──(TTL, background refresh)──> DynamoDB Query gsi1 'ALIAS#live'
 *     chooseVersion(targets, dedupKey)        sticky canary
 *     graphs.fetch('engine@v') ──(miss)──> GetItem version -> S3 GetObject -> sha256 -> load -> compile
 * ```
 */
import { LRUCache } from 'lru-cache';
import type { EngineGraph, GraphProblem } from '../asl/index.ts';
import { RouterError } from '../errors.ts';
import { chooseVersion } from './canary.ts';
import type { EngineIndex } from './EngineIndex.ts';
import type { GraphStore } from './GraphStore.ts';
import { sha256Hex } from './GraphStore.ts';
import type { AliasRecord, EngineVersionRecord } from './types.ts';

/** Parses and validates a stored graph source (the language toolchain's `loadGraph`). */
export type GraphLoader = (
  source: string,
  options: { readonly file: string },
) => { readonly graph?: EngineGraph; readonly problems: readonly GraphProblem[] };

/** A version ready to run. */
export interface LoadedEngine<C> {
  readonly engine: string;
  readonly version: number;
  readonly record: EngineVersionRecord;
  readonly graph: EngineGraph;
  readonly compiled: C;
}

/** The live aliases of every engine at one moment, with the routes they imply. */
export interface AliasSnapshot {
  readonly aliases: ReadonlyMap<string, AliasRecord>;
  readonly loadedAt: number;
}

/** Cache counters, reported as metrics. */
export interface ResolverStats {
  hits: number;
  misses: number;
  /** Versions read from the index and the store and compiled. */
  loads: number;
  /** Versions dropped to stay within the count and byte bounds. */
  evictions: number;
  staleServed: number;
  loadFailures: number;
  refreshFailures: number;
}

/** Why a version could not be made ready; retryable unless the stored graph itself is bad. */
export class EngineLoadError extends RouterError {
  override readonly name = 'EngineLoadError';
  override readonly reason = 'engine-unavailable';
}

/** Options of the resolver; everything but index, store, load and compile has a default. */
export interface EngineResolverOptions<C> {
  readonly index: EngineIndex;
  readonly store: GraphStore;
  readonly load: GraphLoader;
  /** Compiles a loaded version; told which engine and version it is (a child execution names them). */
  readonly compile: (graph: EngineGraph, ref: { readonly engine: string; readonly version: number }) => C;
  /** Alias messages run on (default `live`). */
  readonly alias?: string;
  /** How long an alias snapshot is fresh (default 10 s); 0 re-reads the index on every batch. */
  readonly aliasTtlMs?: number;
  /** Most compiled versions kept (default {@link DEFAULT_MAX_VERSIONS}). */
  readonly maxVersions?: number;
  /**
   * Most bytes of kept versions (default {@link DEFAULT_MAX_BYTES}); a compiled graph is charged
   * {@link COMPILED_BYTES_PER_SOURCE_BYTE} times its source.
   */
  readonly maxBytes?: number;
  /** How long a version that failed to load is not tried again (default 5 s), so a bad version costs one read, not one per record. */
  readonly failureTtlMs?: number;
  /** Where the store is, for messages (`s3://bucket`). */
  readonly storeLabel?: string;
  readonly onError?: (message: string, error: unknown) => void;
  /** Time source for TTLs and failure back-off (default the system clock). */
  readonly clock?: { now(): number };
}

/**
 * Versions kept by default: a live and a canary version of 500 engines, or one of 1,000, so a router
 * serving that many engines round robin loads each version once instead of once per record.
 */
export const DEFAULT_MAX_VERSIONS = 1_000;
/** Bytes kept by default: 1,000 versions of 64 KiB of source, compiled. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** What a compiled version is charged per byte of its source (measured: about 3x; rounded up). */
export const COMPILED_BYTES_PER_SOURCE_BYTE = 4;

/** Resolves engines to compiled versions through the two caches. */
export class EngineResolver<C> {
  readonly stats: ResolverStats = {
    hits: 0,
    misses: 0,
    loads: 0,
    evictions: 0,
    staleServed: 0,
    loadFailures: 0,
    refreshFailures: 0,
  };
  private readonly graphs: LRUCache<string, LoadedEngine<C>>;
  private readonly lastGood = new Map<string, LoadedEngine<C>>();
  private readonly failed = new Map<string, { readonly error: unknown; readonly until: number }>();
  private readonly alias: string;
  private readonly aliasTtlMs: number;
  private readonly now: () => number;
  /** The last alias snapshot read successfully, and the read under way, if any. */
  private aliases: AliasSnapshot | undefined;
  private refreshing: Promise<AliasSnapshot> | undefined;

  constructor(private readonly options: EngineResolverOptions<C>) {
    this.alias = options.alias ?? 'live';
    this.now = options.clock === undefined ? Date.now : () => options.clock?.now() ?? Date.now();
    this.graphs = new LRUCache<string, LoadedEngine<C>>({
      max: options.maxVersions ?? DEFAULT_MAX_VERSIONS,
      maxSize: options.maxBytes ?? DEFAULT_MAX_BYTES,
      sizeCalculation: (loaded) => Math.max(1, loaded.record.bytes * COMPILED_BYTES_PER_SOURCE_BYTE),
      fetchMethod: (key) => this.loadVersion(key),
      dispose: (_loaded, _key, reason) => {
        if (reason === 'evict') this.stats.evictions += 1;
      },
    });
    this.aliasTtlMs = options.aliasTtlMs ?? 10_000;
  }

  /**
   * The alias snapshot a batch routes with. Younger than the TTL it is answered from memory (past half
   * the TTL a re-read starts in the background, so a busy router never waits for one); older, the index
   * is read before answering, so a publish, promote or rollback is seen by the first batch after the
   * TTL however long the router sat idle. A failed read answers the last good snapshot.
   */
  async snapshot(): Promise<AliasSnapshot> {
    const current = this.aliases;
    if (current !== undefined && this.aliasTtlMs > 0) {
      const age = this.now() - current.loadedAt;
      if (age < this.aliasTtlMs) {
        if (age >= this.aliasTtlMs / 2 && this.refreshing === undefined) {
          this.refresh().catch(() => undefined);
        }
        return current;
      }
    }
    try {
      return await this.refresh();
    } catch (error) {
      if (current === undefined) throw error;
      this.stats.staleServed += 1;
      return current;
    }
  }

  /** Forgets the alias snapshot so the next call re-reads the index (after a publish in the same process). */
  invalidateAliases(): void {
    this.aliases = undefined;
  }

  /**
   * The version an engine's alias sends this message to, loaded and compiled. A batch passes the
   * snapshot it routed with, so all its messages see one set of aliases. A version already loaded is
   * answered without a promise (nearly every record of a warm router); callers `await` either way.
   */
  resolve(
    engine: string,
    dedupKey: string,
    snapshot?: AliasSnapshot,
  ): LoadedEngine<C> | Promise<LoadedEngine<C>> {
    const alias = snapshot?.aliases.get(engine);
    const version = alias === undefined ? undefined : chooseVersion(alias.targets, dedupKey);
    const key = `${engine}@${version}`;
    const loaded = version === undefined || this.failed.has(key) ? undefined : this.graphs.get(key);
    if (loaded === undefined) return this.resolveAndLoad(engine, dedupKey, snapshot);
    this.stats.hits += 1;
    if (this.lastGood.get(engine) !== loaded) this.lastGood.set(engine, loaded);
    return loaded;
  }

  private async resolveAndLoad(
    engine: string,
    dedupKey: string,
    snapshot: AliasSnapshot | undefined,
  ): Promise<LoadedEngine<C>> {
    const alias = (snapshot ?? (await this.snapshot())).aliases.get(engine);
    if (alias === undefined) {
      throw new EngineLoadError(`engine '${engine}' has no '${this.alias}' alias (is it published?)`, false);
    }
    const version = chooseVersion(alias.targets, dedupKey);
    if (version === undefined)
      throw new EngineLoadError(`alias ${engine}:${this.alias} has no weighted version`, false);
    try {
      const loaded = await this.version(engine, version);
      this.lastGood.set(engine, loaded);
      return loaded;
    } catch (error) {
      const fallback = this.lastGood.get(engine);
      if (fallback === undefined) throw error;
      this.options.onError?.(
        `engine ${engine}@${version} could not be loaded; still serving ${engine}@${fallback.version}`,
        error,
      );
      return fallback;
    }
  }

  /**
   * The version another alias of an engine sends this message to (a child execution started on
   * `stateMachine:NAME:ALIAS`), read from the index each time: such starts are rare and must see the
   * alias as it is now.
   */
  async aliasVersion(engine: string, alias: string, dedupKey: string): Promise<LoadedEngine<C>> {
    const record = await this.options.index.getAlias(engine, alias);
    const version = record === undefined ? undefined : chooseVersion(record.targets, dedupKey);
    if (version === undefined) {
      throw new EngineLoadError(`engine '${engine}' has no alias '${alias}' with a version`, false);
    }
    return this.version(engine, version);
  }

  /** A specific version (an execution pinned to the version it started on). */
  async version(engine: string, version: number): Promise<LoadedEngine<C>> {
    const key = `${engine}@${version}`;
    const failure = this.failed.get(key);
    if (failure !== undefined) {
      if (failure.until > this.now()) throw failure.error;
      this.failed.delete(key);
    }
    // A hit (nearly every record) needs no promise of the cache's own: versions never change.
    const cached = this.graphs.get(key);
    if (cached !== undefined) {
      this.stats.hits += 1;
      return cached;
    }
    this.stats.misses += 1;
    // The engine's last good version outlives its place in the cache: take it back rather than load it again.
    const kept = this.lastGood.get(engine);
    if (kept?.version === version) {
      this.graphs.set(key, kept);
      return kept;
    }
    const loaded = await this.graphs.fetch(key).catch((error: unknown) => {
      this.failed.set(key, { error, until: this.now() + (this.options.failureTtlMs ?? 5_000) });
      throw error;
    });
    if (loaded === undefined) throw new EngineLoadError(`engine ${key} could not be loaded`, true);
    return loaded;
  }

  /** Reads the aliases from the index; concurrent callers share one read. */
  private refresh(): Promise<AliasSnapshot> {
    this.refreshing ??= this.loadSnapshot().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async loadSnapshot(): Promise<AliasSnapshot> {
    const startedAt = this.now();
    try {
      const aliases = await this.options.index.listAliases(this.alias);
      const snapshot = { aliases: new Map(aliases.map((a) => [a.engine, a])), loadedAt: startedAt };
      this.aliases = snapshot;
      return snapshot;
    } catch (error) {
      this.stats.refreshFailures += 1;
      const kept = this.aliases;
      this.options.onError?.(
        kept === undefined
          ? 'reading engine aliases failed; no aliases were ever read, so no engine can run yet'
          : `refreshing engine aliases failed; keeping the last good aliases, read at ${new Date(kept.loadedAt).toISOString()}`,
        error,
      );
      throw new EngineLoadError('the engine index could not be read', true, { cause: error });
    }
  }

  private async loadVersion(key: string): Promise<LoadedEngine<C>> {
    const at = key.lastIndexOf('@');
    const engine = key.slice(0, at);
    const version = Number(key.slice(at + 1));
    try {
      const record = await this.options.index.getVersion(engine, version);
      if (record === undefined) throw new EngineLoadError(`engine ${key} is not in the engine index`, true);
      const where = `${this.options.storeLabel ?? 'store'}/${record.s3Key}`;
      const body = await this.options.store.get(record.s3Key);
      if (body === undefined) throw new EngineLoadError(`engine ${key}: object ${where} is missing`, true);
      const digest = sha256Hex(body);
      if (digest !== record.sha256) {
        throw new EngineLoadError(
          `engine ${key}: object ${where} does not match its recorded sha256 (expected ${record.sha256}, got ${digest})`,
          false,
        );
      }
      const { graph, problems } = this.options.load(body.toString('utf8'), { file: where });
      if (graph === undefined || problems.length > 0) {
        const first = problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`);
        throw new EngineLoadError(
          `engine ${key}: stored graph ${where} is invalid: ${first.join('; ')}`,
          false,
        );
      }
      const compiled = this.options.compile(graph, { engine, version });
      this.stats.loads += 1;
      return { engine, version, record, graph, compiled };
    } catch (error) {
      this.stats.loadFailures += 1;
      if (error instanceof EngineLoadError) throw error;
      throw new EngineLoadError(`engine ${key} could not be loaded: ${String(error)}`, true, {
        cause: error,
      });
    }
  }
}
