import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretReadError } from '../domain/errors.ts';
import type { SecretReader } from './ports.ts';

/** What to tell a user who can fix the failure, by the Secrets Manager error's name; never the SDK's own text. */
const ADVICE: Record<string, (arn: string) => string> = {
  ResourceNotFoundException: (arn) => `the secret ${arn} does not exist (or is scheduled for deletion)`,
  AccessDeniedException: (arn) =>
    `the check may not read the secret ${arn}: a secret of another account needs a resource policy, and one ` +
    'encrypted with a customer-managed key a key policy, that let the check function read it',
  DecryptionFailure: (arn) =>
    `the secret ${arn} could not be decrypted: the check function needs kms:Decrypt on the secret's key`,
  InvalidRequestException: (arn) => `the secret ${arn} cannot be read now (is it scheduled for deletion?)`,
};

/**
 * Reads a secret the caller names by ARN (a secret credval does not keep): its current value and version. A binary
 * or empty secret, or a refusal, becomes a SecretReadError that says what to fix; a failure that may pass (throttling,
 * a 5xx) is an ordinary error, so that the caller retries.
 */
export function secretsManagerReader(client: SecretsManagerClient): SecretReader {
  return async (arn) => {
    let answer: GetSecretValueCommandOutput;
    try {
      answer = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    } catch (error) {
      const name = (error as { name?: string }).name ?? 'Error';
      const advice = ADVICE[name];
      // What the owner can fix is a SecretReadError; anything else (throttling, a 5xx, the network) is worth a
      // retry, so it stays an ordinary error, with a message as safe as the other.
      if (advice) throw new SecretReadError(`credval: ${advice(arn)}.`);
      throw new Error(`credval: reading the secret ${arn} failed (${name}).`);
    }
    if (typeof answer.SecretString !== 'string' || answer.SecretString.trim() === '') {
      throw new SecretReadError(
        `credval: the secret ${arn} holds no text: store a JSON object of the secret fields by name.`,
      );
    }
    return { value: answer.SecretString, versionId: answer.VersionId ?? null };
  };
}
