import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckRecord, Credential } from '../../shared/domain/credential.ts';
import type { Report } from '../../shared/domain/report.ts';
import { TABLE_LAYOUT } from '../../shared/domain/table-layout.ts';
import { type CredentialRepository, type DueCredential, dueShardOf } from '../../shared/store/ports.ts';

export interface RepositoryUnderTest {
  repo: CredentialRepository;
  cleanup: () => Promise<void>;
}

const NOW = new Date();
const FUTURE = new Date(NOW.getTime() + 24 * 3600_000);

export const baseReport: Report = {
  verdict: 'valid',
  reason: null,
  message: 'The API key works.',
  field: null,
  retryable: false,
  retryAfterSeconds: null,
  identity: {
    userId: 7,
    login: 'api@example.com',
    name: 'API user',
    email: 'api@example.com',
    admin: false,
    company: 'ACME',
  },
  vendor: { version: '19.0.2', modules: 12, multicompany: false, edition: null },
  permissions: [
    { resource: 'invoices', read: true, write: false },
    { resource: 'thirdparties', read: true, write: null },
  ],
  warnings: [{ code: 'url_normalized', message: 'Removed a trailing slash.' }],
  probes: [
    {
      name: 'status',
      method: 'GET',
      url: 'https://erp.example.com/api/index.php/status',
      status: 200,
      ms: 12.5,
      outcome: 'ok',
    },
    {
      name: 'login',
      method: 'GET',
      url: 'https://erp.example.com/api/index.php/users/info',
      status: null,
      ms: 0,
      outcome: 'cached',
    },
  ],
  checkedAt: '2025-01-02T03:04:05.678Z',
  durationMs: 130.25,
};

/** A complete credential; tests override what they are about. */
export function credential(overrides: Partial<Credential> = {}): Credential {
  const tenantId = overrides.tenantId ?? 'tenant-a';
  const id = overrides.id ?? 'cred-1';
  return {
    tenantId,
    id,
    connector: 'dolibarr',
    name: 'Main ERP',
    description: '',
    fields: { baseUrl: 'https://erp.example.com', entity: '' },
    requirements: [
      { resource: 'invoices', access: ['read'] },
      { resource: 'thirdparties', access: ['read', 'write'] },
    ],
    status: 'valid',
    lastCheck: baseReport,
    version: 1,
    createdAt: '2025-01-02T03:04:05.678Z',
    updatedAt: '2025-01-02T03:04:05.678Z',
    nextCheckAt: null,
    secretName: `credval/${tenantId}/${id}`,
    monitor: {
      rejections: 1,
      firstRejectedAt: '2025-01-02T03:00:00.000Z',
      inconclusiveStreak: 0,
      invalidChecks: 0,
      lastCheckId: 'v1',
      lastStatusBefore: 'valid',
      lastTrigger: 'schedule',
    },
    ...overrides,
  };
}

export function checkRecord(overrides: Partial<CheckRecord> = {}): CheckRecord {
  return {
    tenantId: 'tenant-a',
    credentialId: 'cred-1',
    checkId: 'check-1',
    checkedAt: '2025-01-02T03:04:05.678Z',
    trigger: 'schedule',
    statusBefore: 'valid',
    statusAfter: 'valid',
    report: baseReport,
    ...overrides,
  };
}

/** Every page of a listing, following cursors; fails if one comes back twice or a page is short. */
async function collectPages<T>(
  fetch: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>,
  limit: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  const seen = new Set<string>();
  do {
    const result: { items: T[]; nextCursor: string | null } = await fetch(cursor);
    pages.push(result.items);
    cursor = result.nextCursor;
    if (cursor !== null) {
      expect(seen.has(cursor)).toBe(false);
      seen.add(cursor);
      // Pages are full until the last one, which carries no cursor.
      expect(result.items).toHaveLength(limit);
    }
    expect(pages.length).toBeLessThan(1000);
  } while (cursor !== null);
  return pages;
}

/** Ids that land in the given due shard, deterministic for a prefix. */
function idsInShard(tenantId: string, shard: number, count: number, prefix: string): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    const id = `${prefix}-${n}`;
    if (dueShardOf(tenantId, id) === shard) ids.push(id);
  }
  return ids;
}

/** What listDue returns of a credential. */
export function dueOf(c: Credential): DueCredential {
  return { tenantId: c.tenantId, id: c.id, nextCheckAt: c.nextCheckAt as string };
}

function at(offsetMinutes: number): string {
  return new Date(Date.UTC(2025, 0, 1) + offsetMinutes * 60_000).toISOString();
}

/**
 * The behaviour every CredentialRepository shares (ports.ts), run against the in-memory fake and the
 * DynamoDB adapter on dynalite. `makeRepo` is called before each test and must return an empty store.
 */
export function describeCredentialRepositoryContract(
  name: string,
  makeRepo: () => Promise<RepositoryUnderTest>,
): void {
  describe(`CredentialRepository contract: ${name}`, () => {
    let repo: CredentialRepository;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ repo, cleanup } = await makeRepo());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('create and get', () => {
      it('returns exactly what was created, report, requirements and fields included', async () => {
        const stored = credential({ nextCheckAt: at(5), description: 'Finance team' });
        await repo.create(stored);
        expect(await repo.get('tenant-a', 'cred-1')).toEqual(stored);
      });

      it('keeps nulls: no last check, no next check, null report fields', async () => {
        const stored = credential({ lastCheck: null, nextCheckAt: null, status: 'unverified' });
        const other = credential({
          id: 'cred-2',
          lastCheck: {
            ...baseReport,
            identity: null,
            verdict: 'inconclusive',
            reason: 'timeout',
            retryAfterSeconds: 30,
          },
        });
        await repo.create(stored);
        await repo.create(other);
        expect(await repo.get('tenant-a', 'cred-1')).toEqual(stored);
        expect(await repo.get('tenant-a', 'cred-2')).toEqual(other);
      });

      it('answers null for an unknown id', async () => {
        expect(await repo.get('tenant-a', 'nope')).toBeNull();
      });

      it('hands out copies, so changing a returned credential changes nothing stored', async () => {
        const stored = credential();
        await repo.create(stored);
        stored.name = 'changed after create';
        const read = await repo.get('tenant-a', 'cred-1');
        if (!read) throw new Error('missing');
        read.fields.baseUrl = 'https://evil.example.com';
        expect(await repo.get('tenant-a', 'cred-1')).toEqual(credential());
      });

      it('refuses a second create with the same id and keeps the first', async () => {
        await repo.create(credential());
        await expect(repo.create(credential({ name: 'Other' }))).rejects.toMatchObject({ code: 'conflict' });
        expect((await repo.get('tenant-a', 'cred-1'))?.name).toBe('Main ERP');
      });
    });

    describe('replace and delete', () => {
      it('replaces when the stored version is the expected one', async () => {
        await repo.create(credential());
        const next = credential({ version: 2, status: 'invalid', nextCheckAt: at(1), name: 'Renamed' });
        await repo.replace(next, 1);
        expect(await repo.get('tenant-a', 'cred-1')).toEqual(next);
      });

      it('refuses a stale version with VersionConflictError and keeps the stored one', async () => {
        await repo.create(credential());
        await repo.replace(credential({ version: 2, name: 'Second' }), 1);
        await expect(repo.replace(credential({ version: 2, name: 'Lost update' }), 1)).rejects.toMatchObject({
          code: 'version_conflict',
        });
        expect((await repo.get('tenant-a', 'cred-1'))?.name).toBe('Second');
      });

      it('answers NotFoundError when replacing or deleting a missing credential', async () => {
        await expect(repo.replace(credential({ version: 2 }), 1)).rejects.toMatchObject({
          code: 'not_found',
        });
        await expect(repo.delete('tenant-a', 'cred-1')).rejects.toMatchObject({ code: 'not_found' });
        expect(await repo.get('tenant-a', 'cred-1')).toBeNull();
      });

      it('deletes once, then answers NotFoundError', async () => {
        await repo.create(credential());
        await repo.delete('tenant-a', 'cred-1');
        expect(await repo.get('tenant-a', 'cred-1')).toBeNull();
        await expect(repo.delete('tenant-a', 'cred-1')).rejects.toMatchObject({ code: 'not_found' });
        await expect(repo.replace(credential({ version: 2 }), 1)).rejects.toMatchObject({
          code: 'not_found',
        });
      });

      it('keeps the check history of a deleted credential until it expires', async () => {
        await repo.create(credential());
        await repo.putCheck(checkRecord(), FUTURE);
        await repo.delete('tenant-a', 'cred-1');
        expect((await repo.listChecks('tenant-a', 'cred-1', { limit: 10 })).items).toEqual([checkRecord()]);
      });
    });

    describe('lease', () => {
      it('moves only the next check and the version, and answers the new version; the rest stays as it was', async () => {
        const stored = credential({ nextCheckAt: at(1), description: 'Finance team' });
        await repo.create(stored);
        expect(await repo.lease(dueOf(stored), new Date(at(20)))).toBe(2);
        expect(await repo.get('tenant-a', 'cred-1')).toEqual({ ...stored, version: 2, nextCheckAt: at(20) });
      });

      it('moves the credential within the due index: out of an earlier sweep, back when the lease runs out', async () => {
        const [id, other] = idsInShard('tenant-a', 5, 2, 'lease');
        if (!id || !other) throw new Error('no ids');
        const leased = credential({ id, nextCheckAt: at(1) });
        await repo.create(leased);
        await repo.create(credential({ id: other, nextCheckAt: at(2) }));
        await repo.lease(dueOf(leased), new Date(at(15)));

        const due = async (minutes: number) =>
          (await repo.listDue(5, new Date(at(minutes)), { limit: 10 })).items;
        expect((await due(10)).map((item) => item.id)).toEqual([other]);
        // Read back through the index, the leased item is current.
        expect(await due(20)).toEqual([
          dueOf(credential({ id: other, nextCheckAt: at(2) })),
          { tenantId: 'tenant-a', id, nextCheckAt: at(15) },
        ]);
      });

      it('leases a credential edited since it was read if its schedule is the same, under the edited version', async () => {
        const stored = credential({ nextCheckAt: at(1) });
        await repo.create(stored);
        await repo.replace({ ...stored, version: 2, name: 'Edited' }, 1);
        expect(await repo.lease(dueOf(stored), new Date(at(20)))).toBe(3);
        expect(await repo.get('tenant-a', 'cred-1')).toEqual({
          ...stored,
          version: 3,
          name: 'Edited',
          nextCheckAt: at(20),
        });
      });

      it('refuses a credential rescheduled since it was read with VersionConflictError, a missing one with NotFoundError', async () => {
        const stored = credential({ nextCheckAt: at(1) });
        await repo.create(stored);
        const rechecked = { ...stored, version: 2, nextCheckAt: at(360) };
        await repo.replace(rechecked, 1);
        await expect(repo.lease(dueOf(stored), new Date(at(20)))).rejects.toMatchObject({
          code: 'version_conflict',
        });
        expect(await repo.get('tenant-a', 'cred-1')).toEqual(rechecked);
        // Out of the index altogether (no next check) is a change of schedule too.
        await repo.replace({ ...rechecked, version: 3, nextCheckAt: null }, 2);
        await expect(repo.lease(dueOf(stored), new Date(at(20)))).rejects.toMatchObject({
          code: 'version_conflict',
        });
        await expect(
          repo.lease({ tenantId: 'tenant-a', id: 'nope', nextCheckAt: at(1) }, new Date(at(20))),
        ).rejects.toMatchObject({ code: 'not_found' });
        expect(await repo.get('tenant-a', 'nope')).toBeNull();
      });

      it('leases once: a second lease from the same read fails, and a write based on the version before it fails', async () => {
        const stored = credential({ nextCheckAt: at(1) });
        await repo.create(stored);
        await repo.lease(dueOf(stored), new Date(at(20)));
        await expect(repo.lease(dueOf(stored), new Date(at(30)))).rejects.toMatchObject({
          code: 'version_conflict',
        });
        await expect(repo.replace({ ...stored, version: 2, name: 'Stale' }, 1)).rejects.toMatchObject({
          code: 'version_conflict',
        });
        const checked = { ...stored, version: 3, nextCheckAt: at(360), status: 'invalid' as const };
        await repo.replace(checked, 2);
        expect(await repo.get('tenant-a', 'cred-1')).toEqual(checked);
      });

      it('never leases another tenant’s credential with the same id', async () => {
        const b = credential({ tenantId: 'tenant-b', nextCheckAt: at(1) });
        await repo.create(b);
        await expect(
          repo.lease({ ...dueOf(b), tenantId: 'tenant-a' }, new Date(at(20))),
        ).rejects.toMatchObject({
          code: 'not_found',
        });
        expect(await repo.get('tenant-b', 'cred-1')).toEqual(b);
        expect(await repo.get('tenant-a', 'cred-1')).toBeNull();
      });
    });

    describe('tenant isolation', () => {
      it('never shows, changes or deletes another tenant’s credential with the same id', async () => {
        const a = credential({ tenantId: 'tenant-a', name: 'A', nextCheckAt: at(0) });
        const b = credential({ tenantId: 'tenant-b', name: 'B', nextCheckAt: at(0) });
        await repo.create(a);
        await repo.create(b);

        expect(await repo.get('tenant-a', 'cred-1')).toEqual(a);
        expect(await repo.get('tenant-b', 'cred-1')).toEqual(b);
        expect(await repo.get('tenant-c', 'cred-1')).toBeNull();
        expect((await repo.list('tenant-a', { limit: 10 })).items).toEqual([a]);
        expect((await repo.list('tenant-c', { limit: 10 })).items).toEqual([]);

        const a2 = { ...a, version: 2, name: 'A2' };
        await repo.replace(a2, 1);
        expect(await repo.get('tenant-b', 'cred-1')).toEqual(b);
        await expect(repo.replace({ ...b, tenantId: 'tenant-c', version: 2 }, 1)).rejects.toMatchObject({
          code: 'not_found',
        });

        await repo.putCheck(checkRecord({ tenantId: 'tenant-a', checkId: 'from-a' }), FUTURE);
        await repo.putCheck(checkRecord({ tenantId: 'tenant-b', checkId: 'from-b' }), FUTURE);
        const checksA = await repo.listChecks('tenant-a', 'cred-1', { limit: 10 });
        expect(checksA.items.map((check) => check.checkId)).toEqual(['from-a']);

        // The due index spans tenants (only the sweep reads it) but keeps both apart.
        const shardA = dueShardOf('tenant-a', 'cred-1');
        const shardB = dueShardOf('tenant-b', 'cred-1');
        const dueA = await repo.listDue(shardA, new Date(at(1)), { limit: 10 });
        expect(dueA.items.filter((item) => item.id === 'cred-1' && item.tenantId === 'tenant-a')).toEqual([
          dueOf(a2),
        ]);
        await repo.replace({ ...b, version: 2, nextCheckAt: null }, 1);
        const dueB = await repo.listDue(shardB, new Date(at(1)), { limit: 10 });
        expect(dueB.items.filter((item) => item.tenantId === 'tenant-b')).toEqual([]);
        expect((await repo.listDue(shardA, new Date(at(1)), { limit: 10 })).items).toContainEqual(dueOf(a2));

        await repo.delete('tenant-a', 'cred-1');
        expect(await repo.get('tenant-b', 'cred-1')).toMatchObject({ name: 'B' });
        await expect(repo.delete('tenant-a', 'cred-1')).rejects.toMatchObject({ code: 'not_found' });
      });

      it('keeps tenants apart even when ids contain the key separator', async () => {
        // Naively joined, tenant `x` + credential `y#C#z` and tenant `x#C#y` + credential `z` share keys.
        await repo.create(credential({ tenantId: 'x', id: 'y#C#z', name: 'first' }));
        await repo.create(credential({ tenantId: 'x#C#y', id: 'z', name: 'second' }));
        await repo.putCheck(checkRecord({ tenantId: 'x', credentialId: 'y#C#z', checkId: 'one' }), FUTURE);
        await repo.putCheck(checkRecord({ tenantId: 'x#C#y', credentialId: 'z', checkId: 'two' }), FUTURE);
        await repo.create(credential({ tenantId: 'T', id: 'C#1' }));
        await repo.create(credential({ tenantId: 'T#C#1', id: 'a' }));

        expect((await repo.get('x', 'y#C#z'))?.name).toBe('first');
        expect((await repo.get('x#C#y', 'z'))?.name).toBe('second');
        expect((await repo.listChecks('x', 'y#C#z', { limit: 10 })).items.map((c) => c.checkId)).toEqual([
          'one',
        ]);
        expect((await repo.listChecks('x#C#y', 'z', { limit: 10 })).items.map((c) => c.checkId)).toEqual([
          'two',
        ]);
        expect((await repo.list('T', { limit: 10 })).items.map((c) => c.id)).toEqual(['C#1']);
      });
    });

    describe('list', () => {
      it('visits every credential exactly once, in id order, for any page size', async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { maxLength: 9 }),
            fc.integer({ min: 1, max: 10 }),
            async (ids, limit) => {
              const tenantId = `paging-${run++}`;
              for (const id of ids) await repo.create(credential({ tenantId, id }));
              const pages = await collectPages((cursor) => repo.list(tenantId, { limit, cursor }), limit);
              const seen = pages.flat().map((item) => item.id);
              expect(seen).toEqual([...ids].sort());
              // No empty trailing page: the last page has items unless there are none at all.
              if (ids.length > 0) expect(pages.at(-1)?.length).toBeGreaterThan(0);
            },
          ),
          { numRuns: 12 },
        );
      });

      it('filters by connector and status and still fills every page', async () => {
        const tenantId = 'filters';
        const all: Credential[] = [];
        for (let n = 0; n < 130; n++) {
          // Dolibarr ones are rare and sit after a long run of Odoo ones, so a page needs several reads.
          const connector = n % 40 === 39 || n > 120 ? 'dolibarr' : 'odoo';
          const status = n % 2 === 0 ? 'valid' : 'invalid';
          all.push(credential({ tenantId, id: `c-${String(n).padStart(3, '0')}`, connector, status }));
        }
        await Promise.all(all.map((item) => repo.create(item)));

        const cases: { filter: { connector?: string; status?: Credential['status'] }; limit: number }[] = [
          { filter: { connector: 'dolibarr' }, limit: 2 },
          { filter: { connector: 'dolibarr' }, limit: 5 },
          { filter: { status: 'invalid' }, limit: 30 },
          { filter: { connector: 'dolibarr', status: 'valid' }, limit: 3 },
          { filter: { connector: 'precoro' }, limit: 2 },
        ];
        for (const { filter, limit } of cases) {
          const expected = all
            .filter((item) => filter.connector === undefined || item.connector === filter.connector)
            .filter((item) => filter.status === undefined || item.status === filter.status)
            .map((item) => item.id);
          const pages = await collectPages(
            (cursor) => repo.list(tenantId, { ...filter, limit, cursor }),
            limit,
          );
          expect(pages.flat().map((item) => item.id)).toEqual(expected);
        }
      });

      it('refuses a cursor from another tenant, another listing, or garbage', async () => {
        for (const tenantId of ['tenant-a', 'tenant-b']) {
          for (const id of ['c1', 'c2', 'c3']) await repo.create(credential({ tenantId, id }));
        }
        const fromB = (await repo.list('tenant-b', { limit: 1 })).nextCursor;
        expect(fromB).not.toBeNull();
        await expect(repo.list('tenant-a', { limit: 1, cursor: fromB })).rejects.toMatchObject({
          code: 'invalid_cursor',
        });
        await repo.putCheck(checkRecord({ checkId: 'k1' }), FUTURE);
        await repo.putCheck(checkRecord({ checkId: 'k2' }), FUTURE);
        const checksCursor = (await repo.listChecks('tenant-a', 'cred-1', { limit: 1 })).nextCursor;
        expect(checksCursor).not.toBeNull();
        await expect(repo.list('tenant-a', { limit: 1, cursor: checksCursor })).rejects.toMatchObject({
          code: 'invalid_cursor',
        });

        const garbage = [
          'garbage',
          'not base64 !!',
          Buffer.from('{}').toString('base64url'),
          Buffer.from('[1,2]').toString('base64url'),
          Buffer.from('null').toString('base64url'),
          Buffer.from('{"pk":"T#tenant-b","sk":"C#c1"}').toString('base64url'),
          Buffer.from('{"t":"tenant-b","id":"c1"}').toString('base64url'),
          'x'.repeat(10_000),
        ];
        for (const cursor of garbage) {
          await expect(repo.list('tenant-a', { limit: 1, cursor })).rejects.toMatchObject({
            code: 'invalid_cursor',
          });
          await expect(repo.listChecks('tenant-a', 'cred-1', { limit: 1, cursor })).rejects.toMatchObject({
            code: 'invalid_cursor',
          });
          await expect(repo.listDue(0, new Date(), { limit: 1, cursor })).rejects.toMatchObject({
            code: 'invalid_cursor',
          });
        }
      });

      it('rejects a page size below one', async () => {
        await expect(repo.list('tenant-a', { limit: 0 })).rejects.toBeInstanceOf(RangeError);
        await expect(repo.listChecks('tenant-a', 'cred-1', { limit: 0 })).rejects.toBeInstanceOf(RangeError);
        await expect(repo.listDue(0, new Date(), { limit: 0 })).rejects.toBeInstanceOf(RangeError);
        await expect(repo.listDue(TABLE_LAYOUT.dueShards, new Date(), { limit: 1 })).rejects.toBeInstanceOf(
          RangeError,
        );
      });
    });

    describe('check history', () => {
      it('writes a retried check once (same checkId and time), keeping the last write', async () => {
        await repo.putCheck(checkRecord({ statusAfter: 'degraded' }), FUTURE);
        await repo.putCheck(checkRecord({ statusAfter: 'invalid' }), FUTURE);
        const { items, nextCursor } = await repo.listChecks('tenant-a', 'cred-1', { limit: 10 });
        expect(items).toEqual([checkRecord({ statusAfter: 'invalid' })]);
        expect(nextCursor).toBeNull();
      });

      it('lists newest first across pages, each once, and leaves expired entries out', async () => {
        const minutes = [4, 0, 6, 2, 5, 1, 3];
        for (const minute of minutes) {
          await repo.putCheck(checkRecord({ checkId: `k${minute}`, checkedAt: at(minute) }), FUTURE);
        }
        // Two checks in the same millisecond: ordered by checkId, newest-first ties stay stable.
        await repo.putCheck(checkRecord({ checkId: 'k6b', checkedAt: at(6) }), FUTURE);
        await repo.putCheck(
          checkRecord({ checkId: 'expired', checkedAt: at(7) }),
          new Date(NOW.getTime() - 1000),
        );
        await repo.putCheck(
          checkRecord({ credentialId: 'cred-2', checkId: 'other', checkedAt: at(3) }),
          FUTURE,
        );

        for (const limit of [1, 3, 8, 20]) {
          const pages = await collectPages(
            (cursor) => repo.listChecks('tenant-a', 'cred-1', { limit, cursor }),
            limit,
          );
          expect(pages.flat().map((check) => check.checkId)).toEqual([
            'k6b',
            'k6',
            'k5',
            'k4',
            'k3',
            'k2',
            'k1',
            'k0',
          ]);
        }
        expect((await repo.listChecks('tenant-a', 'nobody', { limit: 5 })).items).toEqual([]);
      });

      it('refuses a history cursor from another credential', async () => {
        await repo.putCheck(checkRecord({ checkId: 'a', checkedAt: at(1) }), FUTURE);
        await repo.putCheck(checkRecord({ checkId: 'b', checkedAt: at(2) }), FUTURE);
        const cursor = (await repo.listChecks('tenant-a', 'cred-1', { limit: 1 })).nextCursor;
        expect(cursor).not.toBeNull();
        await expect(repo.listChecks('tenant-a', 'cred-2', { limit: 1, cursor })).rejects.toMatchObject({
          code: 'invalid_cursor',
        });
        await expect(repo.listChecks('tenant-b', 'cred-1', { limit: 1, cursor })).rejects.toMatchObject({
          code: 'invalid_cursor',
        });
        expect((await repo.listChecks('tenant-a', 'cred-1', { limit: 1, cursor })).items[0]?.checkId).toBe(
          'a',
        );
      });
    });

    describe('listDue', () => {
      it('returns exactly the credentials of a shard due at or before the time, oldest first', async () => {
        const shard = 3;
        const before = new Date(at(100));
        const ids = idsInShard('tenant-a', shard, 9, 'due');
        const otherShard = idsInShard('tenant-a', 4, 2, 'due');
        const plan: (number | null)[] = [50, 10, 100, 101, null, 30, 10, 500, -20];
        const created = ids.map((id, n) =>
          credential({ id, nextCheckAt: plan[n] === null || plan[n] === undefined ? null : at(plan[n]) }),
        );
        for (const item of created) await repo.create(item);
        for (const id of otherShard) await repo.create(credential({ id, nextCheckAt: at(0) }));
        // Another tenant's credential in the same shard is due too.
        const [otherTenantId] = idsInShard('tenant-b', shard, 1, 'due');
        const otherTenant = credential({ tenantId: 'tenant-b', id: otherTenantId, nextCheckAt: at(20) });
        await repo.create(otherTenant);

        const expected = [...created, otherTenant]
          .filter((item) => item.nextCheckAt !== null && item.nextCheckAt <= before.toISOString())
          .sort((a, b) => ((a.nextCheckAt ?? '') < (b.nextCheckAt ?? '') ? -1 : 1));
        for (const limit of [1, 2, 4, 50]) {
          const pages = await collectPages((cursor) => repo.listDue(shard, before, { limit, cursor }), limit);
          const items = pages.flat();
          expect(items.map((item) => item.nextCheckAt)).toEqual(expected.map((item) => item.nextCheckAt));
          expect(new Set(items.map((item) => `${item.tenantId}/${item.id}`))).toEqual(
            new Set(expected.map((item) => `${item.tenantId}/${item.id}`)),
          );
          expect(items).toHaveLength(expected.length);
          expect(items).toEqual(expect.arrayContaining(expected.map(dueOf)));
        }
        expect(expected).toHaveLength(7);

        // A cursor of one shard is no good for another.
        const cursor = (await repo.listDue(shard, before, { limit: 1 })).nextCursor;
        await expect(repo.listDue(4, before, { limit: 1, cursor })).rejects.toMatchObject({
          code: 'invalid_cursor',
        });
      });

      it('drops a credential once its next check is cleared or it is deleted, and takes it back when set', async () => {
        const [id, other] = idsInShard('tenant-a', 7, 2, 'drop');
        if (!id || !other) throw new Error('no ids');
        const due = credential({ id, nextCheckAt: at(1) });
        await repo.create(due);
        await repo.create(credential({ id: other, nextCheckAt: at(2) }));
        const dueIds = async () =>
          (await repo.listDue(7, new Date(at(10)), { limit: 10 })).items.map((item) => item.id);
        expect(await dueIds()).toEqual([id, other]);

        await repo.replace({ ...due, version: 2, nextCheckAt: null }, 1);
        expect(await dueIds()).toEqual([other]);
        await repo.replace({ ...due, version: 3, nextCheckAt: at(3) }, 2);
        expect(await dueIds()).toEqual([other, id]);
        await repo.replace({ ...due, version: 4, nextCheckAt: at(30) }, 3);
        expect(await dueIds()).toEqual([other]);
        await repo.delete('tenant-a', other);
        expect(await dueIds()).toEqual([]);
      });

      it('answers an empty page when a cursor lies past an earlier bound', async () => {
        const ids = idsInShard('tenant-a', 2, 3, 'bound');
        for (const [n, id] of ids.entries()) await repo.create(credential({ id, nextCheckAt: at(n * 10) }));
        const first = await repo.listDue(2, new Date(at(100)), { limit: 2 });
        expect(first.items).toHaveLength(2);
        expect(await repo.listDue(2, new Date(at(5)), { limit: 2, cursor: first.nextCursor })).toEqual({
          items: [],
          nextCursor: null,
        });
      });
    });
  });
}
