import type { CheckRecord, Credential, CredentialStatus, Page } from '../domain/credential.ts';
import type { CredentialEvent, RevalidationMessage } from '../domain/events.ts';
import { TABLE_LAYOUT } from './table-layout.ts';

/** The secret fields of one credential, e.g. `{ apiKey: "…" }`. */
export type SecretValue = Record<string, string>;

/** Tags put on every stored secret (DESIGN.md section 5). */
export interface SecretTags {
  tenantId: string;
  credentialId: string;
  connector: string;
}

/**
 * Where secrets live: the only module that knows (Secrets Manager on AWS, an encrypted file locally).
 * Versions follow Secrets Manager's staging labels: a rotation writes AWSPENDING, and promotion makes it
 * AWSCURRENT with the old value kept as AWSPREVIOUS.
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
  /** Stages a new value as pending (not yet current); returns its version id. Idempotent per `requestToken`. */
  putPending(name: string, value: SecretValue, options: { requestToken: string }): Promise<string>;
  /** Makes the pending version current; the previous current value stays as the previous version. */
  promotePending(name: string, versionId: string): Promise<void>;
  /** Drops a pending version that failed its check. */
  discardPending(name: string, versionId: string): Promise<void>;
  /** Schedules deletion with a recovery window (days); the value stays readable to `restore` until then. */
  scheduleDeletion(name: string, recoveryWindowDays: number): Promise<void>;
  /** Cancels a scheduled deletion. */
  restore(name: string): Promise<void>;
  /** Deletes at once, without recovery: only to undo a create whose metadata was never written. */
  deleteNow(name: string): Promise<void>;
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
   * `credential.version` (the caller increments it). Throws VersionConflictError or NotFoundError.
   */
  replace(credential: Credential, expectedVersion: number): Promise<void>;
  /**
   * Leases a due credential for the sweep: sets its `nextCheckAt` to `leasedUntil` and its version to
   * `expectedVersion + 1` if its stored version is `expectedVersion`, and changes nothing else, so the write
   * stays small whatever the item holds. Throws VersionConflictError or NotFoundError as `replace` does.
   */
  lease(tenantId: string, id: string, expectedVersion: number, leasedUntil: Date): Promise<void>;
  /** Deletes the credential (and its index entry); throws NotFoundError if absent. */
  delete(tenantId: string, id: string): Promise<void>;
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

/**
 * What the sweep reads of a due credential: who it is, the version to lease it from, and when it was due. Not the
 * whole item, so that a sweep over many credentials reads a tenth of the bytes (no last report, no fields).
 */
export interface DueCredential {
  tenantId: string;
  id: string;
  version: number;
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
