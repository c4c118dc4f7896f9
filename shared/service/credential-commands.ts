import { randomUUID } from 'node:crypto';
import { CheckInputError, type PreparedCheck, prepareCheck } from '../connectors/check.ts';
import { findConnector } from '../connectors/registry.ts';
import type { CheckTrigger, Credential, CredentialStatus } from '../domain/credential.ts';
import { InputError, PreconditionFailedError, StorageError } from '../domain/errors.ts';
import type { Report, Requirement } from '../domain/report.ts';
import type {
  Clock,
  CredentialRepository,
  EventPublisher,
  SecretStore,
  SecretValue,
} from '../store/ports.ts';
import { recordAndAnnounce } from './check-log.ts';
import type { ServiceConfig } from './config.ts';
import { CredentialReads } from './credential-reads.ts';
import { CheckInconclusiveError, CheckRejectedError } from './errors.ts';
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
  /** Where checks and status changes are announced (optional: the dry-run-only uses need none). */
  events?: EventPublisher;
  newId?: () => string;
  /** Told about failures that were handled (compensations, history writes); never given a secret. */
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

/** Dry run: checks a submitted credential and stores nothing. */
export async function validateCredential(check: Checker, request: CheckRequest): Promise<Report> {
  return check(prepare(request));
}

/**
 * The credential use cases that change something (README "HTTP API"). Writes that span the secret store and the
 * repository are ordered so that a failure at any single step leaves no secret without an item, no item
 * without its secret, and never loses a working credential; each compensation is commented where it runs.
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
    const report = await this.deps.check(prepared);
    if (report.verdict === 'invalid') throw new CheckRejectedError(report);
    if (report.verdict === 'inconclusive' && !request.allowUnverified)
      throw new CheckInconclusiveError(report);

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
      monitor: { ...FRESH_MONITOR, lastCheckId: 'v1', lastStatusBefore: null },
    };

    // 1. The secret first: if this fails, nothing exists yet.
    await this.deps.secrets.create(credential.secretName, secret, {
      requestToken: id,
      tags: { tenantId, credentialId: id, connector: credential.connector },
    });
    // 2. Then the item. If it fails, the new secret would point at nothing: delete it at once.
    try {
      await this.deps.repository.create(credential);
    } catch (error) {
      await this.compensate('delete the secret of a credential that was not stored', () =>
        this.deps.secrets.deleteNow(credential.secretName),
      );
      throw error;
    }
    // 3. History is a record, not state: a failure here loses one history line, never the credential.
    await this.recordCheck(credential, null, 'create');
    return credential;
  }

  /**
   * Renames, edits non-secret fields or requirements (re-checked with the stored secret merged in on the
   * server), or rotates the secret (a secret field in `fields`): the new value is staged, checked, and only
   * promoted when valid; the old value stays as the previous version.
   */
  async update(tenantId: string, id: string, request: UpdateRequest, ifMatch?: number): Promise<Credential> {
    const current = await this.reads.get(tenantId, id);
    if (ifMatch !== undefined && ifMatch !== current.version) throw new PreconditionFailedError();
    if (Object.values(request).every((v) => v === undefined)) {
      throw new InputError([
        { field: null, message: 'nothing to change: send name, description, fields or requirements' },
      ]);
    }
    const connector = findConnector(current.connector);
    if (!connector) throw new StorageError(`The stored connector "${current.connector}" is unknown.`);
    const secretKeys = new Set(connector.fields.filter((f) => f.secret).map((f) => f.key));
    const patchFields = request.fields ?? {};
    const rotating = Object.keys(patchFields).some((k) => secretKeys.has(k) && patchFields[k] !== null);
    const recheck = rotating || request.fields !== undefined || request.requirements !== undefined;
    const now = this.deps.clock.now();
    const renamed: Credential = {
      ...current,
      name: request.name ?? current.name,
      description: request.description ?? current.description,
      version: current.version + 1,
      updatedAt: now.toISOString(),
    };
    if (!recheck) {
      await this.deps.repository.replace(renamed, current.version);
      return renamed;
    }

    // Merge on the server: the stored secret never travels back to the client.
    const storedSecret = await this.deps.secrets.getCurrent(current.secretName);
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

    if (!rotating) {
      const report = await this.checkOrThrow(prepared, request.allowUnverified);
      // A changed configuration that could not be verified is unverified, whatever the old one was.
      const status = report.verdict === 'valid' ? 'valid' : 'unverified';
      const updated = this.afterCheck(renamed, report, now, status, {
        fields: plain,
        requirements: prepared.requirements,
      });
      await this.deps.repository.replace(updated, current.version);
      await this.recordCheck(updated, current.status, 'update');
      return updated;
    }

    // Rotation. 1. Stage the new value; nothing is current-facing yet.
    const versionId = await this.deps.secrets.putPending(current.secretName, secret, {
      requestToken: randomUUID(),
    });
    const discard = () =>
      this.compensate('discard a staged secret', () =>
        this.deps.secrets.discardPending(current.secretName, versionId),
      );
    // 2. Test it. A rejected or unknown new value is dropped and the old one stays current.
    let report: Report;
    try {
      report = await this.checkOrThrow(prepared, false);
    } catch (error) {
      await discard();
      throw error;
    }
    const updated = this.afterCheck(renamed, report, now, 'valid', {
      fields: plain,
      requirements: prepared.requirements,
    });
    // 3. The item, conditional on the version we read: a concurrent edit wins and the rotation is undone.
    try {
      await this.deps.repository.replace(updated, current.version);
    } catch (error) {
      await discard();
      throw error;
    }
    // 4. Promote. If that fails, put the item back as it was so it describes the secret that is current.
    try {
      await this.deps.secrets.promotePending(current.secretName, versionId);
    } catch (error) {
      const restored: Credential = { ...current, version: updated.version + 1, updatedAt: now.toISOString() };
      await this.compensate('restore the item after a failed promotion', () =>
        this.deps.repository.replace(restored, updated.version),
      );
      await discard();
      throw error;
    }
    await this.recordCheck(updated, current.status, 'rotate');
    return updated;
  }

  /** Re-checks a stored credential now with its stored secret, and records the outcome. */
  async recheck(tenantId: string, id: string, trigger: CheckTrigger = 'manual'): Promise<Credential> {
    const current = await this.reads.get(tenantId, id);
    const storedSecret = await this.deps.secrets.getCurrent(current.secretName);
    const prepared = prepare(
      {
        connector: current.connector,
        fields: { ...current.fields, ...storedSecret },
        requirements: current.requirements,
      },
      true,
    );
    const report = await this.deps.check(prepared);
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
      monitor: { ...next.monitor, lastCheckId: `v${version}`, lastStatusBefore: current.status },
    };
    await this.deps.repository.replace(updated, current.version);
    await this.recordCheck(updated, current.status, trigger);
    return updated;
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
    changes: Partial<Pick<Credential, 'fields' | 'requirements'>> = {},
  ): Credential {
    // An edited or rotated credential starts afresh: nothing it did before is pending any more.
    const monitor = { ...FRESH_MONITOR, lastCheckId: `v${base.version}`, lastStatusBefore: base.status };
    return { ...base, ...changes, status, monitor, lastCheck: report, nextCheckAt: this.nextCheckAt(now) };
  }

  /** History and events of a check the service ran; a failure loses a record, never the credential. */
  private async recordCheck(
    credential: Credential,
    _before: CredentialStatus | null,
    trigger: CheckTrigger,
  ): Promise<void> {
    try {
      await recordAndAnnounce(
        {
          repository: this.deps.repository,
          events: this.deps.events,
          historyTtlDays: this.deps.config.historyTtlDays,
          now: this.deps.clock.now(),
        },
        credential,
        credential.monitor.lastCheckId ?? `v${credential.version}`,
        trigger,
      );
    } catch (error) {
      this.deps.onHandledError?.('write a check history entry', error);
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
