import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import {
  type DataKey,
  DataKeyRefusedError,
  type DataKeyService,
  type EncryptionContext,
} from './data-keys.ts';
import { loadKeyFile } from './local-key-file.ts';

const KEY_FILE = 'kms.key';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
/** Marks a data key wrapped by this class (the first byte), so a blob of another kind is refused at once. */
const FORMAT = 1;

/** A local key file that cannot be used (its mode, its size). */
export class LocalKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalKeyError';
  }
}

/**
 * The same context, whatever the order its keys were given in: the authenticated data of a wrapped data key.
 * KMS also ignores the order of the pairs.
 */
function canonical(context: EncryptionContext): Buffer {
  const pairs = Object.keys(context)
    .sort()
    .map((key) => [key, context[key]]);
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

/**
 * Local mode's stand-in for KMS (README "Configuration", `SECRET_STORE=envelope` with `STORAGE=local`): a 32-byte
 * key-encryption key in `<dir>/kms.key` (created on first use, mode 0600) wraps each data key with AES-256-GCM,
 * the encryption context as additional authenticated data. So a data key unwraps only under the context it was
 * made for, as with KMS, and the local server runs the envelope store's code path unchanged.
 */
export class LocalDataKeys implements DataKeyService {
  readonly dir: string;
  private keyLoad: Promise<Buffer> | undefined;

  constructor(options: { dir: string }) {
    this.dir = resolve(options.dir);
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const kek = await this.key();
    const plaintext = randomBytes(DATA_KEY_BYTES);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(canonical(context));
    const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      plaintext,
      encrypted: Buffer.concat([Buffer.from([FORMAT]), iv, wrapped, cipher.getAuthTag()]),
    };
  }

  async decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const kek = await this.key();
    const blob = Buffer.from(encrypted);
    if (blob.length !== 1 + IV_BYTES + DATA_KEY_BYTES + TAG_BYTES || blob[0] !== FORMAT) {
      throw new DataKeyRefusedError();
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, blob.subarray(1, 1 + IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(canonical(context));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new DataKeyRefusedError();
    }
  }

  private key(): Promise<Buffer> {
    this.keyLoad ??= loadKeyFile(this.dir, KEY_FILE, (message) => new LocalKeyError(message)).catch(
      (error: unknown) => {
        this.keyLoad = undefined;
        throw error;
      },
    );
    return this.keyLoad;
  }
}
