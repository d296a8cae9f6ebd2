/**
 * The engine index in memory: same contract as the DynamoDB one, for unit tests and the in-process
 * benchmark, where the runtime's own cost is measured without a store.
 */
import { type AliasRouting, aliasRecord, type EngineIndex, EngineIndexError } from './EngineIndex.ts';
import type { AliasRecord, AliasTarget, EngineSummary, EngineVersionRecord } from './types.ts';

/** `EngineIndex` held in maps. */
export class MemoryEngineIndex implements EngineIndex {
  private readonly versions = new Map<string, EngineVersionRecord>();
  private readonly aliases = new Map<string, AliasRecord>();
  private readonly engines = new Map<string, EngineSummary>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async allocateVersion(engine: string): Promise<number> {
    const at = this.now().toISOString();
    const current = this.engines.get(engine);
    const latestVersion = (current?.latestVersion ?? 0) + 1;
    this.engines.set(engine, { engine, latestVersion, createdAt: current?.createdAt ?? at, updatedAt: at });
    return latestVersion;
  }

  async putVersion(record: EngineVersionRecord): Promise<void> {
    const key = `${record.engine}@${record.version}`;
    if (this.versions.has(key))
      throw new EngineIndexError(`version ${key} already exists; versions are immutable`);
    this.versions.set(key, record);
  }

  async getVersion(engine: string, version: number): Promise<EngineVersionRecord | undefined> {
    return this.versions.get(`${engine}@${version}`);
  }

  async listVersions(engine: string): Promise<EngineVersionRecord[]> {
    return [...this.versions.values()]
      .filter((v) => v.engine === engine)
      .sort((a, b) => a.version - b.version);
  }

  async listEngines(): Promise<EngineSummary[]> {
    return [...this.engines.values()].sort((a, b) => a.engine.localeCompare(b.engine));
  }

  async getAlias(engine: string, alias: string): Promise<AliasRecord | undefined> {
    return this.aliases.get(`${engine}:${alias}`);
  }

  async listEngineAliases(engine: string): Promise<AliasRecord[]> {
    return [...this.aliases.values()]
      .filter((a) => a.engine === engine)
      .sort((a, b) => (a.alias < b.alias ? -1 : 1));
  }

  async listAliases(alias: string): Promise<AliasRecord[]> {
    return [...this.aliases.values()].filter((a) => a.alias === alias);
  }

  async setAlias(
    engine: string,
    alias: string,
    targets: readonly AliasTarget[],
    routing: AliasRouting,
  ): Promise<AliasRecord> {
    const current = this.aliases.get(`${engine}:${alias}`);
    const previous = current === undefined ? [] : [current.targets, ...current.previous];
    return this.write(engine, alias, targets, previous, routing);
  }

  async rollbackAlias(
    engine: string,
    alias: string,
    routing: (version: number) => Promise<AliasRouting>,
  ): Promise<AliasRecord> {
    const current = this.aliases.get(`${engine}:${alias}`);
    if (current === undefined) throw new EngineIndexError(`engine '${engine}' has no alias '${alias}'`);
    const [back, ...rest] = current.previous;
    if (back === undefined || back[0] === undefined) {
      throw new EngineIndexError(`alias ${engine}:${alias} has no earlier version to roll back to`);
    }
    return this.write(engine, alias, back, rest, await routing(back[0].version));
  }

  private write(
    engine: string,
    alias: string,
    targets: readonly AliasTarget[],
    previous: readonly (readonly AliasTarget[])[],
    routing: AliasRouting,
  ): AliasRecord {
    const record = aliasRecord(engine, alias, targets, previous, routing, this.now().toISOString());
    this.aliases.set(`${engine}:${alias}`, record);
    return record;
  }
}
