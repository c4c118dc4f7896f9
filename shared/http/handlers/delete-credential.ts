import { type DeleteCredentialDeps, deleteCredential } from '../../service/delete-credential.ts';
import { ifMatchVersion } from '../answers.ts';
import { type HttpBase, route } from '../route.ts';
import { CredentialId } from '../schemas.ts';

/** DELETE /credentials/{id}: 204; the secret stays recoverable for its window. If-Match. */
export const makeDeleteCredentialHandler = (deps: HttpBase & { deletion: DeleteCredentialDeps }) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    run: async ({ tenantId, id, headers }) => {
      await deleteCredential(deps.deletion, tenantId, id ?? '', ifMatchVersion(headers['if-match']));
      return { statusCode: 204, headers: {}, body: '' };
    },
  });
