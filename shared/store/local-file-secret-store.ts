import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from '../domain/zod.ts';
import { loadKeyFile } from './local-key-file.ts';
import { StagedSecretStore, type StoredSecret } from './memory-secret-store.ts';
import type { Clock, SecretValue } from './ports.ts';

const KEY_FILE = 'secret.key';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A local secret store that cannot be used as it is: a bad key file, or a secret file altered or corrupt. */
export class LocalSecretStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalSecretStoreError';
  }
}

/** The ciphertext of one version; the name of the secret is its additional authenticated data. */
interface Sealed {
  iv: string;
  tag: string;
  ciphertext: string;
}

const SecretFile = z.object({
  name: z.string(),
  tags: z.object({ tenantId: z.string(), credentialId: z.string(), connector: z.string() }),
  versions: z.array(
    z.object({
      id: z.string(),
      stages: z.array(z.string()),
      iv: z.string(),
      tag: z.string(),
      ciphertext: z.string(),
      createdAt: z.string(),
    }),
  ),
  retiredVersionIds: z.optional(z.array(z.string())),
  deletion: z.optional(z.object({ scheduledAt: z.string(), recoverUntil: z.string() })),
});
type SecretFile = z.infer<typeof SecretFile>;

const PlainValue = z.record(z.string(), z.string());

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * SecretStore for local mode (docs/architecture.md "Write path"): AES-256-GCM with one 32-byte key in `<dir>/secret.key`
 * (created on first use, mode 0600; the directory 0700), a fresh 12-byte IV per encryption and the secret name
 * as additional authenticated data. One file per secret, named by the SHA-256 of the secret name, written
 * atomically (temporary file, then rename). Staging semantics as Secrets Manager's (see StagedSecretStore).
 * Writers in one process are serialised per secret; two processes on one directory are not supported.
 */
export class LocalFileSecretStore extends StagedSecretStore<Sealed> {
  readonly dir: string;
  readonly keyPath: string;
  private keyLoad: Promise<Buffer> | undefined;

  constructor(options: { dir: string; clock?: Clock }) {
    const dir = resolve(options.dir);
    super(`file:${dir}`, options.clock);
    this.dir = dir;
    this.keyPath = join(dir, KEY_FILE);
  }

  /** Path of the file that holds `name`. */
  fileFor(name: string): string {
    return join(this.dir, `${createHash('sha256').update(name, 'utf8').digest('hex')}.json`);
  }

  protected async names(): Promise<string[]> {
    await this.key();
    const names: string[] = [];
    for (const file of await readdir(this.dir)) {
      if (!/^[0-9a-f]{64}\.json$/.test(file)) continue;
      try {
        const { name } = z
          .object({ name: z.string() })
          .parse(JSON.parse(await readFile(join(this.dir, file), 'utf8')));
        names.push(name);
      } catch {
        // A file being replaced (its temporary twin) or corrupt: `load` reports the corrupt ones by name.
      }
    }
    return names;
  }

  protected async load(name: string): Promise<StoredSecret<Sealed> | null> {
    await this.key();
    const path = this.fileFor(name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
    let file: SecretFile;
    try {
      file = SecretFile.parse(JSON.parse(text));
    } catch {
      throw new LocalSecretStoreError(`The secret file ${path} is corrupt (not the expected JSON).`);
    }
    if (file.name !== name) {
      throw new LocalSecretStoreError(`The secret file ${path} holds another secret than "${name}".`);
    }
    return {
      name: file.name,
      tags: file.tags,
      versions: file.versions.map(({ id, stages, createdAt, iv, tag, ciphertext }) => ({
        id,
        stages,
        createdAt,
        payload: { iv, tag, ciphertext },
      })),
      ...(file.retiredVersionIds ? { retiredVersionIds: file.retiredVersionIds } : {}),
      ...(file.deletion ? { deletion: file.deletion } : {}),
    };
  }

  protected async save(secret: StoredSecret<Sealed>): Promise<void> {
    await this.key();
    const file: SecretFile = {
      name: secret.name,
      tags: secret.tags,
      versions: secret.versions.map(({ id, stages, createdAt, payload }) => ({
        id,
        stages,
        ...payload,
        createdAt,
      })),
      ...(secret.retiredVersionIds ? { retiredVersionIds: secret.retiredVersionIds } : {}),
      ...(secret.deletion ? { deletion: secret.deletion } : {}),
    };
    const path = this.fileFor(secret.name);
    const temp = join(this.dir, `.${randomUUID()}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  protected async remove(name: string): Promise<void> {
    await this.key();
    await rm(this.fileFor(name), { force: true });
  }

  protected async seal(name: string, value: SecretValue): Promise<Sealed> {
    const key = await this.key();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return {
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  protected async open(name: string, sealed: Sealed): Promise<SecretValue> {
    const key = await this.key();
    const failed = () =>
      new LocalSecretStoreError(
        `The stored secret "${name}" (${this.fileFor(name)}) failed authentication: the file was altered, ` +
          `or it was encrypted with another key than ${this.keyPath}.`,
      );
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw failed();
    let plaintext: string;
    try {
      // authTagLength pins the tag to 16 bytes: GCM would otherwise accept a truncated tag.
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([
        decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw failed();
    }
    try {
      return PlainValue.parse(JSON.parse(plaintext));
    } catch {
      // Authenticated, so written by this store: no cause, as JSON.parse would quote the plaintext.
      throw new LocalSecretStoreError(
        `The stored secret "${name}" does not decrypt to a JSON object of strings.`,
      );
    }
  }

  /** The key, read once per instance; the directory and the key file are created on first use. */
  private key(): Promise<Buffer> {
    this.keyLoad ??= this.loadKey().catch((error: unknown) => {
      this.keyLoad = undefined;
      throw error;
    });
    return this.keyLoad;
  }

  private loadKey(): Promise<Buffer> {
    return loadKeyFile(this.dir, KEY_FILE, (message) => new LocalSecretStoreError(message));
  }
}
