/**
 * Keeps an in-process emulation's state (SQS queues, SNS topics, EventBridge rules) in one JSON file under
 * the stack's data directory, so a restarted stack finds what the last one held, as kinesalite and
 * dynalite do with LevelDB. A change schedules a write shortly after (a burst of sends is one write);
 * `flush` writes at once, and the stack flushes on stop. The file is replaced atomically (write, rename),
 * so a crash leaves the previous snapshot, never half of one.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** How soon after a change the snapshot is written. */
const WRITE_DELAY_MS = 100;

/** A snapshot file, or nothing at all for an emulation kept in memory. */
export interface JsonSnapshot<T> {
  /** The last snapshot written, or undefined when there is none (or the emulation is in memory). */
  load(): Promise<T | undefined>;
  /** Records that the state changed; `read` is called when the write happens. */
  changed(): void;
  /** Writes now when anything changed since the last write. */
  flush(): Promise<void>;
}

/**
 * A snapshot at `file`, or a no-op when `file` is undefined.
 *
 * @param read returns the state to write, as plain JSON.
 * @param onError told when a scheduled write fails (the next change tries again).
 */
export function jsonSnapshot<T>(
  file: string | undefined,
  read: () => T,
  onError: (error: unknown) => void,
): JsonSnapshot<T> {
  if (file === undefined) {
    return { load: async () => undefined, changed: () => {}, flush: async () => {} };
  }
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const write = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    writing = writing
      .catch(() => undefined)
      .then(async () => {
        if (!dirty) return;
        dirty = false;
        const text = JSON.stringify(read());
        const temporary = `${file}.${process.pid}.tmp`;
        await mkdir(dirname(file), { recursive: true });
        await writeFile(temporary, text);
        await rename(temporary, file);
      });
    return writing;
  };
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new Error(
          `snapshot ${file} is not JSON (${error instanceof Error ? error.message : String(error)}); move it away to start empty`,
        );
      }
    },
    changed() {
      dirty = true;
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        write().catch((error: unknown) => {
          dirty = true;
          onError(error);
        });
      }, WRITE_DELAY_MS);
      timer.unref();
    },
    flush: write,
  };
}
