import { NotFoundError, VersionConflictError } from '../domain/errors.ts';
import type { RevalidationMessage } from '../domain/events.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import type { Clock, CredentialRepository, RevalidationQueue } from '../store/ports.ts';
import { withJitter } from './status-policy.ts';

export interface SweepDeps {
  repository: CredentialRepository;
  queue: RevalidationQueue;
  clock: Clock;
  /** How long a queued credential stays out of the due index (if its check is lost, it comes back then). */
  leaseMs?: number;
  random?: () => number;
}

/** What one sweep did. */
export interface SweepResult {
  due: number;
  queued: number;
  /** Credentials changed by someone between the query and the lease: they keep their own schedule. */
  skipped: number;
}

/**
 * The sweep (README "Revalidation and events"): finds due credentials through the sparse due index (never a
 * Scan), leases them (so the next sweep does not queue them again) and queues them for the worker
 * (./revalidation-worker.ts). It needs no vendor and no secret.
 */
export class Sweep {
  constructor(private readonly deps: SweepDeps) {}

  /** Queues every credential due now, shard by shard, page by page. */
  async sweep(options: { pageSize?: number } = {}): Promise<SweepResult> {
    const now = this.deps.clock.now();
    const leaseMs = this.deps.leaseMs ?? 15 * 60_000;
    const result: SweepResult = { due: 0, queued: 0, skipped: 0 };
    for (let shard = 0; shard < TABLE_LAYOUT.dueShards; shard++) {
      let cursor: string | null = null;
      do {
        const page = await this.deps.repository.listDue(shard, now, {
          limit: options.pageSize ?? 100,
          cursor,
        });
        const messages: RevalidationMessage[] = [];
        for (const credential of page.items) {
          result.due += 1;
          const version = credential.version + 1;
          // The lease takes it out of the due index until its check is done, spread so that leases that
          // expire (lost checks) do not all come back at once.
          const leasedUntil = withJitter(new Date(now.getTime() + leaseMs), now, 0.2, this.deps.random);
          try {
            await this.deps.repository.replace(
              { ...credential, version, nextCheckAt: leasedUntil.toISOString() },
              credential.version,
            );
          } catch (error) {
            if (error instanceof VersionConflictError || error instanceof NotFoundError) {
              result.skipped += 1;
              continue;
            }
            throw error;
          }
          messages.push({
            tenantId: credential.tenantId,
            credentialId: credential.id,
            version,
            checkId: `sched:${credential.id}:${version}`,
            trigger: 'schedule',
            cause: 'sweep',
          });
        }
        if (messages.length > 0) await this.deps.queue.send(messages);
        result.queued += messages.length;
        cursor = page.nextCursor;
      } while (cursor);
    }
    return result;
  }
}
