import { Registration } from './credential.ts';
import { CREDENTIAL_ID, TENANT_ID } from './identifiers.ts';
import { Report, Requirement } from './report.ts';
import * as z from './zod.ts';

export { Registration };

// The contract between a `CredentialCheck` construct's custom resource (infra/credential-check.ts) and a credval
// deployment's `register-credential` function, which the resource invokes directly (Lambda Invoke): register a
// credential whose secret stays in the owner's Secrets Manager secret (credval reads it by ARN and never writes,
// rotates or deletes it), or remove that registration when the resource is deleted.

export const RegisterRequest = z.strictObject({
  action: z.literal('register'),
  tenantId: z.string().check(z.regex(TENANT_ID)),
  /** Stable for the resource (derived from the stack id and logical id): `[A-Za-z0-9-]{1,64}`. */
  credentialId: z.string().check(z.regex(CREDENTIAL_ID)),
  name: z.string().check(z.minLength(1), z.maxLength(200)),
  description: z.optional(z.string().check(z.maxLength(1000))),
  connector: z.string(),
  /** Non-secret fields only, as the check normalised them. */
  fields: z.record(z.string(), z.string()),
  requirements: z.array(Requirement),
  /** The owner's Secrets Manager secret (complete or partial ARN). */
  secretArn: z.string().check(z.regex(/^arn:aws[a-z-]*:secretsmanager:[^:]*:\d{12}:secret:.+$/)),
  /** The check the resource just ran (valid, or inconclusive when the construct allows it): the first check. */
  report: Report,
  registration: Registration,
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const DeregisterRequest = z.strictObject({
  action: z.literal('deregister'),
  tenantId: z.string().check(z.regex(TENANT_ID)),
  credentialId: z.string().check(z.regex(CREDENTIAL_ID)),
  /** Only a registration by this very physical resource is removed. */
  registration: Registration,
});
export type DeregisterRequest = z.infer<typeof DeregisterRequest>;

export const RegistrationRequest = z.discriminatedUnion('action', [RegisterRequest, DeregisterRequest]);
export type RegistrationRequest = z.infer<typeof RegistrationRequest>;

/** The function's answer to every request it could read; storage failures throw (a function error the invoker reports). */
export type RegistrationResult =
  | { ok: true; credentialId: string; outcome: 'created' | 'updated' | 'removed' | 'absent' | 'kept' }
  | { ok: false; code: string; message: string };
