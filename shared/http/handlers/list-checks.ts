import * as z from '../../domain/zod.ts';
import type { CredentialReads } from '../../service/credential-reads.ts';
import { checkView } from '../answers.ts';
import { type HttpBase, json, route } from '../route.ts';
import { CredentialId, Cursor, Limit } from '../schemas.ts';

/** GET /credentials/{id}/checks query. */
export const PageQuery = z.strictObject({ limit: Limit, cursor: Cursor });

/** GET /credentials/{id}/checks: the check history, newest first. */
export const makeListChecksHandler = (deps: HttpBase & { reads: CredentialReads }) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    query: PageQuery,
    run: async ({ tenantId, id, query }) => {
      const page = await deps.reads.history(tenantId, id ?? '', query);
      return json(200, { items: page.items.map(checkView), nextCursor: page.nextCursor });
    },
  });
