import { CheckInputError, prepareCheck } from '../connectors/check.ts';
import type { Credential } from '../domain/credential.ts';
import { NotFoundError, SecretNotFoundError, VersionConflictError } from '../domain/errors.ts';
import type { RevalidationMessage } from '../domain/events.ts';
import type {
  Clock,
  CredentialRepository,
  EventPublisher,
  RevalidationQueue,
  SecretStore,
} from '../store/ports.ts';
import { recordAndAnnounce } from './check-log.ts';
import type { ServiceConfig } from './config.ts';
import type { Checker } from './credential-service.ts';
import { KeyedLimiter } from './keyed-limiter.ts';
import { transition, withJitter } from './status-policy.ts';
import { type SweepOptions, type SweepResult, sweepDue } from './sweep.ts';

/** How many checks may run at once against one vendor, and against one destination host. */
export const DEFAULT_CONCURRENCY = {
  perVendor: { dolibarr: 8, odoo: 8, precoro: 4 } as Record<string, number>,
  perHost: 4,
};

export interface RevalidationDeps {
  repository: CredentialRepository;
  secrets: SecretStore;
  /** Needed by the sweep only. */
  queue?: RevalidationQueue;
  /** Needed by the worker only. */
  events?: EventPublisher;
  check: Checker;
  clock: Clock;
  config: ServiceConfig;
  /** How long a queued credential stays out of the due index (if its check is lost, it comes back then). */
  leaseMs?: number;
  concurrency?: typeof DEFAULT_CONCURRENCY;
  random?: () => number;
  onHandledError?: (what: string, error: unknown) => void;
}

export type { SweepResult } from './sweep.ts';

/** What happened to one queued message. */
export type WorkOutcome = 'checked' | 'already_done' | 'superseded' | 'gone' | 'unusable';

/**
 * Revalidation (DESIGN.md section 7): the sweep finds due credentials through the sparse due index (never a
 * Scan), leases and queues them; the worker re-checks one queued credential with bounded concurrency per
 * vendor and host, applies the status policy with a write conditional on the version, appends history once
 * per check and publishes the events. Redelivered messages are recognised by their check id.
 */
export class Revalidation {
  private readonly limiter: KeyedLimiter;

  constructor(private readonly deps: RevalidationDeps) {
    const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
    this.limiter = new KeyedLimiter((key) =>
      key.startsWith('host:')
        ? concurrency.perHost
        : (concurrency.perVendor[key.slice('vendor:'.length)] ?? 2),
    );
  }

  /** Queues every credential due now: shards in parallel, leases bounded and small, messages batched. */
  async sweep(options: SweepOptions = {}): Promise<SweepResult> {
    if (!this.deps.queue) throw new Error('the sweep needs a revalidation queue');
    return sweepDue(
      {
        repository: this.deps.repository,
        queue: this.deps.queue,
        clock: this.deps.clock,
        leaseMs: this.deps.leaseMs ?? 15 * 60_000,
        ...(this.deps.random ? { random: this.deps.random } : {}),
      },
      options,
    );
  }

  /** Re-checks the credential of one queued message. Throws only when it should be retried. */
  async work(message: RevalidationMessage): Promise<WorkOutcome> {
    const current = await this.deps.repository.get(message.tenantId, message.credentialId);
    if (!current) return 'gone';
    if (current.monitor.lastCheckId === message.checkId) {
      // Delivered again after it was done (the worker died before acknowledging): finish the side effects
      // idempotently, so history and events exist exactly once per check id.
      await this.recordAndAnnounce(current, message.checkId);
      return 'already_done';
    }
    if (message.version !== null && current.version !== message.version) return 'superseded';

    let secret: Record<string, string>;
    try {
      secret = await this.deps.secrets.getCurrent(current.secretName);
    } catch (error) {
      if (error instanceof SecretNotFoundError) {
        this.deps.onHandledError?.('a stored credential has no secret', error);
        return 'unusable';
      }
      throw error;
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

    const report = await this.limiter.run(
      [`vendor:${current.connector}`, `host:${destinationOf(current)}`],
      () => this.deps.check(prepared),
    );
    const now = this.deps.clock.now();
    const next = transition(current, report.verdict, now, this.deps.config);
    const updated: Credential = {
      ...current,
      version: current.version + 1,
      updatedAt: now.toISOString(),
      status: next.status,
      lastCheck: report,
      nextCheckAt: withJitter(next.nextCheckAt, now, this.deps.config.jitter, this.deps.random).toISOString(),
      monitor: { ...next.monitor, lastCheckId: message.checkId, lastStatusBefore: current.status },
    };
    try {
      await this.deps.repository.replace(updated, current.version);
    } catch (error) {
      // A user edit (or another check) came first and wins; this credential is checked again on its schedule.
      if (error instanceof VersionConflictError || error instanceof NotFoundError) return 'superseded';
      throw error;
    }
    await this.recordAndAnnounce(updated, message.checkId);
    return 'checked';
  }

  /** History entry and events of the check that produced the credential's last report. */
  private async recordAndAnnounce(credential: Credential, checkId: string): Promise<void> {
    if (!this.deps.events) throw new Error('the worker needs an event publisher');
    await recordAndAnnounce(
      {
        repository: this.deps.repository,
        events: this.deps.events,
        historyTtlDays: this.deps.config.historyTtlDays,
        now: this.deps.clock.now(),
      },
      credential,
      checkId,
      checkId.startsWith('sched:') ? 'schedule' : 'event',
    );
  }
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
