import type { CredentialCommands } from '../../service/credential-commands.ts';
import { credentialResult } from '../answers.ts';
import { type HttpBase, route } from '../route.ts';
import { CredentialId } from '../schemas.ts';

/** POST /credentials/{id}/validate: re-check now with the stored secret; 200 with the updated credential. */
export const makeRecheckHandler = (deps: HttpBase & { commands: CredentialCommands }) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    run: async ({ tenantId, id }) =>
      credentialResult(200, await deps.commands.recheck(tenantId, id ?? '', 'manual')),
  });
