import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const KEY_BYTES = 32;
const POSIX = process.platform !== 'win32';

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * A 32-byte key in `<dir>/<file>`, created on first use (the directory 0700, the file 0600) and refused when
 * others may read it or it has another size. Local mode's keys (the file store's, the stand-in for KMS) live so.
 * `fail` builds the error to throw, so each store reports in its own name.
 */
export async function loadKeyFile(
  dir: string,
  file: string,
  fail: (message: string) => Error,
): Promise<Buffer> {
  const keyPath = join(dir, file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (POSIX) await chmod(dir, 0o700);
  try {
    return await readKey(keyPath, fail);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  // Created under a temporary name and linked into place: two stores starting at once agree on one key,
  // and nobody reads a half-written key file.
  const temp = join(dir, `.${randomUUID()}.key.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(KEY_BYTES));
      if (POSIX) await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, keyPath);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return readKey(keyPath, fail);
}

async function readKey(keyPath: string, fail: (message: string) => Error): Promise<Buffer> {
  const info = await stat(keyPath);
  if (!info.isFile()) throw fail(`The secret key ${keyPath} is not a file.`);
  if (POSIX && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw fail(
      `The secret key ${keyPath} has mode ${mode}; it must be readable by its owner only ` +
        `(chmod 600 ${keyPath}).`,
    );
  }
  const key = await readFile(keyPath);
  if (key.length !== KEY_BYTES) {
    throw fail(
      `The secret key ${keyPath} holds ${key.length} bytes, not ${KEY_BYTES}: it is not a credval key ` +
        `file (move it away to have a new one created, which makes the stored secrets unreadable).`,
    );
  }
  return key;
}
