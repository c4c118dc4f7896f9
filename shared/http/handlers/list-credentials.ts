import { CredentialStatus, toView } from '../../domain/credential.ts';
import * as z from '../../domain/zod.ts';
import type { CredentialReads } from '../../service/credential-reads.ts';
import { type HttpBase, json, route } from '../route.ts';
import { Cursor, Limit } from '../schemas.ts';

/** GET /credentials query. */
export const ListQuery = z.strictObject({
  limit: Limit,
  cursor: Cursor,
  connector: z.optional(z.string().check(z.maxLength(64))),
  status: z.optional(CredentialStatus),
});

/** GET /credentials: one page of the tenant's credentials, never a secret. */
export const makeListCredentialsHandler = (deps: HttpBase & { reads: CredentialReads }) =>
  route(deps, {
    auth: true,
    query: ListQuery,
    run: async ({ tenantId, query }) => {
      const page = await deps.reads.list(tenantId, query);
      return json(200, { items: page.items.map(toView), nextCursor: page.nextCursor });
    },
  });
