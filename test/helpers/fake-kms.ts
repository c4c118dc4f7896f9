import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

/** The key ARN the fake serves. */
export const FAKE_KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * KMS as far as an envelope store uses it, faked at the SDK boundary (aws-sdk-client-mock) but really encrypting:
 * GenerateDataKey returns a random 256-bit key and that key wrapped with AES-256-GCM under a key-encryption key
 * only this fake knows, with the key id and the encryption context as authenticated data; Decrypt unwraps it only
 * under the same key and context (InvalidCiphertextException otherwise), as KMS does. It records every plaintext
 * data key it handed out, so tests can prove none is stored.
 */
export function fakeKms(keyId = FAKE_KMS_KEY, onCall?: (operation: 'GenerateDataKey' | 'Decrypt') => void) {
  const client = new KMSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
  });
  const mock = mockClient(client);
  const kek = randomBytes(32);
  const issued: Buffer[] = [];
  const keyTag = createHash('sha256').update(keyId).digest().subarray(0, 16);
  const aad = (context: Record<string, string> | undefined) =>
    Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b))));

  mock.on(GenerateDataKeyCommand).callsFake((input) => {
    onCall?.('GenerateDataKey');
    if (input.KeyId !== keyId) {
      throw new IncorrectKeyException({ message: 'not this key', $metadata: {} });
    }
    if (input.KeySpec !== 'AES_256') throw new Error(`fake KMS: unexpected KeySpec ${input.KeySpec}`);
    const plaintext = randomBytes(32);
    issued.push(Buffer.from(plaintext));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    cipher.setAAD(aad(input.EncryptionContext));
    const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      KeyId: keyId,
      Plaintext: new Uint8Array(plaintext),
      CiphertextBlob: new Uint8Array(Buffer.concat([keyTag, iv, wrapped, cipher.getAuthTag()])),
    };
  });
  mock.on(DecryptCommand).callsFake((input) => {
    onCall?.('Decrypt');
    const blob = Buffer.from(input.CiphertextBlob ?? new Uint8Array());
    const refused = () => new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
    if (input.KeyId !== undefined && input.KeyId !== keyId) {
      throw new IncorrectKeyException({ message: 'not this key', $metadata: {} });
    }
    if (blob.length !== 16 + 12 + 32 + 16 || !blob.subarray(0, 16).equals(keyTag)) throw refused();
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, blob.subarray(16, 28));
      decipher.setAAD(aad(input.EncryptionContext));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      const plaintext = Buffer.concat([
        decipher.update(blob.subarray(28, blob.length - 16)),
        decipher.final(),
      ]);
      return { KeyId: keyId, Plaintext: new Uint8Array(plaintext) };
    } catch {
      throw refused();
    }
  });
  return { client, mock, issued, keyId };
}
