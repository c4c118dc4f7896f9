import type { CheckRecord, Credential, CredentialStatus, Page } from '../domain/credential.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { CredentialReader } from '../store/ports.ts';

export interface ListRequest {
  limit: number;
  cursor?: string | null;
  connector?: string;
  status?: CredentialStatus;
}

/**
 * The read use cases: one credential, a list, a history. They need nothing but the repository, so the functions
 * that serve them carry no connector, no outbound client and no secret store (docs/architecture.md).
 */
export class CredentialReads {
  constructor(private readonly repository: CredentialReader) {}

  /** The credential, or NotFoundError (also for another tenant's id). */
  async get(tenantId: string, id: string): Promise<Credential> {
    const credential = await this.repository.get(tenantId, id);
    if (!credential) throw new NotFoundError();
    return credential;
  }

  async list(tenantId: string, request: ListRequest): Promise<Page<Credential>> {
    return this.repository.list(tenantId, request);
  }

  /**
   * The credential's check history, newest first. A deleted credential's history stays readable until it expires
   * (HISTORY_TTL_DAYS), for audit; an id with neither a credential nor history is NotFoundError.
   */
  async history(
    tenantId: string,
    id: string,
    request: { limit: number; cursor?: string | null },
  ): Promise<Page<CheckRecord>> {
    const [credential, page] = await Promise.all([
      this.repository.get(tenantId, id),
      this.repository.listChecks(tenantId, id, request),
    ]);
    if (!credential && page.items.length === 0 && !request.cursor) throw new NotFoundError();
    return page;
  }
}
