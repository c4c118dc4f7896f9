import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The lock file a running local server keeps in its data dir. */
export const LOCK_FILE = 'server.lock';

/** Another live process holds the data dir. */
export class DataDirInUseError extends Error {
  readonly code = 'data_dir_in_use';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another credval server (pid ${pid}; lock file ${join(dataDir, LOCK_FILE)}). ` +
        'Stop that server first, or give this one another DATA_DIR.',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  /** Removes the lock file if it is still this process's. */
  release(): Promise<void>;
}

/**
 * Takes the data dir for this process: creates `server.lock` holding the pid, exclusively. The embedded
 * database (LevelDB under dynalite) allows one process per folder and otherwise fails later with a bare
 * "Database is closed"; this fails first, with a message that says which process holds the folder. A lock
 * left by a process that is gone (killed, crashed) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE);
  const content = `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`;
  // Written aside and hard-linked into place: link() fails if the lock exists, and a lock that exists is
  // always complete, so an unreadable one is garbage, never another server's half-written file.
  const draft = `${file}.${process.pid}.draft`;
  await writeFile(draft, content, { mode: 0o600 });
  try {
    // Two rounds: the second follows the removal of a stale lock; losing that race to another starting
    // server means the file now names a live process.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (await linkOrExists(draft, file)) {
        heldHere.add(file);
        return {
          release: async () => {
            heldHere.delete(file);
            await releaseIfOurs(file, content);
          },
        };
      }
      const holder = await lockHolder(file);
      if (holder !== null && isHeld(file, holder)) throw new DataDirInUseError(dataDir, holder);
      await unlink(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    throw new DataDirInUseError(dataDir, (await lockHolder(file)) ?? 0);
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/** Links `draft` to `file`; false when `file` already exists. */
async function linkOrExists(draft: string, file: string): Promise<boolean> {
  try {
    await link(draft, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The locks this process holds (a second server in the same process must not take them over). */
const heldHere = new Set<string>();

/**
 * Whether the process named by a lock still holds it. Our own pid in a lock we did not take is a leftover
 * of an earlier process that had the same pid (containers restart with the same pids).
 */
function isHeld(file: string, pid: number): boolean {
  return pid === process.pid ? heldHere.has(file) : isAlive(pid);
}

/** The pid in a lock file; null when it is unreadable (not a credval lock), which counts as stale. */
async function lockHolder(file: string): Promise<number | null> {
  try {
    const pid = (JSON.parse(await readFile(file, 'utf8')) as { pid?: unknown }).pid;
    return Number.isSafeInteger(pid) && (pid as number) > 0 ? (pid as number) : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function releaseIfOurs(file: string, content: string): Promise<void> {
  try {
    if ((await readFile(file, 'utf8')) === content) await unlink(file);
  } catch {
    // Already gone: nothing to release.
  }
}
