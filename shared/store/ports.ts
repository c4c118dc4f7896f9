import type { CheckRecord, Credential, CredentialStatus, Page } from '../domain/credential.ts';
import type { CredentialEvent, RevalidationMessage } from '../domain/events.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';

/** One stored change of a credential item: its image before and after (null when created or deleted). */
export interface CredentialChange {
  before: Credential | null;
  after: Credential | null;
}

/** The secret fields of one credential, e.g. `{ apiKey: "…" }`. */
export type SecretValue = Record<string, string>;

/** Tags put on every stored secret (docs/architecture.md "Write path"). */
export interface SecretTags {
  tenantId: string;
  credentialId: string;
  connector: string;
}

/** One version of a secret with its id (the request token that wrote it). */
export interface SecretVersion {
  id: string;
  value: SecretValue;
}

/**
 * What moving a secret to another store copies (`credval secrets migrate`): the current version and, once it was
 * rotated, the previous one, each with its id, so the credential item's `secretVersion` names the same version in
 * the new store.
 */
export interface SecretVersions {
  current: SecretVersion;
  previous: SecretVersion | null;
}

/** A stored secret as reconciliation sees it: never its value. */
export interface SecretSummary {
  name: string;
  createdAt: string;
  /** Scheduled for deletion (restorable until its recovery window ends). */
  deletionScheduled: boolean;
}

/**
 * Where secrets live: the only module that knows (Secrets Manager, or the KMS envelope store in the table, on AWS;
 * an encrypted file or the envelope store under a local key file locally).
 * Versions follow Secrets Manager's staging labels: the value in use is AWSCURRENT, and a rotation keeps the
 * value it replaces as AWSPREVIOUS. A value is checked before it is written, so nothing is ever staged.
 */
export interface SecretStore {
  /** Creates the secret with its first (current) value. Idempotent for the same `requestToken`. */
  create(
    name: string,
    value: SecretValue,
    options: { requestToken: string; tags: SecretTags },
  ): Promise<void>;
  /** The current value; throws SecretNotFoundError when there is none. */
  getCurrent(name: string): Promise<SecretValue>;
  /** The current and the previous version with their ids (moving between stores); SecretNotFoundError as above. */
  getVersions(name: string): Promise<SecretVersions>;
  /**
   * Writes a new current value; the value it replaces stays as the previous version. Returns the version id
   * (the request token). Idempotent for the same token and value; the same token with another value is a
   * ConflictError, which is how two rotations of one credential version are told apart (one wins).
   */
  putCurrent(name: string, value: SecretValue, options: { requestToken: string }): Promise<string>;
  /** Undoes a `putCurrent` that lost its race: makes version `to` current again, if `from` still is. */
  revertCurrent(name: string, versions: { from: string; to: string }): Promise<void>;
  /** Schedules deletion with a recovery window (days); the value stays readable to `restore` until then. */
  scheduleDeletion(name: string, recoveryWindowDays: number): Promise<void>;
  /** Cancels a scheduled deletion. */
  restore(name: string): Promise<void>;
  /** Deletes at once, without recovery: only to undo a create whose metadata was never written. */
  deleteNow(name: string): Promise<void>;
  /** The secrets whose names start with `prefix` (those scheduled for deletion too), a page at a time. */
  list(prefix: string, options: { limit: number; cursor?: string | null }): Promise<Page<SecretSummary>>;
}

/** Filters and paging for listing credentials. */
export interface ListOptions {
  limit: number;
  cursor?: string | null;
  connector?: string;
  status?: CredentialStatus;
}

/**
 * Credential metadata and check history, always scoped by tenant: no method can reach another tenant's
 * items. Writes are single-item and conditional.
 */
export interface CredentialRepository {
  /** Writes a new credential; throws ConflictError if the id exists. */
  create(credential: Credential): Promise<void>;
  get(tenantId: string, id: string): Promise<Credential | null>;
  list(tenantId: string, options: ListOptions): Promise<Page<Credential>>;
  /**
   * Replaces the credential if its stored version is `expectedVersion`; the written item carries
   * `credential.version` (the caller increments it). Returns what it replaced (the change feed's old image).
   * Throws VersionConflictError or NotFoundError.
   */
  replace(credential: Credential, expectedVersion: number): Promise<Credential>;
  /**
   * Deletes the credential (and its index entry), if its stored version is `expectedVersion` when one is given.
   * Returns what it deleted. Throws NotFoundError if absent, VersionConflictError if the version differs.
   */
  delete(tenantId: string, id: string, expectedVersion?: number): Promise<Credential>;
  /**
   * Leases a due credential for the sweep: if its `nextCheckAt` is still the one `listDue` returned, sets it to
   * `leasedUntil` and adds one to its version, changes nothing else (the write stays small whatever the item holds),
   * and returns the new version. Conditional on the due time rather than the version, so the due index need not
   * hold the version, and writes that leave the schedule alone do not touch the index. Throws VersionConflictError
   * when the credential was rescheduled since (checked, leased by another sweep, re-checked), NotFoundError when
   * it is gone.
   */
  lease(due: DueCredential, leasedUntil: Date): Promise<number>;
  /** Appends (or, for the same checkId, overwrites) one history entry with a time to live. */
  putCheck(record: CheckRecord, expiresAt: Date): Promise<void>;
  /** Newest first; entries past their time to live are left out even before storage deletes them. */
  listChecks(
    tenantId: string,
    credentialId: string,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<CheckRecord>>;
  /**
   * Credentials of one due-index shard (0 ≤ shard < TABLE_LAYOUT.dueShards, see `dueShardOf`) whose
   * `nextCheckAt` is at or before `dueBefore`, oldest first, across all tenants: only the sweep calls it, and
   * it reads only what a lease needs. A credential whose `nextCheckAt` is null is in no shard.
   */
  listDue(
    shard: number,
    dueBefore: Date,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<DueCredential>>;
}

/** What the read routes need of the repository: one credential, a tenant's credentials, a history. */
export type CredentialReader = Pick<CredentialRepository, 'get' | 'list' | 'listChecks'>;

/**
 * What the sweep reads of a due credential: who it is, and when it was due (what its lease is conditional on). Not
 * the whole item, so that a sweep over many credentials reads a tenth of the bytes (no last report, no fields).
 */
export interface DueCredential {
  tenantId: string;
  id: string;
  nextCheckAt: string;
}

/**
 * The due-index shard of a credential: a stable FNV-1a hash of tenant and id, so every adapter (and the
 * sweep) agrees on it and a million credentials spread over TABLE_LAYOUT.dueShards partitions.
 */
export function dueShardOf(tenantId: string, id: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${tenantId}\u0000${id}`)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % TABLE_LAYOUT.dueShards;
}

/** The time, injectable so tests control it. */
export interface Clock {
  now(): Date;
}

/** Where credval announces checks and status changes (EventBridge on AWS; a file and webhook locally). */
export interface EventPublisher {
  /** Publishes in order; throws StorageError when the events could not be delivered. */
  publish(events: CredentialEvent[]): Promise<void>;
}

/** The revalidation queue (SQS on AWS; in process locally). */
export interface RevalidationQueue {
  /** Enqueues messages (any number; adapters batch them). */
  send(messages: RevalidationMessage[]): Promise<void>;
}

/** A secret read by ARN (a deploy-time check): its text and the version that was read. */
export interface SecretText {
  /** A JSON object by field name, or the bare value of a connector's one secret field. */
  value: string;
  versionId: string | null;
}

/** Reads a secret that credval does not keep, by ARN. Throws SecretReadError for anything a user can fix. */
export type SecretReader = (arn: string) => Promise<SecretText>;
