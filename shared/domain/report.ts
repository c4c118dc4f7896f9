import { z } from './zod.ts';

/** The three answers a check can give (DESIGN.md section 3). */
export const Verdict = z.enum(['valid', 'invalid', 'inconclusive']);
export type Verdict = z.infer<typeof Verdict>;

/** Why a check was not valid; stable codes that clients switch on. */
export const Reason = z.enum([
  'invalid_credentials',
  'insufficient_permissions',
  'database_not_found',
  'api_disabled',
  'plan_not_allowed',
  'ip_not_allowed',
  'not_the_vendor',
  'blocked_destination',
  'tls_error',
  'timeout',
  'endpoint_unreachable',
  'rate_limited',
  'vendor_error',
  'invalid_input',
]);
export type Reason = z.infer<typeof Reason>;

/**
 * Reasons that mean "the vendor said no" and so make a check `invalid`; the rest are inconclusive. A refusal
 * of the caller rather than the key (`ip_not_allowed`: an address block; `rate_limited`) is not a verdict on
 * the credential, so it never counts toward `invalid`.
 */
export const DEFINITE_REASONS: ReadonlySet<Reason> = new Set<Reason>([
  'invalid_credentials',
  'insufficient_permissions',
  'database_not_found',
  'api_disabled',
  'plan_not_allowed',
  'not_the_vendor',
  'invalid_input',
]);

export const WarningCode = z.enum([
  'admin_credential',
  'portal_user',
  'xmlrpc_deprecated',
  'insecure_http',
  'instance_locked',
  'key_expiring',
  'url_normalized',
  'identity_partial',
]);
export type WarningCode = z.infer<typeof WarningCode>;

export const Warning = z.object({ code: WarningCode, message: z.string() });
export type Warning = z.infer<typeof Warning>;

export const Identity = z.object({
  userId: z.union([z.string(), z.number()]).nullable(),
  login: z.string().nullable(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  admin: z.boolean().nullable(),
  company: z.string().nullable(),
});
export type Identity = z.infer<typeof Identity>;

export const Permission = z.object({
  resource: z.string(),
  read: z.boolean().nullable(),
  write: z.boolean().nullable(),
});
export type Permission = z.infer<typeof Permission>;

export const ProbeOutcome = z.enum([
  'ok',
  'rejected',
  'denied',
  'not_found',
  'unexpected',
  'failed',
  'blocked',
  'rate_limited',
  'cached',
]);
export type ProbeOutcome = z.infer<typeof ProbeOutcome>;

/** One outbound call, as the report shows it: never a secret, never a body. */
export const ProbeTrace = z.object({
  name: z.string(),
  method: z.string(),
  url: z.string(),
  status: z.number().int().nullable(),
  ms: z.number().nonnegative(),
  outcome: ProbeOutcome,
});
export type ProbeTrace = z.infer<typeof ProbeTrace>;

export const Report = z.object({
  verdict: Verdict,
  reason: Reason.nullable(),
  message: z.string(),
  field: z.string().nullable(),
  retryable: z.boolean(),
  retryAfterSeconds: z.number().int().nonnegative().nullable(),
  identity: Identity.nullable(),
  vendor: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  permissions: z.array(Permission),
  warnings: z.array(Warning),
  probes: z.array(ProbeTrace),
  checkedAt: z.string(),
  durationMs: z.number().nonnegative(),
});
export type Report = z.infer<typeof Report>;

/** A requirement in a check request: a vendor resource and the access the credential must have. */
export const Requirement = z
  .object({
    resource: z.string().trim().min(1).max(200),
    access: z.array(z.enum(['read', 'write'])).min(1),
  })
  .strict();
export type Requirement = z.infer<typeof Requirement>;
