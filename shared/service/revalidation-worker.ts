import { CheckInputError, prepareCheck } from '../connectors/check.ts';
import type { Credential } from '../domain/credential.ts';
import {
  NotFoundError,
  SecretNotFoundError,
  SecretUnreadableError,
  VersionConflictError,
} from '../domain/errors.ts';
import type { RevalidationMessage } from '../domain/events.ts';
import type { Report } from '../domain/report.ts';
import type { Clock, CredentialRepository, SecretReader, SecretStore, SecretValue } from '../store/ports.ts';
import type { ServiceConfig } from './config.ts';
import type { Checker } from './credential-commands.ts';
import { readExternalSecret } from './external-secret.ts';
import { KeyedLimiter } from './keyed-limiter.ts';
import { type Transition, transition, withJitter } from './status-policy.ts';

/** How many checks may run at once against one vendor, and against one destination host. */
export const DEFAULT_CONCURRENCY = {
  perVendor: { dolibarr: 8, odoo: 8, precoro: 4 } as Record<string, number>,
  perHost: 4,
};

export interface RevalidationWorkerDeps {
  repository: CredentialRepository;
  secrets: SecretStore;
  check: Checker;
  clock: Clock;
  config: ServiceConfig;
  /**
   * Reads the secrets their owners keep, by ARN (registered credentials). Without it such a credential's checks
   * are `secret_unavailable` (the local server).
   */
  externalSecrets?: SecretReader;
  concurrency?: typeof DEFAULT_CONCURRENCY;
  random?: () => number;
  onHandledError?: (what: string, error: unknown) => void;
}

/** What happened to one queued message. */
export type WorkOutcome = 'checked' | 'already_done' | 'superseded' | 'gone' | 'unusable';

/**
 * The revalidation worker: re-checks one queued credential with bounded concurrency per vendor and host,
 * applies the status policy with a write conditional on the version, appends history once per check and
 * stores the check on the item (its history entry and events follow from that write, through the change feed).
 * Redelivered messages are recognised by their check id.
 */
export class RevalidationWorker {
  private readonly limiter: KeyedLimiter;

  constructor(private readonly deps: RevalidationWorkerDeps) {
    const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
    this.limiter = new KeyedLimiter((key) =>
      key.startsWith('host:')
        ? concurrency.perHost
        : (concurrency.perVendor[key.slice('vendor:'.length)] ?? 2),
    );
  }

  /** Re-checks the credential of one queued message. Throws only when it should be retried. */
  async work(message: RevalidationMessage): Promise<WorkOutcome> {
    const current = await this.deps.repository.get(message.tenantId, message.credentialId);
    if (!current) return 'gone';
    // Delivered again after it was done (the worker died before acknowledging): the change feed has its history
    // and events already, or will have them, from the write that stored it.
    if (current.monitor.lastCheckId === message.checkId) return 'already_done';
    if (message.version !== null && current.version !== message.version) return 'superseded';

    const report = await this.checkOf(current);
    if (report === 'unusable') return 'unusable';
    const now = this.deps.clock.now();
    const next = transition(current, report.verdict, now, this.deps.config);
    const updated: Credential = {
      ...current,
      version: current.version + 1,
      updatedAt: now.toISOString(),
      status: next.status,
      lastCheck: report,
      nextCheckAt: keepsLeasedTime(message, current, next, now, this.deps.config)
        ? (current.nextCheckAt as string)
        : withJitter(next.nextCheckAt, now, this.deps.config.jitter, this.deps.random).toISOString(),
      monitor: {
        ...next.monitor,
        lastCheckId: message.checkId,
        lastStatusBefore: current.status,
        lastTrigger: message.trigger,
      },
    };
    try {
      await this.deps.repository.replace(updated, current.version);
    } catch (error) {
      // A user edit (or another check) came first and wins; this credential is checked again on its schedule.
      if (error instanceof VersionConflictError || error instanceof NotFoundError) return 'superseded';
      throw error;
    }
    return 'checked';
  }

  /**
   * The check of a credential with its secret: the vendor's report, or, for a registered credential whose secret
   * could not be read, an inconclusive `secret_unavailable` report made without calling the vendor. 'unusable'
   * when nothing can be checked (its secret is gone or broken, its fields no longer pass validation).
   */
  private async checkOf(current: Credential): Promise<Report | 'unusable'> {
    let secret: SecretValue;
    if (current.secretArn) {
      // The owner's secret, read by ARN: never written, and never the secret store's.
      const read = await readExternalSecret(this.deps.externalSecrets, current, this.deps.clock);
      if (!read.ok) return read.report;
      secret = read.fields;
    } else {
      try {
        secret = await this.deps.secrets.getCurrent(current.secretName);
      } catch (error) {
        if (error instanceof SecretNotFoundError) {
          this.deps.onHandledError?.('a stored credential has no secret', error);
          return 'unusable';
        }
        // Altered, or copied from another credential: retrying cannot help, and nothing may be checked with it.
        if (error instanceof SecretUnreadableError) {
          this.deps.onHandledError?.('a stored secret failed its integrity check', error);
          return 'unusable';
        }
        throw error;
      }
    }
    let prepared: ReturnType<typeof prepareCheck>;
    try {
      prepared = prepareCheck({
        connector: current.connector,
        fields: { ...current.fields, ...secret },
        requirements: current.requirements,
      });
    } catch (error) {
      if (error instanceof CheckInputError) {
        this.deps.onHandledError?.('a stored credential no longer passes validation', error);
        return 'unusable';
      }
      throw error;
    }
    return this.limiter.run([`vendor:${current.connector}`, `host:${destinationOf(current)}`], () =>
      this.deps.check(prepared),
    );
  }
}

/**
 * Whether a scheduled check keeps the next check time its lease set (./sweep.ts): when the policy schedules the
 * regular interval, the lease's time (the sweep's now plus the interval, jittered) is as good as a new one, and
 * keeping it leaves the due index alone, which saves the index's delete and insert on every routine check. A lease
 * shorter than half an interval (from before leases set the regular time) is replaced.
 */
function keepsLeasedTime(
  message: RevalidationMessage,
  current: Credential,
  next: Transition,
  now: Date,
  config: ServiceConfig,
): boolean {
  return (
    message.trigger === 'schedule' &&
    next.regular &&
    current.nextCheckAt !== null &&
    Date.parse(current.nextCheckAt) >= now.getTime() + config.checkIntervalMs / 2
  );
}

/** The host a credential's checks go to, for per-host concurrency. */
export function destinationOf(credential: Pick<Credential, 'connector' | 'fields'>): string {
  const raw = credential.fields.baseUrl ?? credential.fields.serverUrl ?? credential.fields.apiUrl;
  if (raw) {
    try {
      return new URL(raw).host;
    } catch {
      return raw;
    }
  }
  return credential.connector === 'precoro'
    ? `precoro-${credential.fields.region ?? 'com'}`
    : credential.connector;
}
