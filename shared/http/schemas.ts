import { CREDENTIAL_ID } from '../domain/identifiers.ts';
import { Requirement } from '../domain/report.ts';
import * as z from '../domain/zod.ts';

// Building blocks of the request schemas. Each route's own body and query schema sits in its handler module
// (./handlers/<route>.ts), so a function bundles only what its route parses.

/** Names of connectors are checked by the service (which lists the known ones in its error). */
export const ConnectorId = z.string().check(z.minLength(1), z.maxLength(64));
export const Fields = z.record(z.string().check(z.maxLength(64)), z.unknown());
export const Requirements = z.array(Requirement).check(z.maxLength(50));
export const Name = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));
export const Description = z.string().check(z.maxLength(2000));
const LIMIT_MESSAGE = 'must be a whole number from 1 to 100';
/** Page size: `?limit=abc` gets the same sentence as `?limit=0`, never zod's "expected number, received NaN". */
export const Limit = z._default(
  z.coerce
    .number({ error: LIMIT_MESSAGE })
    .check(z.int(LIMIT_MESSAGE), z.gte(1, LIMIT_MESSAGE), z.lte(100, LIMIT_MESSAGE)),
  25,
);
export const Cursor = z.optional(z.string().check(z.maxLength(2048)));

export const CredentialId = z.string().check(z.regex(CREDENTIAL_ID, 'is not a credential id'));
