import { PreconditionFailedError, SecretNotFoundError, VersionConflictError } from '../domain/errors.ts';
import type { CredentialRepository, SecretStore } from '../store/ports.ts';
import { CredentialReads } from './credential-reads.ts';

export interface DeleteCredentialDeps {
  repository: CredentialRepository;
  secrets: SecretStore;
  /** Recovery window of the deleted secret, in days. */
  recoveryDays: number;
  /** Told about failures that were handled; never given a secret. */
  onHandledError?: (what: string, error: unknown) => void;
}

/**
 * Deletes a credential: the item first, conditional on the version read (so a concurrent rotation or re-check
 * makes this a 409, or a 412 with If-Match, and a second delete a 404), then its secret is scheduled for deletion
 * (recoverable until the window ends). A delete never restores a secret. If scheduling fails, or the process dies
 * before it, the secret is an orphan that the reconciliation (./reconcile-secrets.ts) schedules later. A registered
 * credential's secret (`secretArn`) is its owner's: only the item is deleted, the secret is never touched. It needs
 * no vendor, so the function that runs it carries no connector.
 */
export async function deleteCredential(
  deps: DeleteCredentialDeps,
  tenantId: string,
  id: string,
  ifMatch?: number,
): Promise<void> {
  const current = await new CredentialReads(deps.repository).get(tenantId, id);
  if (ifMatch !== undefined && ifMatch !== current.version) throw new PreconditionFailedError();
  try {
    await deps.repository.delete(tenantId, id, current.version);
  } catch (error) {
    if (error instanceof VersionConflictError && ifMatch !== undefined) throw new PreconditionFailedError();
    // NotFoundError: another delete came first and scheduled the secret; nothing more to do here.
    throw error;
  }
  // The owner's secret stays as it is: credval only ever read it.
  if (current.secretArn) return;
  try {
    await deps.secrets.scheduleDeletion(current.secretName, deps.recoveryDays);
  } catch (error) {
    // The credential is gone, which is what was asked; its secret waits for the reconciliation.
    if (!(error instanceof SecretNotFoundError))
      deps.onHandledError?.('schedule the deletion of a deleted credential’s secret', error);
  }
}
