/**
 * In-memory quarantine with the same contract as the S3 one (idempotent per record, time-ordered
 * listing), so pipeline and handler tests run without a network.
 */
import {
  entryOf,
  type QuarantineDetail,
  type QuarantineEntry,
  type QuarantineInput,
  type QuarantineListOptions,
  type QuarantineRef,
  type QuarantineStore,
  quarantineId,
  quarantineObjectKey,
  sinceIso,
} from './QuarantineStore.ts';

/** Quarantine held in a sorted map; `now` is injectable for deterministic `quarantinedAt` values. */
export class MemoryQuarantineStore implements QuarantineStore {
  readonly #entries = new Map<string, QuarantineDetail>();
  readonly #now: () => Date;

  constructor(options: { readonly now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  async put(entry: QuarantineInput): Promise<QuarantineRef> {
    const id = quarantineId(entry.record);
    const objectKey = quarantineObjectKey(entry.record);
    if (this.#entries.has(id)) return { id, objectKey, created: false };
    this.#entries.set(id, {
      id,
      objectKey,
      quarantinedAt: this.#now().toISOString(),
      reason: entry.reason,
      message: entry.message,
      record: { ...entry.record },
      ...(entry.engine === undefined ? {} : { engine: entry.engine }),
      ...(entry.attempts === undefined ? {} : { attempts: entry.attempts }),
    });
    return { id, objectKey, created: true };
  }

  async *list(options: QuarantineListOptions = {}): AsyncIterable<QuarantineEntry> {
    const since = sinceIso(options.since);
    let yielded = 0;
    for (const id of [...this.#entries.keys()].sort()) {
      if (options.limit !== undefined && yielded >= options.limit) return;
      const detail = this.#entries.get(id);
      if (detail === undefined) continue;
      if (since !== undefined && id < since) continue;
      if (options.engine !== undefined && detail.engine !== options.engine) continue;
      if (options.reason !== undefined && detail.reason !== options.reason) continue;
      yielded++;
      yield entryOf(detail);
    }
  }

  async get(id: string): Promise<QuarantineDetail | undefined> {
    return this.#entries.get(id);
  }

  async markRedriven(id: string, at: Date): Promise<void> {
    const detail = this.#entries.get(id);
    if (detail === undefined) throw new Error(`quarantine: no entry ${id}`);
    this.#entries.set(id, { ...detail, redrivenAt: at.toISOString() });
  }

  /** Number of entries (for assertions). */
  get size(): number {
    return this.#entries.size;
  }
}
