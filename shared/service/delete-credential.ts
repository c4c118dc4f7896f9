import { PreconditionFailedError } from '../domain/errors.ts';
import type { CredentialRepository, SecretStore } from '../store/ports.ts';
import { CredentialReads } from './credential-reads.ts';

export interface DeleteCredentialDeps {
  repository: CredentialRepository;
  secrets: SecretStore;
  /** Recovery window of the deleted secret, in days. */
  recoveryDays: number;
  /** Told about failures that were handled (compensations); never given a secret. */
  onHandledError?: (what: string, error: unknown) => void;
}

/**
 * Deletes a credential: the secret is scheduled for deletion (recoverable until the window ends), the item
 * removed. It needs no vendor, so the function that runs it carries no connector.
 */
export async function deleteCredential(
  deps: DeleteCredentialDeps,
  tenantId: string,
  id: string,
  ifMatch?: number,
): Promise<void> {
  const current = await new CredentialReads(deps.repository).get(tenantId, id);
  if (ifMatch !== undefined && ifMatch !== current.version) throw new PreconditionFailedError();
  // 1. The secret first, recoverably: if the item delete then fails, the secret is restored.
  await deps.secrets.scheduleDeletion(current.secretName, deps.recoveryDays);
  try {
    await deps.repository.delete(tenantId, id);
  } catch (error) {
    try {
      await deps.secrets.restore(current.secretName);
    } catch (undoError) {
      deps.onHandledError?.(
        'compensation failed: restore the secret of a credential that was not deleted',
        undoError,
      );
    }
    throw error;
  }
}
