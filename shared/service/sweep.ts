import { NotFoundError, VersionConflictError } from '../domain/errors.ts';
import type { RevalidationMessage } from '../domain/events.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import type { Clock, CredentialRepository, DueCredential, RevalidationQueue } from '../store/ports.ts';
import { KeyedLimiter } from './keyed-limiter.ts';
import { DEFAULT_POLICY, withJitter } from './status-policy.ts';

/** What one sweep did. */
export interface SweepResult {
  due: number;
  queued: number;
  /** Credentials rescheduled or deleted between the query and the lease: they keep their own schedule. */
  skipped: number;
}

/** How one sweep reads and writes. */
export interface SweepOptions {
  /** Due credentials read per query. */
  pageSize?: number;
  /** Leases in flight at once, across all shards. */
  leaseConcurrency?: number;
  /** Queue sends in flight at once. */
  sendConcurrency?: number;
}

/**
 * A million credentials checked every 6 hours make ~14,000 due every 5-minute sweep: 32 leases in flight clear
 * them in seconds at a few milliseconds per write, and with the 16 shard queries stay below the 50 sockets the
 * AWS SDK opens per client by default.
 */
export const SWEEP_DEFAULTS: Required<SweepOptions> = {
  pageSize: 100,
  leaseConcurrency: 32,
  sendConcurrency: 8,
};

/** Messages per queue send: what one SQS SendMessageBatch takes. */
const SEND_BATCH = 10;
const LEASE = 'lease';
const SEND = 'send';

export interface SweepDeps {
  repository: CredentialRepository;
  queue: RevalidationQueue;
  clock: Clock;
  /**
   * When a leased credential is due again: the regular check interval (CHECK_INTERVAL) and its jitter, as the
   * worker would schedule it after a routine check. The worker keeps that time when its check confirms the regular
   * schedule, so a routine check moves the credential in the due index once, at the lease, not twice.
   */
  schedule?: { intervalMs: number; jitter: number };
  random?: () => number;
}

/**
 * Queues every credential due now (README "Revalidation and events"). Every due-index shard is read at once, each page by
 * page; each due credential is leased (a small write, conditional on the due time read, that moves it out of
 * the index until its next regular check) with at most `leaseConcurrency` leases in flight across all shards, and
 * queued in batches of ten as leases succeed. A credential whose lease failed is never queued, and none is
 * queued twice: a credential rescheduled since the query is skipped (it keeps its own schedule), and a leased one
 * leaves the index, so no later page or sweep returns it while the lease lasts.
 *
 * When a read, a lease or a send fails, no new page or lease starts, what was already leased is still queued,
 * and the first failure is thrown once everything in flight has settled (nothing keeps running after the
 * sweep returns, which a Lambda would freeze).
 */
export async function sweepDue(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepResult> {
  const settings = { ...SWEEP_DEFAULTS, ...options };
  for (const [name, value] of Object.entries(settings)) {
    // A limit of zero would never start anything: the sweep would wait forever.
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  }
  const { pageSize, leaseConcurrency, sendConcurrency } = settings;
  const now = deps.clock.now();
  // The worker's own limiter: FIFO, already tested, and keyed, so one object bounds leases and sends apart.
  const limiter = new KeyedLimiter((key) => (key === LEASE ? leaseConcurrency : sendConcurrency));
  const result: SweepResult = { due: 0, queued: 0, skipped: 0 };
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
  };

  /** The message for a credential once leased; null when it changed since the query. */
  const lease = async (credential: DueCredential): Promise<RevalidationMessage | null> => {
    const { intervalMs, jitter } = deps.schedule ?? DEFAULT_SCHEDULE;
    const leasedUntil = withJitter(new Date(now.getTime() + intervalMs), now, jitter, deps.random);
    let version: number;
    try {
      version = await deps.repository.lease(credential, leasedUntil);
    } catch (error) {
      if (error instanceof VersionConflictError || error instanceof NotFoundError) {
        result.skipped += 1;
        return null;
      }
      throw error;
    }
    return {
      tenantId: credential.tenantId,
      credentialId: credential.id,
      version,
      checkId: `sched:${credential.id}:${version}`,
      trigger: 'schedule',
      cause: 'sweep',
    };
  };

  const sweepShard = async (shard: number) => {
    let cursor: string | null = null;
    do {
      const page = await deps.repository.listDue(shard, now, { limit: pageSize, cursor });
      result.due += page.items.length;
      const sends: Promise<void>[] = [];
      let batch: RevalidationMessage[] = [];
      const flush = () => {
        if (batch.length === 0) return;
        const messages = batch;
        batch = [];
        sends.push(
          limiter
            .run([SEND], () => deps.queue.send(messages))
            .then(() => {
              result.queued += messages.length;
            }, fail),
        );
      };
      await Promise.all(
        page.items.map((credential) =>
          limiter
            .run([LEASE], async () => {
              if (failure) return;
              const message = await lease(credential);
              if (!message) return;
              batch.push(message);
              if (batch.length === SEND_BATCH) flush();
            })
            .catch(fail),
        ),
      );
      flush();
      await Promise.all(sends);
      cursor = page.nextCursor;
    } while (cursor && !failure);
  };

  await Promise.all(
    Array.from({ length: TABLE_LAYOUT.dueShards }, (_, shard) => sweepShard(shard).catch(fail)),
  );
  if (failure) throw failure.error;
  return result;
}

/**
 * The default schedule of a lease (CHECK_INTERVAL's default and the default jitter). A check that is lost (every
 * delivery failed: the dead-letter queue's alarm) is therefore retried one interval later, not sooner.
 */
export const DEFAULT_SCHEDULE = { intervalMs: DEFAULT_POLICY.checkIntervalMs, jitter: 0.1 };

/**
 * The sweep as the functions and the local server run it: `sweepDue` over fixed ports. It needs no vendor and
 * no secret; the worker (./revalidation-worker.ts) checks what it queues.
 */
export class Sweep {
  constructor(private readonly deps: SweepDeps) {}

  sweep(options: SweepOptions = {}): Promise<SweepResult> {
    return sweepDue(this.deps, options);
  }
}
