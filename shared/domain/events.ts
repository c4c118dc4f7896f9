import { CredentialStatus } from './credential.ts';
import { Reason, Verdict } from './report.ts';
import * as z from './zod.ts';

export { EVENT_SOURCE } from './event-names.ts';

/** Published after every check (README "HTTP API"). No secret and no vendor body, by construction. */
export const CredentialChecked = z.object({
  tenantId: z.string(),
  credentialId: z.string(),
  connector: z.string(),
  /** Same for a redelivered check: consumers deduplicate on it. */
  checkId: z.string(),
  verdict: Verdict,
  reason: z.nullable(Reason),
  status: CredentialStatus,
  checkedAt: z.string(),
});
export type CredentialChecked = z.infer<typeof CredentialChecked>;

/** Published when a check changes the stored status. */
export const CredentialStatusChanged = z.object({
  tenantId: z.string(),
  credentialId: z.string(),
  connector: z.string(),
  from: z.nullable(CredentialStatus),
  to: CredentialStatus,
  reason: z.nullable(Reason),
  checkedAt: z.string(),
  checkId: z.string(),
});
export type CredentialStatusChanged = z.infer<typeof CredentialStatusChanged>;

/** Sent by a consumer whose own call with the credential was refused (inbound). */
export const RevalidationRequested = z.object({
  tenantId: z.string().check(z.minLength(1), z.maxLength(64)),
  credentialId: z.string().check(z.minLength(1), z.maxLength(64)),
  reason: z.optional(z.string().check(z.maxLength(500))),
});
export type RevalidationRequested = z.infer<typeof RevalidationRequested>;

export type CredentialEvent =
  | { detailType: 'CredentialChecked'; detail: CredentialChecked }
  | { detailType: 'CredentialStatusChanged'; detail: CredentialStatusChanged };

/** A request to re-check one credential, as queued for the worker. */
export const RevalidationMessage = z.object({
  tenantId: z.string().check(z.minLength(1)),
  credentialId: z.string().check(z.minLength(1)),
  /** The version the request is about; a newer stored version means a user change came first. */
  version: z.nullable(z.int().check(z.positive())),
  /** Deterministic per scheduled check, so a redelivered message is recognised. */
  checkId: z.string().check(z.minLength(1)),
  trigger: z.enum(['schedule', 'event']),
  /** For logs: what asked for it (the sweep, a secret change, a consumer). */
  cause: z.string().check(z.maxLength(200)),
});
export type RevalidationMessage = z.infer<typeof RevalidationMessage>;
