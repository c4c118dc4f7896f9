import * as z from '../../domain/zod.ts';
import type { CredentialCommands } from '../../service/credential-commands.ts';
import { credentialResult } from '../answers.ts';
import { type IdempotencyParts, idempotencyWrapper } from '../idempotency.ts';
import { type HttpBase, route } from '../route.ts';
import { ConnectorId, Description, Fields, Name, Requirements } from '../schemas.ts';

/** POST /credentials */
export const CreateBody = z.strictObject({
  connector: ConnectorId,
  name: Name,
  description: z.optional(Description),
  fields: Fields,
  requirements: z.optional(Requirements),
  allowUnverified: z.optional(z.boolean()),
});

/** POST /credentials: check, then store; `Idempotency-Key` makes retries safe when a store is given. */
export const makeCreateCredentialHandler = (
  deps: HttpBase & { commands: CredentialCommands; idempotency?: IdempotencyParts | null },
) =>
  route(deps, {
    auth: true,
    body: CreateBody,
    wrapper: idempotencyWrapper(deps, deps.idempotency),
    run: async ({ tenantId, body }) => {
      const credential = await deps.commands.create(tenantId, body);
      return credentialResult(201, credential, { location: `/credentials/${credential.id}` });
    },
  });
