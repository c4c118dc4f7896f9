import { Report, Requirement } from './report.ts';
import * as z from './zod.ts';

/** A stored credential's standing (README "HTTP API"). */
export const CredentialStatus = z.enum(['valid', 'invalid', 'degraded', 'unverified']);
export type CredentialStatus = z.infer<typeof CredentialStatus>;

/** What started a check, kept in the history. */
export const CheckTrigger = z.enum(['create', 'update', 'rotate', 'manual', 'schedule', 'event']);
export type CheckTrigger = z.infer<typeof CheckTrigger>;

/** What revalidation remembers between checks (see shared/service/status-policy.ts). */
export const MonitorState = z.object({
  /** Definite rejections since the last valid check; the first one awaits confirmation. */
  rejections: z.int().check(z.nonnegative()),
  firstRejectedAt: z.nullable(z.string()),
  /** Inconclusive checks in a row. */
  inconclusiveStreak: z.int().check(z.nonnegative()),
  /** Checks while invalid, for the back-off. */
  invalidChecks: z.int().check(z.nonnegative()),
  /** The check that produced `lastCheck`: a redelivered queue message for it is recognised and not redone. */
  lastCheckId: z.nullable(z.string()),
  /** The status before that check, so its history entry can be rebuilt exactly from the item. */
  lastStatusBefore: z._default(z.nullable(CredentialStatus), null),
  /** What started that check, for its history entry (written by the change feed). */
  lastTrigger: z._default(z.nullable(CheckTrigger), null),
});
export type MonitorState = z.infer<typeof MonitorState>;

/** A monitor with nothing pending. */
export const FRESH_MONITOR: MonitorState = {
  rejections: 0,
  firstRejectedAt: null,
  inconclusiveStreak: 0,
  invalidChecks: 0,
  lastCheckId: null,
  lastStatusBefore: null,
  lastTrigger: null,
};

/** Which custom resource registered a credential: deleting an older physical resource must not remove it. */
export const Registration = z.object({
  /** The CloudFormation stack's id (an ARN). */
  stackId: z.string().check(z.minLength(1)),
  /** The resource's logical id in that stack. */
  logicalResourceId: z.string().check(z.minLength(1)),
  /** The physical id the resource had when it last registered the credential. */
  physicalResourceId: z.string().check(z.minLength(1)),
});
export type Registration = z.infer<typeof Registration>;

/**
 * A credential as stored in the repository: metadata and non-secret fields only. The secret lives in the
 * SecretStore under `secretName` (or, for a registered credential, in its owner's secret `secretArn`); nothing
 * here can hold it.
 */
export const Credential = z.object({
  tenantId: z.string().check(z.minLength(1)),
  id: z.string().check(z.minLength(1)),
  connector: z.string().check(z.minLength(1)),
  name: z.string(),
  description: z.string(),
  fields: z.record(z.string(), z.string()),
  requirements: z.array(Requirement),
  status: CredentialStatus,
  lastCheck: z.nullable(Report),
  version: z.int().check(z.positive()),
  createdAt: z.string(),
  updatedAt: z.string(),
  nextCheckAt: z.nullable(z.string()),
  /** Name of the secret in the SecretStore (`<prefix>/<tenant>/<id>`). */
  secretName: z.string().check(z.minLength(1)),
  /**
   * The secret version this item describes (its request token). Two rotations racing for one credential are
   * told apart by it; absent on items written before it existed.
   */
  secretVersion: z.optional(z.string()),
  /**
   * A credential registered by a `CredentialCheck` resource (README "Registered credentials"): the Secrets Manager
   * secret its owner keeps, by ARN. credval only reads it: it never creates, rotates, reverts or deletes it.
   * `secretName` holds the same ARN.
   */
  secretArn: z.optional(z.string().check(z.minLength(1))),
  /** Which CloudFormation resource registered the credential (with `secretArn`). */
  registration: z.optional(Registration),
  monitor: z._default(MonitorState, () => ({ ...FRESH_MONITOR })),
});
export type Credential = z.infer<typeof Credential>;

/** Where a registered credential is defined, as the API shows it: the stack and the resource in it. */
export const ManagedBy = z.object({
  stackId: z.string(),
  logicalResourceId: z.string(),
});
export type ManagedBy = z.infer<typeof ManagedBy>;

/**
 * The credential as the API shows it (README "HTTP API"): no tenant, no reference to a secret credval keeps. A
 * registered credential shows its owner's secret (`secretArn`) and the resource that defines it (`managedBy`), so
 * a tenant sees why some edits are refused.
 */
export const CredentialView = z.extend(
  z.omit(Credential, {
    tenantId: true,
    secretName: true,
    secretVersion: true,
    registration: true,
    monitor: true,
  }),
  { managedBy: z.optional(ManagedBy) },
);
export type CredentialView = z.infer<typeof CredentialView>;

/** The API view of a stored credential. */
export function toView(credential: Credential): CredentialView {
  const {
    tenantId: _tenant,
    secretName: _secret,
    secretVersion: _version,
    registration,
    monitor: _monitor,
    ...view
  } = credential;
  return registration
    ? {
        ...view,
        managedBy: { stackId: registration.stackId, logicalResourceId: registration.logicalResourceId },
      }
    : view;
}

/** One entry of a credential's check history. */
export const CheckRecord = z.object({
  tenantId: z.string().check(z.minLength(1)),
  credentialId: z.string().check(z.minLength(1)),
  /** Deterministic per check, so a retried write overwrites instead of duplicating. */
  checkId: z.string().check(z.minLength(1)),
  checkedAt: z.string(),
  trigger: CheckTrigger,
  statusBefore: z.nullable(CredentialStatus),
  statusAfter: CredentialStatus,
  report: Report,
});
export type CheckRecord = z.infer<typeof CheckRecord>;

/** A page of results and the opaque cursor of the next page (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
