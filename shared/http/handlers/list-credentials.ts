import { toView } from '../../domain/credential.ts';
import type { CredentialReads } from '../../service/credential-reads.ts';
import { type HttpBase, json, route } from '../route.ts';
import { ListQuery } from '../schemas.ts';

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
