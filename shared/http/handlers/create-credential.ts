import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { CredentialCommands } from '../../service/credential-commands.ts';
import { credentialResult } from '../answers.ts';
import { idempotencyWrapper } from '../idempotency.ts';
import { type HttpBase, route } from '../route.ts';
import { CreateBody } from '../schemas.ts';

/** POST /credentials: check, then store; `Idempotency-Key` makes retries safe when a store is given. */
export const makeCreateCredentialHandler = (
  deps: HttpBase & { commands: CredentialCommands; idempotencyStore?: BasePersistenceLayer | null },
) =>
  route(deps, {
    auth: true,
    body: CreateBody,
    wrapper: idempotencyWrapper(deps, deps.idempotencyStore),
    run: async ({ tenantId, body }) => {
      const credential = await deps.commands.create(tenantId, body);
      return credentialResult(201, credential, { location: `/credentials/${credential.id}` });
    },
  });
