/**
 * The directory a persistent local stack keeps its data in. LevelDB refuses a second opener with an
 * opaque `LOCK` error, and s3rver and PGlite do not check at all, so the stack takes a lock file of its
 * own first: a second stack on the same directory is refused with the process that holds it, and a lock
 * left by a process that died is taken over.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The lock file's name inside the data directory; it holds the owner's process id. */
export const LOCK_FILE = 'stack.pid';

/** Thrown when another running stack holds the directory. */
export class DataDirectoryInUseError extends Error {
  override readonly name = 'DataDirectoryInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

async function owner(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Creates the directory when missing and locks it for this process.
 *
 * @returns a function that releases the lock (idempotent).
 * @throws DataDirectoryInUseError when a live process holds the lock.
 */
export async function lockDataDirectory(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await rm(file, { force: true });
      };
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST') || attempt > 0) throw error;
    }
    const pid = await owner(file);
    if (pid !== undefined && alive(pid)) {
      throw new DataDirectoryInUseError(
        `data directory ${dir} is in use by the local stack in process ${pid} (${file}); stop that one or choose another directory`,
      );
    }
    // Left behind by a stack that did not stop cleanly: take it over.
    await rm(file, { force: true });
  }
}
