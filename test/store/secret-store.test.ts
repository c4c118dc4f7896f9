import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretNotFoundError } from '../../shared/domain/errors.ts';
import { LocalFileSecretStore, LocalSecretStoreError } from '../../shared/store/local-file-secret-store.ts';
import { MemorySecretStore } from '../../shared/store/memory-secret-store.ts';
import { describeSecretStoreContract, TAGS, token } from './secret-store.contract.ts';

const roots: string[] = [];
async function tempDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'credval-secrets-'));
  roots.push(root);
  return join(root, 'secrets');
}
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describeSecretStoreContract('MemorySecretStore', (clock) => new MemorySecretStore({ clock }));
describeSecretStoreContract(
  'LocalFileSecretStore',
  async (clock) => new LocalFileSecretStore({ dir: await tempDir(), clock }),
);

const mode = async (path: string) => (await stat(path)).mode & 0o777;

async function allBytes(dir: string): Promise<Buffer[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name))));
}

describe.skipIf(process.platform === 'win32')('LocalFileSecretStore on disk', () => {
  const CANARY = `canary-${randomUUID()}`;
  const NAME = 'credval/tenant-a/cred-1';

  it('creates the directory 0700 and the key file 0600 (32 bytes) on first use', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create(NAME, { apiKey: CANARY }, { requestToken: token(), tags: TAGS });
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, 'secret.key'))).toBe(0o600);
    expect((await readFile(join(dir, 'secret.key'))).length).toBe(32);
    expect(await mode(store.fileFor(NAME))).toBe(0o600);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['secret.key']));
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('never writes the secret value in clear, in any file, across a rotation', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create(NAME, { apiKey: CANARY }, { requestToken: token(), tags: TAGS });
    await store.putCurrent(NAME, { apiKey: `${CANARY}-2` }, { requestToken: token() });
    const files = await allBytes(dir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const bytes of files) {
      expect(bytes.includes(CANARY)).toBe(false);
      expect(bytes.includes(Buffer.from(CANARY).toString('base64'))).toBe(false);
    }
    const file = JSON.parse(await readFile(store.fileFor(NAME), 'utf8'));
    expect(file).toMatchObject({ name: NAME, tags: TAGS });
    expect(file.versions.map((v: { stages: string[] }) => v.stages)).toEqual([
      ['AWSPREVIOUS'],
      ['AWSCURRENT'],
    ]);
    const ivs = file.versions.map((v: { iv: string }) => v.iv);
    expect(new Set(ivs).size).toBe(2);
    expect(Buffer.from(ivs[0], 'base64').length).toBe(12);
  });

  it('keeps only AWSCURRENT and one AWSPREVIOUS after several rotations', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create(NAME, { v: '0' }, { requestToken: token(), tags: TAGS });
    for (const v of ['1', '2', '3']) await store.putCurrent(NAME, { v }, { requestToken: token() });
    const file = JSON.parse(await readFile(store.fileFor(NAME), 'utf8'));
    expect(file.versions.map((v: { stages: string[] }) => v.stages)).toEqual([
      ['AWSPREVIOUS'],
      ['AWSCURRENT'],
    ]);
  });

  it('reads the data again from a new store on the same directory', async () => {
    const dir = await tempDir();
    const requestToken = token();
    await new LocalFileSecretStore({ dir }).create(NAME, { apiKey: 'k' }, { requestToken, tags: TAGS });
    const again = new LocalFileSecretStore({ dir });
    expect(await again.getCurrent(NAME)).toEqual({ apiKey: 'k' });
    await again.create(NAME, { apiKey: 'k' }, { requestToken, tags: TAGS });
  });

  it('names each file by the SHA-256 of the secret name, so names never collide', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    const names = ['credval/a/1', 'credval/A/1', '../../etc/passwd', 'credval/a/1/'];
    for (const n of names) await store.create(n, { n }, { requestToken: token(), tags: TAGS });
    expect(new Set(names.map((n) => store.fileFor(n))).size).toBe(names.length);
    for (const n of names) {
      expect(store.fileFor(n).startsWith(`${dir}/`)).toBe(true);
      expect(store.fileFor(n)).toMatch(/\/[0-9a-f]{64}\.json$/);
      expect(await store.getCurrent(n)).toEqual({ n });
    }
  });

  it('fails clearly on a tampered ciphertext', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create(NAME, { apiKey: CANARY }, { requestToken: token(), tags: TAGS });
    const path = store.fileFor(NAME);
    const file = JSON.parse(await readFile(path, 'utf8'));
    const ciphertext = Buffer.from(file.versions[0].ciphertext, 'base64');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 1;
    file.versions[0].ciphertext = ciphertext.toString('base64');
    await writeFile(path, JSON.stringify(file));
    const error = await store.getCurrent(NAME).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalSecretStoreError);
    expect(String(error)).toMatch(/failed authentication: the file was altered/);
    expect(String(error)).not.toContain(CANARY);
  });

  it('fails clearly on a truncated authentication tag', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create(NAME, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
    const path = store.fileFor(NAME);
    const file = JSON.parse(await readFile(path, 'utf8'));
    file.versions[0].tag = Buffer.from(file.versions[0].tag, 'base64').subarray(0, 4).toString('base64');
    await writeFile(path, JSON.stringify(file));
    await expect(store.getCurrent(NAME)).rejects.toThrow(LocalSecretStoreError);
  });

  it('refuses a secret file moved under another name (the name is authenticated)', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create('credval/a/1', { apiKey: 'one' }, { requestToken: token(), tags: TAGS });
    await store.create('credval/b/2', { apiKey: 'two' }, { requestToken: token(), tags: TAGS });
    const file = JSON.parse(await readFile(store.fileFor('credval/a/1'), 'utf8'));
    file.name = 'credval/b/2';
    await writeFile(store.fileFor('credval/b/2'), JSON.stringify(file));
    await expect(store.getCurrent('credval/b/2')).rejects.toThrow(/failed authentication/);
  });

  it('fails clearly on a corrupt secret file', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create(NAME, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
    await writeFile(store.fileFor(NAME), '{"name":');
    await expect(store.getCurrent(NAME)).rejects.toThrow(/is corrupt/);
  });

  it('fails clearly when the data was encrypted with another key', async () => {
    const dir = await tempDir();
    await new LocalFileSecretStore({ dir }).create(
      NAME,
      { apiKey: 'k' },
      { requestToken: token(), tags: TAGS },
    );
    await writeFile(join(dir, 'secret.key'), Buffer.alloc(32, 7), { mode: 0o600 });
    await expect(new LocalFileSecretStore({ dir }).getCurrent(NAME)).rejects.toThrow(LocalSecretStoreError);
  });

  it('refuses a key file readable by others, and one of the wrong size', async () => {
    const dir = await tempDir();
    await new LocalFileSecretStore({ dir }).create(
      NAME,
      { apiKey: 'k' },
      { requestToken: token(), tags: TAGS },
    );
    const keyPath = join(dir, 'secret.key');
    await chmod(keyPath, 0o644);
    await expect(new LocalFileSecretStore({ dir }).getCurrent(NAME)).rejects.toThrow(
      /has mode 0644; it must be readable by its owner only \(chmod 600 /,
    );
    await writeFile(keyPath, Buffer.alloc(16));
    await chmod(keyPath, 0o600);
    await expect(new LocalFileSecretStore({ dir }).getCurrent(NAME)).rejects.toThrow(
      /holds 16 bytes, not 32/,
    );
    await expect(new LocalFileSecretStore({ dir }).getCurrent(NAME)).rejects.toThrow(LocalSecretStoreError);
  });

  it('agrees on one key when several stores start at once', async () => {
    const dir = await tempDir();
    const stores = Array.from({ length: 5 }, () => new LocalFileSecretStore({ dir }));
    await Promise.all(
      stores.map((s, i) =>
        s.create(`credval/t/${i}`, { i: String(i) }, { requestToken: token(), tags: TAGS }),
      ),
    );
    for (const [i, s] of stores.entries())
      expect(await s.getCurrent(`credval/t/${(i + 1) % 5}`)).toEqual({ i: String((i + 1) % 5) });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('removes the file on deleteNow, and keeps it while deletion is only scheduled', async () => {
    const dir = await tempDir();
    const store = new LocalFileSecretStore({ dir });
    await store.create(NAME, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
    await store.scheduleDeletion(NAME, 7);
    const file = JSON.parse(await readFile(store.fileFor(NAME), 'utf8'));
    expect(file.deletion).toEqual({ scheduledAt: expect.any(String), recoverUntil: expect.any(String) });
    await store.deleteNow(NAME);
    await expect(stat(store.fileFor(NAME))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.getCurrent(NAME)).rejects.toThrow(SecretNotFoundError);
  });
});

describe('MemorySecretStore helpers', () => {
  it('lists names and describes versions without values', async () => {
    const store = new MemorySecretStore();
    const created = token();
    await store.create('credval/t/1', { apiKey: 'k' }, { requestToken: created, tags: TAGS });
    const rotated = await store.putCurrent('credval/t/1', { apiKey: 'k2' }, { requestToken: token() });
    expect(await store.names()).toEqual(['credval/t/1']);
    expect(store.describe('credval/t/1')).toEqual({
      name: 'credval/t/1',
      tags: TAGS,
      versions: [
        { id: created, stages: ['AWSPREVIOUS'] },
        { id: rotated, stages: ['AWSCURRENT'] },
      ],
    });
    expect(JSON.stringify(store.describe('credval/t/1'))).not.toContain('k2');
    expect(store.describe('nope')).toBeNull();
  });
});
