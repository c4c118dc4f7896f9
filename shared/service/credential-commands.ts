import { randomUUID } from 'node:crypto';
import { CheckInputError, type PreparedCheck, prepareCheck } from '../connectors/check.ts';
import { findConnector } from '../connectors/registry.ts';
import type { CheckTrigger, Credential, CredentialStatus } from '../domain/credential.ts';
import {
  InputError,
  NotFoundError,
  PreconditionFailedError,
  SecretNotFoundError,
  StorageError,
  VersionConflictError,
} from '../domain/errors.ts';
import type { Report, Requirement } from '../domain/report.ts';
import type { Clock, CredentialRepository, SecretReader, SecretStore, SecretValue } from '../store/ports.ts';
import type { ServiceConfig } from './config.ts';
import { CredentialReads } from './credential-reads.ts';
import { CheckInconclusiveError, CheckRejectedError, ManagedExternallyError } from './errors.ts';
import { readExternalSecret } from './external-secret.ts';
import { FRESH_MONITOR, transition, withJitter } from './status-policy.ts';

/** Runs a prepared check against the vendor (the connector engine with the guarded client). */
export type Checker = (check: PreparedCheck) => Promise<Report>;

/** What the commands are built from; every outside effect goes through one of these. */
export interface CredentialCommandsDeps {
  repository: CredentialRepository;
  secrets: SecretStore;
  check: Checker;
  clock: Clock;
  config: ServiceConfig;
  /**
   * Reads the secrets their owners keep, by ARN, for re-checks of registered credentials. Without it such a
   * re-check is `secret_unavailable` (the local server).
   */
  externalSecrets?: SecretReader;
  newId?: () => string;
  /** Told about failures that were handled (compensations); never given a secret. */
  onHandledError?: (what: string, error: unknown) => void;
}

export interface CheckRequest {
  connector: string;
  fields: Record<string, unknown>;
  requirements?: Requirement[];
}

export interface CreateRequest extends CheckRequest {
  name: string;
  description?: string;
  allowUnverified?: boolean;
}

export interface UpdateRequest {
  name?: string;
  description?: string;
  /** Non-secret fields to change (null clears an optional one); secret fields here mean a rotation. */
  fields?: Record<string, unknown>;
  requirements?: Requirement[];
  allowUnverified?: boolean;
}

/** How often a rotation re-applies itself over a concurrent re-check, lease or rename before giving up. */
const ROTATION_ATTEMPTS = 3;

/**
 * The request token (and so the secret version id) of a rotation from `version`: the same for every rotation that
 * starts from that version, so the secret store lets exactly one of them write a value.
 */
export function rotationToken(credentialId: string, version: number): string {
  return `${credentialId}-v${version}`.padStart(32, '0');
}

/** Dry run: checks a submitted credential and stores nothing. */
export async function validateCredential(check: Checker, request: CheckRequest): Promise<Report> {
  return check(prepare(request));
}

/**
 * The credential use cases that change something (docs/architecture.md "Write path"). Each makes one write to
 * the table, the credential item; the history entry and the events of a check follow from that write through the
 * change feed (./change-feed.ts). Writes that span the secret store and the table are ordered so that a failure
 * at any step leaves no item without its secret; a secret left without its item (a crash between the two) is
 * found and scheduled for deletion by the reconciliation (./reconcile-secrets.ts).
 */
export class CredentialCommands {
  private readonly newId: () => string;
  private readonly reads: CredentialReads;

  constructor(private readonly deps: CredentialCommandsDeps) {
    this.newId = deps.newId ?? randomUUID;
    this.reads = new CredentialReads(deps.repository);
  }

  /** Checks, then stores: an invalid credential is never stored; an inconclusive one only if allowed. */
  async create(tenantId: string, request: CreateRequest): Promise<Credential> {
    const prepared = prepare(request);
    const report = await this.checkOrThrow(prepared, request.allowUnverified);
    const now = this.deps.clock.now();
    const id = this.newId();
    const { secret, plain } = splitFields(prepared);
    const credential: Credential = {
      tenantId,
      id,
      connector: prepared.connector.id,
      name: request.name,
      description: request.description ?? '',
      fields: plain,
      requirements: prepared.requirements,
      status: report.verdict === 'valid' ? 'valid' : 'unverified',
      lastCheck: report,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      nextCheckAt: this.nextCheckAt(now),
      secretName: this.secretName(tenantId, id),
      // The create request token is the first version's id.
      secretVersion: id,
      monitor: { ...FRESH_MONITOR, lastCheckId: 'v1', lastStatusBefore: null, lastTrigger: 'create' },
    };

    // 1. The secret first: if this fails, nothing exists yet.
    await this.deps.secrets.create(credential.secretName, secret, {
      requestToken: id,
      tags: { tenantId, credentialId: id, connector: credential.connector },
    });
    // 2. Then the item. If it fails, the new secret would point at nothing: delete it at once (and if the process
    //    dies first, the reconciliation does).
    try {
      await this.deps.repository.create(credential);
    } catch (error) {
      await this.compensate('delete the secret of a credential that was not stored', () =>
        this.deps.secrets.deleteNow(credential.secretName),
      );
      throw error;
    }
    return credential;
  }

  /**
   * Renames, edits non-secret fields or requirements (re-checked with the stored secret merged in on the
   * server), or rotates the secret (a secret field in `fields`): the new value is checked in memory, and only a
   * valid one is written, as the current version (the old value stays as the previous version). A registered
   * credential (`secretArn`) may only be renamed or described: the rest is its stack's and its owner's.
   */
  async update(tenantId: string, id: string, request: UpdateRequest, ifMatch?: number): Promise<Credential> {
    const current = await this.reads.get(tenantId, id);
    if (ifMatch !== undefined && ifMatch !== current.version) throw new PreconditionFailedError();
    if (current.secretArn && (request.fields !== undefined || request.requirements !== undefined)) {
      throw new ManagedExternallyError(current);
    }
    if (Object.values(request).every((v) => v === undefined)) {
      throw new InputError([
        { field: null, message: 'nothing to change: send name, description, fields or requirements' },
      ]);
    }
    const connector = findConnector(current.connector);
    if (!connector) throw new StorageError(`The stored connector "${current.connector}" is unknown.`);
    const secretKeys = connector.fields.filter((f) => f.secret).map((f) => f.key);
    const patchFields = request.fields ?? {};
    const rotating = Object.keys(patchFields).some((k) => secretKeys.includes(k) && patchFields[k] !== null);
    const recheck = rotating || request.fields !== undefined || request.requirements !== undefined;
    const now = this.deps.clock.now();
    // The request's name and description on a stored version, as its next version.
    const editOf = (base: Credential): Credential => ({
      ...base,
      name: request.name ?? base.name,
      description: request.description ?? base.description,
      version: base.version + 1,
      updatedAt: now.toISOString(),
    });
    const renamed = editOf(current);
    if (!recheck) {
      await this.replace(renamed, current.version, ifMatch);
      return renamed;
    }

    // Merge on the server: the stored secret never travels back to the client. A rotation that brings every
    // secret field needs none of the stored ones.
    const needsStored = secretKeys.some((key) => !(key in patchFields) || patchFields[key] === null);
    const storedSecret = needsStored ? await this.storedSecret(current) : {};
    const merged: Record<string, unknown> = { ...current.fields, ...storedSecret };
    for (const [key, value] of Object.entries(patchFields)) {
      if (value === null || value === '') delete merged[key];
      else merged[key] = value;
    }
    const prepared = prepare({
      connector: current.connector,
      fields: merged,
      requirements: request.requirements ?? current.requirements,
    });
    const { secret, plain } = splitFields(prepared);
    const changes = { fields: plain, requirements: prepared.requirements };

    if (!rotating) {
      const report = await this.checkOrThrow(prepared, request.allowUnverified);
      // A changed configuration that could not be verified is unverified, whatever the old one was.
      const status = report.verdict === 'valid' ? 'valid' : 'unverified';
      const updated = this.afterCheck(renamed, report, now, status, 'update', changes);
      await this.replace(updated, current.version, ifMatch);
      return updated;
    }

    // Rotation. 1. Check the new value in memory: a rejected or unverifiable one is never written.
    const report = await this.checkOrThrow(prepared, false);
    // 2. Write it as the current version. Its token is derived from the version we read, so of two rotations
    //    from that version only one can write (the other gets a ConflictError: 409, its value never stored).
    const versionId = await this.deps.secrets
      .putCurrent(current.secretName, secret, { requestToken: rotationToken(current.id, current.version) })
      .catch((error: unknown) => {
        // Scheduled for deletion meanwhile: the credential is being deleted.
        throw error instanceof SecretNotFoundError ? new NotFoundError() : error;
      });
    // 3. The item, conditional on its version. A re-check, lease or rename that came in between is no reason to
    //    lose a checked rotation: re-apply it on top (unless the caller pinned the version with If-Match).
    let base = current;
    for (let attempt = 1; ; attempt++) {
      const updated = {
        ...this.afterCheck(editOf(base), report, now, 'valid', 'rotate', changes),
        secretVersion: versionId,
      };
      try {
        await this.deps.repository.replace(updated, base.version);
        return updated;
      } catch (error) {
        // Who came first, or did the write happen after all (an answer lost on the way)?
        const latest = await this.deps.repository.get(tenantId, id).catch(() => undefined);
        // Deleted meanwhile: its secret is scheduled for deletion with it.
        if (latest === null) throw new NotFoundError();
        // Stored: by this write, or by a retry of this request (same token, so the same value).
        if (latest?.secretVersion === versionId) return latest;
        const reapply =
          error instanceof VersionConflictError &&
          ifMatch === undefined &&
          latest !== undefined &&
          sameConfiguration(latest, current) &&
          attempt < ROTATION_ATTEMPTS;
        if (reapply) {
          base = latest;
          continue;
        }
        // Another rotation or edit won, the caller's version is gone, or the write failed: the item still
        // describes the version it names, so that one is made current again.
        const to = latest?.secretVersion ?? current.secretVersion;
        if (to) {
          await this.compensate('give the current secret version back to the stored item', () =>
            this.deps.secrets.revertCurrent(current.secretName, { from: versionId, to }),
          );
        } else {
          this.deps.onHandledError?.('undo a rotation whose item names no secret version', error);
        }
        throw error instanceof VersionConflictError && ifMatch !== undefined
          ? new PreconditionFailedError()
          : error;
      }
    }
  }

  /**
   * Re-checks a stored credential now with its stored secret (a registered credential: its owner's secret, read
   * by ARN); the outcome is the item's new last check. A registered credential whose secret cannot be read is not
   * checked with the vendor: its report is `inconclusive` / `secret_unavailable`, stored like any other.
   */
  async recheck(tenantId: string, id: string, trigger: CheckTrigger = 'manual'): Promise<Credential> {
    const current = await this.reads.get(tenantId, id);
    const report = await this.checkStored(current);
    const now = this.deps.clock.now();
    const version = current.version + 1;
    const next = transition(current, report.verdict, now, this.deps.config);
    const updated: Credential = {
      ...current,
      version,
      updatedAt: now.toISOString(),
      status: next.status,
      lastCheck: report,
      nextCheckAt: withJitter(next.nextCheckAt, now, this.deps.config.jitter).toISOString(),
      monitor: {
        ...next.monitor,
        lastCheckId: `v${version}`,
        lastStatusBefore: current.status,
        lastTrigger: trigger,
      },
    };
    await this.deps.repository.replace(updated, current.version);
    return updated;
  }

  /** The check of a stored credential with its secret, wherever that is kept. */
  private async checkStored(current: Credential): Promise<Report> {
    let secret: SecretValue;
    if (current.secretArn) {
      const read = await readExternalSecret(this.deps.externalSecrets, current, this.deps.clock);
      if (!read.ok) return read.report;
      secret = read.fields;
    } else {
      secret = await this.storedSecret(current);
    }
    const prepared = prepare(
      {
        connector: current.connector,
        fields: { ...current.fields, ...secret },
        requirements: current.requirements,
      },
      true,
    );
    return this.deps.check(prepared);
  }

  private async checkOrThrow(prepared: PreparedCheck, allowUnverified: boolean | undefined): Promise<Report> {
    const report = await this.deps.check(prepared);
    if (report.verdict === 'invalid') throw new CheckRejectedError(report);
    if (report.verdict === 'inconclusive' && !allowUnverified) throw new CheckInconclusiveError(report);
    return report;
  }

  /** The credential after a check: the report, the status it leads to, the next check time. */
  private afterCheck(
    base: Credential,
    report: Report,
    now: Date,
    status: CredentialStatus,
    trigger: CheckTrigger,
    changes: Partial<Pick<Credential, 'fields' | 'requirements'>> = {},
  ): Credential {
    // An edited or rotated credential starts afresh: nothing it did before is pending any more.
    const monitor = {
      ...FRESH_MONITOR,
      lastCheckId: `v${base.version}`,
      lastStatusBefore: base.status,
      lastTrigger: trigger,
    };
    return { ...base, ...changes, status, monitor, lastCheck: report, nextCheckAt: this.nextCheckAt(now) };
  }

  /** Writes an edit; with If-Match, a version that moved on since is a 412 rather than a 409. */
  private async replace(updated: Credential, expected: number, ifMatch: number | undefined): Promise<void> {
    try {
      await this.deps.repository.replace(updated, expected);
    } catch (error) {
      if (error instanceof VersionConflictError && ifMatch !== undefined) throw new PreconditionFailedError();
      throw error;
    }
  }

  /** The credential's stored secret; a secret scheduled for deletion means a credential being deleted (404). */
  private async storedSecret(credential: Credential): Promise<SecretValue> {
    try {
      return await this.deps.secrets.getCurrent(credential.secretName);
    } catch (error) {
      if (error instanceof SecretNotFoundError) throw new NotFoundError();
      throw error;
    }
  }

  private async compensate(what: string, undo: () => Promise<unknown>): Promise<void> {
    try {
      await undo();
    } catch (error) {
      // Two failures in a row: report it loudly; the operator log names what to clean up.
      this.deps.onHandledError?.(`compensation failed: ${what}`, error);
    }
  }

  private nextCheckAt(now: Date): string {
    const due = new Date(now.getTime() + this.deps.config.checkIntervalMs);
    return withJitter(due, now, this.deps.config.jitter).toISOString();
  }

  private secretName(tenantId: string, id: string): string {
    return `${this.deps.config.secretPrefix}/${tenantId}/${id}`;
  }
}

/** Validates and normalises a check request; input problems become an InputError naming each field. */
function prepare(request: CheckRequest, trusted = false): PreparedCheck {
  try {
    return prepareCheck(request);
  } catch (error) {
    if (error instanceof CheckInputError) {
      if (trusted)
        throw new StorageError('A stored credential no longer passes validation.', { cause: error });
      throw new InputError(
        error.issues.map((i) => ({
          // Issues about the connector itself or the requirements keep their names; field issues get `fields.`.
          field:
            i.field && i.field !== 'connector' && i.field !== 'fields' && !i.field.startsWith('requirements')
              ? `fields.${i.field}`
              : i.field,
          message: i.message,
        })),
      );
    }
    throw error;
  }
}

/** Splits normalised fields into the secret ones (Secrets Manager) and the rest (DynamoDB). */
function splitFields(prepared: PreparedCheck): { secret: SecretValue; plain: Record<string, string> } {
  const secret: SecretValue = {};
  const plain: Record<string, string> = {};
  for (const spec of prepared.connector.fields) {
    const value = prepared.fields[spec.key];
    if (value === undefined) continue;
    if (spec.secret) secret[spec.key] = value;
    else plain[spec.key] = value;
  }
  return { secret, plain };
}

/**
 * Whether a credential still has the configuration a rotation was checked with: only a re-check, a lease or a
 * rename happened since, which the rotation may be re-applied on top of.
 */
function sameConfiguration(a: Credential, b: Credential): boolean {
  return (
    a.secretVersion === b.secretVersion &&
    JSON.stringify(a.fields) === JSON.stringify(b.fields) &&
    JSON.stringify(a.requirements) === JSON.stringify(b.requirements)
  );
}
