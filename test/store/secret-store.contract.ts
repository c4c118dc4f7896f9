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
}

export const TAGS: SecretTags = { tenantId: 'tenant-a', credentialId: 'cred-1', connector: 'odoo' };

/** A request token Secrets Manager accepts (32 to 64 characters). */
export const token = (): string => randomUUID();

/**
 * The behaviour every SecretStore shares (the Secrets Manager staging semantics). `makeStore` builds a fresh,
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

    it('rotates: pending is not current until promoted, and the old value stays as previous', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'old' }, { requestToken: token(), tags: TAGS });
      const requestToken = token();
      const versionId = await store.putPending(n, { apiKey: 'new' }, { requestToken });
      expect(versionId).toBe(requestToken);
      expect(await store.putPending(n, { apiKey: 'new' }, { requestToken })).toBe(versionId);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'old' });
      await store.promotePending(n, versionId);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'new' });
      await store.promotePending(n, versionId);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'new' });
      // The pending label is gone: discarding it now changes nothing.
      await store.discardPending(n, versionId);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'new' });
    });

    it('keeps rotating: each promotion makes the last current the previous one', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { v: '1' }, { requestToken: token(), tags: TAGS });
      for (const v of ['2', '3', '4']) {
        const id = await store.putPending(n, { v }, { requestToken: token() });
        await store.promotePending(n, id);
        expect(await store.getCurrent(n)).toEqual({ v });
      }
    });

    it('refuses a token reused for another pending value', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'old' }, { requestToken: token(), tags: TAGS });
      const requestToken = token();
      await store.putPending(n, { apiKey: 'new' }, { requestToken });
      await expect(store.putPending(n, { apiKey: 'other' }, { requestToken })).rejects.toThrow(ConflictError);
    });

    it('refuses the token of a version that was discarded or superseded (Secrets Manager keeps it)', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'old' }, { requestToken: token(), tags: TAGS });
      const discarded = await store.putPending(n, { apiKey: 'bad' }, { requestToken: token() });
      await store.discardPending(n, discarded);
      await expect(store.putPending(n, { apiKey: 'bad' }, { requestToken: discarded })).rejects.toThrow(
        ConflictError,
      );
      await expect(store.putPending(n, { apiKey: 'other' }, { requestToken: discarded })).rejects.toThrow(
        ConflictError,
      );
      const superseded = await store.putPending(n, { apiKey: 'one' }, { requestToken: token() });
      await store.putPending(n, { apiKey: 'two' }, { requestToken: token() });
      await expect(store.putPending(n, { apiKey: 'one' }, { requestToken: superseded })).rejects.toThrow(
        ConflictError,
      );
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'old' });
    });

    it('discards a pending version: current is untouched and the version cannot be promoted', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'old' }, { requestToken: token(), tags: TAGS });
      const versionId = await store.putPending(n, { apiKey: 'bad' }, { requestToken: token() });
      await store.discardPending(n, versionId);
      await store.discardPending(n, versionId);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'old' });
      await expect(store.promotePending(n, versionId)).rejects.toThrow(SecretNotFoundError);
      expect(await store.getCurrent(n)).toEqual({ apiKey: 'old' });
    });

    it('makes a secret scheduled for deletion unreadable until it is restored', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
      await store.scheduleDeletion(n, 7);
      await store.scheduleDeletion(n, 7);
      await expect(store.getCurrent(n)).rejects.toThrow(SecretNotFoundError);
      await expect(store.putPending(n, { apiKey: 'x' }, { requestToken: token() })).rejects.toThrow(
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
      await expect(store.putPending(n, { a: 'b' }, { requestToken: token() })).rejects.toThrow(
        SecretNotFoundError,
      );
      await expect(store.promotePending(n, token())).rejects.toThrow(SecretNotFoundError);
      await expect(store.scheduleDeletion(n, 7)).rejects.toThrow(SecretNotFoundError);
      await expect(store.restore(n)).rejects.toThrow(SecretNotFoundError);
    });

    it('serialises concurrent rotations of one secret without losing a version', async () => {
      const { store } = await setup();
      const n = secretName();
      await store.create(n, { v: '0' }, { requestToken: token(), tags: TAGS });
      const ids = await Promise.all(
        ['1', '2', '3'].map((v) => store.putPending(n, { v }, { requestToken: token() })),
      );
      // The last pending write holds the label; promoting it wins, promoting the others finds nothing.
      const last = ids[2] ?? '';
      await store.promotePending(n, last);
      expect(await store.getCurrent(n)).toEqual({ v: '3' });
      await expect(store.promotePending(n, ids[0] ?? '')).rejects.toThrow(SecretNotFoundError);
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
