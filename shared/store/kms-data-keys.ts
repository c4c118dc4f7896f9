import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { StorageError } from '../domain/errors.ts';
import {
  type DataKey,
  DataKeyRefusedError,
  type DataKeyService,
  type EncryptionContext,
} from './data-keys.ts';

/** The error's name (the AWS error code for SDK errors), never its message. */
function awsErrorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : 'UnknownError';
}

/**
 * Data keys from AWS KMS: GenerateDataKey (AES_256) and Decrypt on one symmetric key, each under the encryption
 * context given, so the key policy and IAM can require it and CloudTrail shows which secret a call was for.
 * Decrypt names the key too, so a ciphertext made under another key is refused rather than used.
 */
export class KmsDataKeys implements DataKeyService {
  constructor(private readonly options: { client: KMSClient; keyId: string }) {}

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    try {
      const output = await this.options.client.send(
        new GenerateDataKeyCommand({
          KeyId: this.options.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: context,
        }),
      );
      if (!output.Plaintext || !output.CiphertextBlob) throw new Error('KMS returned no data key');
      return { plaintext: output.Plaintext, encrypted: output.CiphertextBlob };
    } catch (error) {
      throw new StorageError(`KMS GenerateDataKey failed (${awsErrorName(error)}).`, { cause: error });
    }
  }

  async decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    let plaintext: Uint8Array | undefined;
    try {
      const output = await this.options.client.send(
        new DecryptCommand({
          KeyId: this.options.keyId,
          CiphertextBlob: encrypted,
          EncryptionContext: context,
        }),
      );
      plaintext = output.Plaintext;
    } catch (error) {
      const name = awsErrorName(error);
      // Another context, an altered blob, or a blob made under another key: KMS cannot tell them apart either.
      if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException') {
        throw new DataKeyRefusedError();
      }
      throw new StorageError(`KMS Decrypt failed (${name}).`, { cause: error });
    }
    if (plaintext?.length !== 32) throw new StorageError('KMS Decrypt returned no 256-bit key.');
    return plaintext;
  }
}
