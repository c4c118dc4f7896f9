// The local server's data dir lock on a real file system: exclusive per process, released on stop, and taken
// over from a process that is gone.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../bin/data-dir-lock.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credval-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const lockContent = async () => JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'));

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('lockDataDir', () => {
  it('writes the pid, refuses a second lock while held, and frees the dir on release', async () => {
    const lock = await lockDataDir(dir);
    expect(await lockContent()).toMatchObject({ pid: process.pid });
    const refused = await lockDataDir(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toContain(`DATA_DIR ${dir} is in use`);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('refuses a dir held by another live process, naming its pid', async () => {
    // The parent of this test process is alive for as long as the test runs.
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid }));
    await expect(lockDataDir(dir)).rejects.toThrow(`in use by another credval server (pid ${process.ppid};`);
    expect(await lockContent()).toEqual({ pid: process.ppid });
  });

  it.each([
    ['a process that is gone', async () => JSON.stringify({ pid: await deadPid() })],
    [
      'this pid, left by an earlier process (a restarted container)',
      async () => JSON.stringify({ pid: process.pid }),
    ],
    ['unreadable content', async () => 'not json'],
  ])('takes over a lock from %s', async (_case, content) => {
    await writeFile(join(dir, LOCK_FILE), await content());
    const lock = await lockDataDir(dir);
    expect(await lockContent()).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('leaves a lock that is no longer its own in place on release', async () => {
    const lock = await lockDataDir(dir);
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid }));
    await lock.release();
    expect(await lockContent()).toEqual({ pid: process.ppid });
  });
});
