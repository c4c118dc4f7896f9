import * as z from './zod.ts';

/** The three answers a check can give (README "The report"). */
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
  /** credval could not read the credential's secret (a registered credential's, kept by its owner). */
  'secret_unavailable',
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

/** Warning codes: a valid credential that still needs a look (README, "The report"). */
export const WarningCode = z.enum([
  'admin_credential',
  'portal_user',
  'xmlrpc_deprecated',
  'insecure_http',
  'instance_locked',
  'key_expiring',
  'url_normalized',
  'identity_partial',
  'no_read_access',
]);
export type WarningCode = z.infer<typeof WarningCode>;

export const Warning = z.object({ code: WarningCode, message: z.string() });
export type Warning = z.infer<typeof Warning>;

export const Identity = z.object({
  userId: z.nullable(z.union([z.string(), z.number()])),
  login: z.nullable(z.string()),
  name: z.nullable(z.string()),
  email: z.nullable(z.string()),
  admin: z.nullable(z.boolean()),
  company: z.nullable(z.string()),
});
export type Identity = z.infer<typeof Identity>;

export const Permission = z.object({
  resource: z.string(),
  read: z.nullable(z.boolean()),
  write: z.nullable(z.boolean()),
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
  /**
   * What the call asked, where the URL does not say it (an XML-RPC or JSON-2 method and its arguments, e.g.
   * `check_access_rights purchase.order write`). Never a secret.
   */
  description: z.optional(z.string()),
  status: z.nullable(z.int()),
  ms: z.number().check(z.nonnegative()),
  outcome: ProbeOutcome,
});
export type ProbeTrace = z.infer<typeof ProbeTrace>;

export const Report = z.object({
  verdict: Verdict,
  reason: z.nullable(Reason),
  message: z.string(),
  field: z.nullable(z.string()),
  retryable: z.boolean(),
  retryAfterSeconds: z.nullable(z.int().check(z.nonnegative())),
  identity: z.nullable(Identity),
  vendor: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  permissions: z.array(Permission),
  warnings: z.array(Warning),
  probes: z.array(ProbeTrace),
  checkedAt: z.string(),
  durationMs: z.number().check(z.nonnegative()),
});
export type Report = z.infer<typeof Report>;

/** A requirement in a check request: a vendor resource and the access the credential must have. */
export const Requirement = z.strictObject({
  resource: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  access: z.array(z.enum(['read', 'write'])).check(z.minLength(1)),
});
export type Requirement = z.infer<typeof Requirement>;
