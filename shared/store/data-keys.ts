/**
 * KMS's encryption context: key-value pairs a data key is bound to. A data key encrypted under one context
 * decrypts only under the same context, and KMS records the context in CloudTrail with every use.
 */
export type EncryptionContext = Record<string, string>;

/** A fresh data key: in the clear (to encrypt with, then forget) and encrypted under the key-encryption key. */
export interface DataKey {
  plaintext: Uint8Array;
  encrypted: Uint8Array;
}

/**
 * Where an envelope store gets its data keys: KMS on AWS (`KmsDataKeys`), a key file in local mode
 * (`LocalDataKeys`), both with KMS's semantics (GenerateDataKey, Decrypt under an encryption context).
 */
export interface DataKeyService {
  /** A new 256-bit data key bound to `context`. */
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  /** The data key `encrypted` holds; DataKeyRefusedError when it was not encrypted under `context` (or altered). */
  decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

/** An encrypted data key that does not decrypt under the context given: altered, or bound to another secret. */
export class DataKeyRefusedError extends Error {
  constructor(message = 'The encrypted data key does not decrypt under this encryption context.') {
    super(message);
    this.name = 'DataKeyRefusedError';
  }
}
