import * as z from '../../domain/zod.ts';
import type { CredentialCommands } from '../../service/credential-commands.ts';
import { credentialResult, ifMatchVersion } from '../answers.ts';
import { type HttpBase, route } from '../route.ts';
import { CredentialId, Description, Name, Requirements } from '../schemas.ts';

/** PATCH /credentials/{id}: a secret field in `fields` is a rotation. */
export const UpdateBody = z.strictObject({
  name: z.optional(Name),
  description: z.optional(Description),
  fields: z.optional(
    z.record(z.string().check(z.maxLength(64)), z.union([z.string(), z.number(), z.null()])),
  ),
  requirements: z.optional(Requirements),
  allowUnverified: z.optional(z.boolean()),
});

/** PATCH /credentials/{id}: rename, edit (re-checked) or rotate (checked before it is stored); If-Match. */
export const makeUpdateCredentialHandler = (deps: HttpBase & { commands: CredentialCommands }) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    body: UpdateBody,
    run: async ({ tenantId, id, body, headers }) => {
      const ifMatch = ifMatchVersion(headers['if-match']);
      const { fields, ...rest } = body;
      // A field typed as a number (an entity id, say) is a string to the connectors.
      const normalizedFields = fields
        ? Object.fromEntries(
            Object.entries(fields).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]),
          )
        : undefined;
      const credential = await deps.commands.update(
        tenantId,
        id ?? '',
        { ...rest, fields: normalizedFields },
        ifMatch,
      );
      return credentialResult(200, credential);
    },
  });
