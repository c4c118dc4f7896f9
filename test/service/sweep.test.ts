import { beforeEach, describe, expect, it } from 'vitest';
import type { Credential } from '../../shared/domain/credential.ts';
import { FRESH_MONITOR } from '../../shared/domain/credential.ts';
import { StorageError } from '../../shared/domain/errors.ts';
import type { RevalidationMessage } from '../../shared/domain/events.ts';
import { TABLE_LAYOUT } from '../../shared/domain/table-layout.ts';
import { type SweepDeps, sweepDue } from '../../shared/service/sweep.ts';
import { MemoryCredentialRepository } from '../../shared/store/memory-credential-repository.ts';
import { MemoryRevalidationQueue } from '../../shared/store/memory-queue.ts';
import { type DueCredential, dueShardOf, type RevalidationQueue } from '../../shared/store/ports.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const MIN = 60_000;
/** The check interval the sweep leases for (the regular time of the next check), and its jitter. */
const INTERVAL_MS = 6 * 60 * MIN;
const JITTER = 0.1;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The in-memory repository, with every lease taking a turn of the event loop and counted while in flight. */
class ObservedRepository extends MemoryCredentialRepository {
  leases = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Runs inside a lease before it is written: to change the credential meanwhile, or to fail. */
  beforeLease?: (tenantId: string, id: string) => Promise<void>;
  /** Runs before a due-index read. */
  beforeListDue?: (shard: number) => Promise<void>;

  override async lease(due: DueCredential, leasedUntil: Date) {
    this.leases += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await nextTurn();
      await this.beforeLease?.(due.tenantId, due.id);
      return await super.lease(due, leasedUntil);
    } finally {
      this.inFlight -= 1;
    }
  }

  override async listDue(shard: number, dueBefore: Date, options: { limit: number; cursor?: string | null }) {
    await this.beforeListDue?.(shard);
    return super.listDue(shard, dueBefore, options);
  }
}

/** A queue that keeps every send apart and can refuse the n-th one like an SQS outage. */
class RecordingQueue implements RevalidationQueue {
  readonly sends: RevalidationMessage[][] = [];
  readonly inner = new MemoryRevalidationQueue();
  failSend?: number;
  attempts = 0;
  inFlight = 0;
  async send(messages: RevalidationMessage[]): Promise<void> {
    this.attempts += 1;
    const attempt = this.attempts;
    this.inFlight += 1;
    try {
      // A few turns, so that sends overlap each other and the leases.
      for (let i = 0; i < 3; i++) await nextTurn();
      if (attempt === this.failSend) throw new StorageError('injected: SQS refused the batch');
      this.sends.push(structuredClone(messages));
      await this.inner.send(messages);
    } finally {
      this.inFlight -= 1;
    }
  }
  get messages(): RevalidationMessage[] {
    return this.sends.flat();
  }
}

function credential(n: number, nextCheckAt: string | null): Credential {
  const id = `cred-${n}`;
  const tenantId = `tenant-${n % 5}`;
  return {
    tenantId,
    id,
    connector: 'dolibarr',
    name: id,
    description: '',
    fields: { baseUrl: 'https://erp.example.com' },
    requirements: [],
    status: 'valid',
    lastCheck: null,
    version: 1,
    createdAt: new Date(NOW - 86_400_000).toISOString(),
    updatedAt: new Date(NOW - 86_400_000).toISOString(),
    nextCheckAt,
    secretName: `credval/${tenantId}/${id}`,
    monitor: FRESH_MONITOR,
  };
}

const key = (c: { tenantId: string; id?: string; credentialId?: string }) =>
  `${c.tenantId}/${c.id ?? c.credentialId}`;

describe('sweep: parallel shards, bounded small leases, batched messages', () => {
  let repository: ObservedRepository;
  let queue: RecordingQueue;
  let now: number;
  let all: Credential[];
  let due: Set<string>;
  let deps: SweepDeps;
  const options = { pageSize: 7, leaseConcurrency: 5, sendConcurrency: 2 };

  beforeEach(async () => {
    repository = new ObservedRepository();
    queue = new RecordingQueue();
    now = NOW;
    // 250 due (at or before now), 30 due tomorrow, 20 with no next check.
    all = Array.from({ length: 300 }, (_, n) =>
      credential(
        n,
        n < 250
          ? new Date(NOW - (n % 40) * MIN).toISOString()
          : n < 280
            ? new Date(NOW + 86_400_000).toISOString()
            : null,
      ),
    );
    for (const c of all) await repository.create(c);
    due = new Set(all.filter((c) => c.nextCheckAt !== null && Date.parse(c.nextCheckAt) <= NOW).map(key));
    deps = {
      repository,
      queue,
      clock: { now: () => new Date(now) },
      schedule: { intervalMs: INTERVAL_MS, jitter: JITTER },
      random: () => 0.5,
    };
  });

  /** Every stored credential, by tenant/id. */
  async function stored(): Promise<Map<string, Credential>> {
    const found = await Promise.all(all.map((c) => repository.get(c.tenantId, c.id)));
    return new Map(found.filter((c): c is Credential => c !== null).map((c) => [key(c), c]));
  }

  /** What must hold however a sweep ends: queued only if leased, leased only if queued, nothing twice. */
  async function expectLeasedIsQueued(): Promise<void> {
    const queued = queue.messages.map(key);
    expect(new Set(queued).size).toBe(queued.length);
    const leased = [...(await stored()).values()].filter((c) => c.version === 2).map(key);
    expect(new Set(queued)).toEqual(new Set(leased));
    for (const message of queue.messages) {
      expect(message).toMatchObject({ version: 2, checkId: `sched:${message.credentialId}:2` });
    }
  }

  it('queues every due credential exactly once, in sends of at most ten, with at most the set number of leases in flight', async () => {
    expect(new Set([...due].map((k) => dueShardOf(...(k.split('/') as [string, string])))).size).toBe(
      TABLE_LAYOUT.dueShards,
    );
    const result = await sweepDue(deps, options);

    expect(result).toEqual({ due: 250, queued: 250, skipped: 0 });
    expect(queue.messages).toHaveLength(250);
    expect(new Set(queue.messages.map(key))).toEqual(due);
    for (const send of queue.sends) expect(send.length).toBeGreaterThanOrEqual(1);
    for (const send of queue.sends) expect(send.length).toBeLessThanOrEqual(10);
    // Full batches but for the end of each page: at most one short send per page.
    expect(queue.sends.filter((send) => send.length < 10).length).toBeLessThanOrEqual(
      TABLE_LAYOUT.dueShards * Math.ceil(250 / 7),
    );
    expect(queue.sends.length).toBeLessThan(250 / 2);
    expect(repository.leases).toBe(250);
    expect(repository.maxInFlight).toBe(options.leaseConcurrency);
    await expectLeasedIsQueued();

    // Each lease moved the next check to the next regular check (jittered by the injected 0.5 × 10 %), nothing else.
    const after = await stored();
    for (const c of all) {
      const now = after.get(key(c));
      if (due.has(key(c))) {
        expect(now).toEqual({
          ...c,
          version: 2,
          nextCheckAt: new Date(NOW + INTERVAL_MS * 1.05).toISOString(),
        });
      } else expect(now).toEqual(c);
    }
  });

  it('queues nothing again while the lease lasts, and everything again, under the new version, once it ran out', async () => {
    await sweepDue(deps, options);
    const first = queue.messages.length;

    now = NOW + 5 * MIN;
    expect(await sweepDue(deps, options)).toEqual({ due: 0, queued: 0, skipped: 0 });

    now = NOW + INTERVAL_MS * 1.1 + 1;
    const again = await sweepDue(deps, options);
    expect(again).toEqual({ due: 250, queued: 250, skipped: 0 });
    const second = queue.messages.slice(first);
    expect(new Set(second.map(key))).toEqual(due);
    for (const m of second) expect(m).toMatchObject({ version: 3, checkId: `sched:${m.credentialId}:3` });
  });

  it('skips a credential rescheduled or deleted between the query and its lease, and queues the rest', async () => {
    const [rechecked, deleted, renamed] = all as [Credential, Credential, Credential];
    const rescheduled = { ...rechecked, version: 2, nextCheckAt: new Date(NOW + INTERVAL_MS).toISOString() };
    repository.beforeLease = async (tenantId, id) => {
      if (id === rechecked.id) await repository.replace(rescheduled, 1);
      if (id === deleted.id) await repository.delete(tenantId, id);
      if (id === renamed.id) await repository.replace({ ...renamed, version: 2, name: 'renamed' }, 1);
    };
    const result = await sweepDue(deps, options);

    expect(result).toEqual({ due: 250, queued: 248, skipped: 2 });
    const queued = new Set(queue.messages.map(key));
    expect(queued.has(key(rechecked))).toBe(false);
    expect(queued.has(key(deleted))).toBe(false);
    expect(queued.size).toBe(248);
    // The re-check wins: the credential keeps its own schedule.
    expect(await repository.get(rechecked.tenantId, rechecked.id)).toEqual(rescheduled);
    // An edit that left the schedule alone is still due: leased on top of it, and queued under the version after.
    expect(queue.messages.find((m) => m.credentialId === renamed.id)).toMatchObject({ version: 3 });
    expect(await repository.get(renamed.tenantId, renamed.id)).toMatchObject({ name: 'renamed', version: 3 });
  });

  it('when a lease fails: queues what was leased, never the failed one, starts nothing after, and throws', async () => {
    const failing = all[120] as Credential;
    let leasesAtFailure = 0;
    repository.beforeLease = async (_tenantId, id) => {
      if (id !== failing.id) return;
      leasesAtFailure = repository.leases;
      throw new StorageError('injected: DynamoDB unavailable');
    };
    await expect(sweepDue(deps, options)).rejects.toThrow('injected: DynamoDB unavailable');
    expect(repository.inFlight).toBe(0);
    expect(queue.inFlight).toBe(0);

    // Only the leases already under way when it failed were written; none started after.
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(repository.leases).toBe(leasesAtFailure);
    expect(leasesAtFailure).toBeLessThan(250);
    expect(queue.messages.map(key)).not.toContain(key(failing));
    expect((await repository.get(failing.tenantId, failing.id))?.version).toBe(1);
    await expectLeasedIsQueued();
  });

  it('when a send fails: the other sends finish, nothing is queued twice, and the failure is thrown', async () => {
    queue.failSend = 3;
    await expect(sweepDue(deps, options)).rejects.toThrow('injected: SQS refused the batch');
    expect(queue.inFlight).toBe(0);
    expect(repository.inFlight).toBe(0);
    const sendsAtFailure = queue.sends.length;
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(queue.sends.length).toBe(sendsAtFailure);
    const queued = queue.messages.map(key);
    expect(new Set(queued).size).toBe(queued.length);
    // Queued only what was leased (the refused batch stays leased, and comes back when its lease runs out).
    const leased = new Set([...(await stored()).values()].filter((c) => c.version === 2).map(key));
    for (const k of queued) expect(leased.has(k)).toBe(true);
    expect(leased.size - queued.length).toBeGreaterThanOrEqual(1);
    expect(leased.size - queued.length).toBeLessThanOrEqual(10);
  });

  it('when a due-index read fails: the other shards stop at a page boundary, what was leased is queued', async () => {
    // The shard with the most due credentials has more than one page; its second read fails.
    const perShard = new Map<number, number>();
    for (const k of due) {
      const shard = dueShardOf(...(k.split('/') as [string, string]));
      perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    }
    const [largest, count] = [...perShard].sort((a, b) => b[1] - a[1])[0] as [number, number];
    expect(count).toBeGreaterThan(options.pageSize);
    let readsOfLargest = 0;
    repository.beforeListDue = async (shard) => {
      if (shard === largest && ++readsOfLargest === 2) throw new StorageError('injected: Query failed');
    };
    await expect(sweepDue(deps, options)).rejects.toThrow('injected: Query failed');
    expect(repository.inFlight).toBe(0);
    expect(queue.inFlight).toBe(0);
    await expectLeasedIsQueued();
  });

  it('refuses limits that would never start anything, before reading or leasing', async () => {
    for (const bad of [{ leaseConcurrency: 0 }, { sendConcurrency: -1 }, { pageSize: 2.5 }]) {
      await expect(sweepDue(deps, bad)).rejects.toThrow(RangeError);
    }
    expect(repository.leases).toBe(0);
    expect(queue.attempts).toBe(0);
  });
});
