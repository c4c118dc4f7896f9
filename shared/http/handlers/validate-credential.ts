import * as z from '../../domain/zod.ts';
import { type Checker, validateCredential } from '../../service/credential-commands.ts';
import { type HttpBase, json, route } from '../route.ts';
import { ConnectorId, Fields, Requirements } from '../schemas.ts';

/** POST /validations */
export const ValidateBody = z.strictObject({
  connector: ConnectorId,
  fields: Fields,
  requirements: z.optional(Requirements),
});

/** POST /validations: dry run, stores nothing; 200 with the report whatever the verdict. */
export const makeValidateHandler = (deps: HttpBase & { check: Checker }) =>
  route(deps, {
    auth: true,
    body: ValidateBody,
    run: async ({ body }) => json(200, await validateCredential(deps.check, body)),
  });
