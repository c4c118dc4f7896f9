import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConflictError, SecretNotFoundError } from '../../shared/domain/errors.ts';
import type { Clock, SecretStore, SecretTags } from '../../shared/store/ports.ts';

/** A clock the contract moves by hand. */
export class TestClock implements Clock {
  constructor(private time = Date.parse('2026-01-05T10:00:00Z')) {}
  now(): Date {
    return new Date(this.time);
  }
  advanceDays(days: number): void {
    this.time += days * 86_400_000;
  }
  advanceMs(ms: number): void {
    this.time += ms;
  }
}

export const TAGS: SecretTags = { tenantId: 'tenant-a', credentialId: 'cred-1', connector: 'odoo' };

/** A request token Secrets Manager accepts (32 to 64 characters). */
export const token = (): string => randomUUID();

/**
 * The behaviour every SecretStore shares (the Secrets Manager version semantics). `makeStore` builds a fresh,
 * empty store on the clock given.
 */
export function describeSecretStoreContract(
  name: string,
  makeStore: (clock: Clock) => SecretStore | Promise<SecretStore>,
): void {
  describe(`SecretStore contract: ${name}`, () => {
    const setup = async () => {
      const clock = new TestClock();
      const store = await makeStore(clock);
      return { clock, store };
    };
    const secretName = () => `credval/tenant-a/${randomUUID()}`;

    it('creates a secret and reads its current value', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'k-1', user: 'alice' }, { requestToken: token(), tags: TAGS });
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'k-1', user: 'alice' });
    });

    it('hands out copies: changing a value given or read changes nothing stored', async () => {
      const { store } = await setup();
      const n = secretName();
      const value = { apiKey: 'k-1' };
      await store.create(n, value, { requestToken: token(), tags: TAGS });
      value.apiKey = 'changed';
      const read = await store.getCurrent(n);
      read.apiKey = 'changed too';
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'k-1' });
    });

    it('treats a create retried with the same token and value as done', async () => {
      const { store } = await setup();
      const n = secretName();
      const requestToken = token();
      await store.create(n, { apiKey: 'k-1' }, { requestToken, tags: TAGS });
      await store.create(n, { apiKey: 'k-1' }, { requestToken, tags: TAGS });
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'k-1' });
    });

    it('refuses a second create of a name with another token or another value', async () => {
      const { store } = await setup();
      const n = secretName();
      const requestToken = token();
      await store.create(n, { apiKey: 'k-1' }, { requestToken, tags: TAGS });
      await expect(store.create(n, { apiKey: 'k-1' }, { requestToken: token(), tags: TAGS })).rejects.toThrow(
        ConflictError,
      );
      await expect(store.create(n, { apiKey: 'k-2' }, { requestToken, tags: TAGS })).rejects.toThrow(
        ConflictError,
      );
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'k-1' });
    });

    it('rejects request tokens Secrets Manager would reject (32 to 64 characters)', async () => {
      const { store } = await setup();
      await expect(
        store.create(secretName(), { a: 'b' }, { requestToken: 'short', tags: TAGS }),
      ).rejects.toThrow(RangeError);
    });

    it('rotates: the new value is current at once and the old one stays as previous', async () => {
      const { store } = await setup();
      const n = secretName();
      const first = token();
      await store.create(n, { apiKey: 'old' }, { requestToken: first, tags: TAGS });
      const requestToken = token();
      const versionId = await store.putCurrent(n, { apiKey: 'new' }, { requestToken });
      expect(versionId).toBe(requestToken);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'new' });
      // A retry with the same token and value is the same write.
      expect(await store.putCurrent(n, { apiKey: 'new' }, { requestToken })).toBe(versionId);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'new' });
      // The previous value is still there: reverting makes it current again.
      await store.revertCurrent(n, { from: versionId, to: first });
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'old' });
    });

    it('gives the current and the previous version with their ids (what a move between stores copies)', async () => {
      const { store } = await setup();
      const n = secretName();
      const first = token();
      await store.create(n, { apiKey: 'old' }, { requestToken: first, tags: TAGS });
      expect(await store.getVersions(n)).toEqual({
        current: { id: first, value: { apiKey: 'old' } },
        previous: null,
      });
      const second = await store.putCurrent(n, { apiKey: 'new' }, { requestToken: token() });
      expect(await store.getVersions(n)).toEqual({
        current: { id: second, value: { apiKey: 'new' } },
        previous: { id: first, value: { apiKey: 'old' } },
      });
      await store.scheduleDeletion(n, 7);
      await expect(store.getVersions(n)).rejects.toThrow(SecretNotFoundError);
    });

    it('keeps rotating: each write makes the last current value the previous one', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { v: '1' }, { requestToken: token(), tags: TAGS });
      for (const v of ['2', '3', '4']) {
        await store.putCurrent(n, { v }, { requestToken: token() });
        expect(await store.getCurrent(n)).toEqual({ v });
      }
    });

    it('lets only one of two writes with the same token win: the other value is never stored', async () => {
      const { store } = await setup();
      const n = secretName();
      const first = token();
      await store.create(n, { apiKey: 'old' }, { requestToken: first, tags: TAGS });
      const requestToken = token();
      const results = await Promise.allSettled([
        store.putCurrent(n, { apiKey: 'one' }, { requestToken }),
        store.putCurrent(n, { apiKey: 'two' }, { requestToken }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(ConflictError);
      const won = (await store.getCurrent(n)).apiKey;
      expect(['one', 'two']).toContain(won);
      // The loser's value is nowhere: reverting to the first version shows the old one, not the loser's.
      await store.revertCurrent(n, { from: requestToken, to: first });
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'old' });
    });

    it('refuses the token of a version that was superseded (Secrets Manager keeps it)', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'old' }, { requestToken: token(), tags: TAGS });
      const superseded = await store.putCurrent(n, { apiKey: 'one' }, { requestToken: token() });
      await store.putCurrent(n, { apiKey: 'two' }, { requestToken: token() });
      await store.putCurrent(n, { apiKey: 'three' }, { requestToken: token() });
      await expect(store.putCurrent(n, { apiKey: 'other' }, { requestToken: superseded })).rejects.toThrow(
        ConflictError,
      );
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'three' });
    });

    it('reverts only what is still current: a revert after someone moved on changes nothing', async () => {
      const { store } = await setup();
      const n = secretName();
      const first = token();
      await store.create(n, { v: '1' }, { requestToken: first, tags: TAGS });
      const second = await store.putCurrent(n, { v: '2' }, { requestToken: token() });
      await store.putCurrent(n, { v: '3' }, { requestToken: token() });
      await store.revertCurrent(n, { from: second, to: first });
      expect(await store.getCurrent(n)).toEqual({ v: '3' });
    });

    it('lists the secrets under a prefix, page by page, with those scheduled for deletion marked', async () => {
      const { clock, store } = await setup();
      const names = ['credval/t1/a', 'credval/t1/b', 'credval/t2/c', 'other/t1/d'];
      for (const n of names) await store.create(n, { k: n }, { requestToken: token(), tags: TAGS });
      await store.scheduleDeletion('credval/t1/b', 7);
      const seen: Array<{ name: string; deletionScheduled: boolean; createdAt: string }> = [];
      let cursor: string | null = null;
      do {
        const page = await store.list('credval/', { limit: 2, cursor });
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.map((s) => [s.name, s.deletionScheduled]).sort()).toEqual([
        ['credval/t1/a', false],
        ['credval/t1/b', true],
        ['credval/t2/c', false],
      ]);
      for (const entry of seen)
        expect(Date.parse(entry.createdAt)).toBeLessThanOrEqual(clock.now().getTime());
      expect(JSON.stringify(seen)).not.toContain('"k"');
    });

    it('makes a secret scheduled for deletion unreadable until it is restored', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
      await store.scheduleDeletion(n, 7);
      await store.scheduleDeletion(n, 7);
      await expect(store.getCurrent(n)).rejects.toThrow(SecretNotFoundError);
      await expect(store.putCurrent(n, { apiKey: 'x' }, { requestToken: token() })).rejects.toThrow(
        SecretNotFoundError,
      );
      await expect(store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS })).rejects.toThrow(
        ConflictError,
      );
      await store.restore(n);
      await store.restore(n);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'k' });
    });

    it('forgets a secret once its recovery window has passed', async () => {
      const { clock, store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
      await store.scheduleDeletion(n, 7);
      clock.advanceDays(7);
      await expect(store.restore(n)).rejects.toThrow(SecretNotFoundError);
      await store.create(n, { apiKey: 'again' }, { requestToken: token(), tags: TAGS });
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'again' });
    });

    it('accepts recovery windows of 7 to 30 whole days only', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
      for (const days of [6, 31, 7.5, Number.NaN]) {
        await expect(store.scheduleDeletion(n, days)).rejects.toThrow(RangeError);
      }
      await store.scheduleDeletion(n, 30);
      await expect(store.getCurrent(n)).rejects.toThrow(SecretNotFoundError);
    });

    it('deletes at once, also a secret that does not exist', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
      await store.deleteNow(n);
      await store.deleteNow(n);
      await expect(store.getCurrent(n)).rejects.toThrow(SecretNotFoundError);
      await expect(store.restore(n)).rejects.toThrow(SecretNotFoundError);
      await store.create(n, { apiKey: 'new' }, { requestToken: token(), tags: TAGS });
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'new' });
    });

    it('reports a missing secret as SecretNotFoundError everywhere', async () => {
      const { store } = await setup();
      const n = secretName();
      await expect(store.getCurrent(n)).rejects.toThrow(SecretNotFoundError);
      await expect(store.putCurrent(n, { a: 'b' }, { requestToken: token() })).rejects.toThrow(
        SecretNotFoundError,
      );
      await expect(store.scheduleDeletion(n, 7)).rejects.toThrow(SecretNotFoundError);
      await expect(store.restore(n)).rejects.toThrow(SecretNotFoundError);
    });

    it('serialises concurrent writes of one secret without losing a version', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { v: '0' }, { requestToken: token(), tags: TAGS });
      const ids = await Promise.all(
        ['1', '2', '3'].map((v) => store.putCurrent(n, { v }, { requestToken: token() })),
      );
      expect(new Set(ids).size).toBe(3);
      expect(['1', '2', '3']).toContain((await store.getCurrent(n)).v);
    });

    it('keeps different names apart', async () => {
      const { store } = await setup();
      const names = ['credval/a/1', 'credval/a/10', 'credval/b/1', 'credval/a/1 '];
      for (const [i, n] of names.entries()) {
        await store.create(n, { i: String(i) }, { requestToken: token(), tags: TAGS });
      }
      for (const [i, n] of names.entries()) expect(await store.getCurrent(n)).toEqual({ i: String(i) });
    });
  });
}
