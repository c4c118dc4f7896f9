import { CredentialStatus } from '../domain/credential.ts';
import { Requirement } from '../domain/report.ts';
import * as z from '../domain/zod.ts';

// Request schemas: what each route accepts. The answers' schemas are in ./openapi.ts, which only the
// build-time generator of the OpenAPI document imports.

/** Names of connectors are checked by the service (which lists the known ones in its error). */
const ConnectorId = z.string().check(z.minLength(1), z.maxLength(64));
const Fields = z.record(z.string().check(z.maxLength(64)), z.unknown());
const Requirements = z.array(Requirement).check(z.maxLength(50));
const Name = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));
const Description = z.string().check(z.maxLength(2000));
const Limit = z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25);
const Cursor = z.optional(z.string().check(z.maxLength(2048)));

/** POST /validations */
export const ValidateBody = z.strictObject({
  connector: ConnectorId,
  fields: Fields,
  requirements: z.optional(Requirements),
});

/** POST /credentials */
export const CreateBody = z.strictObject({
  connector: ConnectorId,
  name: Name,
  description: z.optional(Description),
  fields: Fields,
  requirements: z.optional(Requirements),
  allowUnverified: z.optional(z.boolean()),
});

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

/** GET /credentials query. */
export const ListQuery = z.strictObject({
  limit: Limit,
  cursor: Cursor,
  connector: z.optional(z.string().check(z.maxLength(64))),
  status: z.optional(CredentialStatus),
});

/** GET /credentials/{id}/checks query. */
export const PageQuery = z.strictObject({ limit: Limit, cursor: Cursor });

export const CredentialId = z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/, 'is not a credential id'));
