import type { CredentialReads } from '../../service/credential-reads.ts';
import { credentialResult } from '../answers.ts';
import { type HttpBase, route } from '../route.ts';
import { CredentialId } from '../schemas.ts';

/** GET /credentials/{id}: metadata and last report, with the version as ETag. */
export const makeGetCredentialHandler = (deps: HttpBase & { reads: CredentialReads }) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    run: async ({ tenantId, id }) => credentialResult(200, await deps.reads.get(tenantId, id ?? '')),
  });
