import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withLocalChangeFeed } from '../../shared/app/local-change-feed.ts';
import { runCheck } from '../../shared/connectors/check.ts';
import { PrecoroLedger } from '../../shared/connectors/precoro/request-ledger.ts';
import type { Credential } from '../../shared/domain/credential.ts';
import { StorageError } from '../../shared/domain/errors.ts';
import type { CredentialEvent } from '../../shared/domain/events.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import type { GuardedClient } from '../../shared/net/types.ts';
import { ChangeFeedConsumer } from '../../shared/service/change-feed.ts';
import { ServiceConfig } from '../../shared/service/config.ts';
import { type Checker, CredentialCommands, rotationToken } from '../../shared/service/credential-commands.ts';
import { CredentialReads } from '../../shared/service/credential-reads.ts';
import { deleteCredential } from '../../shared/service/delete-credential.ts';
import { reconcileSecrets } from '../../shared/service/reconcile-secrets.ts';
import { MemoryCredentialRepository } from '../../shared/store/memory-credential-repository.ts';
import { MemorySecretStore } from '../../shared/store/memory-secret-store.ts';
import type { CredentialRepository, SecretStore } from '../../shared/store/ports.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';

const TENANT = 'tenant-a';
const GOOD_KEY = 'service-good-key-0a1b2c3d4e5f6a7b';
const NEW_KEY = 'service-new-key-9f8e7d6c5b4a3f2e';
const OTHER_KEY = 'service-other-key-7a6b5c4d3e2f1a0b';

/**
 * Wraps a port so that chosen calls fail like a storage outage: `failOn('create')` makes the next call of
 * `create` throw, once. Every other call goes through.
 */
function faulty<T extends object>(target: T): T & { failOn(method: keyof T): void; calls: string[] } {
  const armed = new Set<PropertyKey>();
  const calls: string[] = [];
  const proxy = new Proxy(target, {
    get(obj, prop, receiver) {
      if (prop === 'failOn') return (method: keyof T) => armed.add(method);
      if (prop === 'calls') return calls;
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls.push(String(prop));
        if (armed.delete(prop)) throw new StorageError(`injected failure in ${String(prop)}`);
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
  return proxy as T & { failOn(method: keyof T): void; calls: string[] };
}

/**
 * Every credential use case over the same ports, as the local server composes them: the repository feeds the
 * change-feed consumer in process, which writes history and publishes events.
 */
function useCases(deps: {
  repository: CredentialRepository;
  secrets: SecretStore;
  check: Checker;
  clock: { now(): Date };
  config: ServiceConfig;
  onHandledError: (what: string, error: unknown) => void;
  events?: CredentialEvent[];
}) {
  const published = deps.events ?? [];
  const consumer = new ChangeFeedConsumer({
    repository: deps.repository,
    events: { publish: async (events) => void published.push(...events) },
    historyTtlDays: deps.config.historyTtlDays,
    clock: deps.clock,
  });
  const repository = withLocalChangeFeed(deps.repository, consumer, deps.onHandledError);
  const commands = new CredentialCommands({ ...deps, repository });
  const reads = new CredentialReads(repository);
  const deletion = { ...deps, repository, recoveryDays: deps.config.deletionRecoveryDays };
  return {
    create: commands.create.bind(commands),
    update: commands.update.bind(commands),
    recheck: commands.recheck.bind(commands),
    get: reads.get.bind(reads),
    list: reads.list.bind(reads),
    history: reads.history.bind(reads),
    delete: (tenantId: string, id: string, ifMatch?: number) =>
      deleteCredential(deletion, tenantId, id, ifMatch),
  };
}

describe('credential use cases: checks first, and no orphan after any single failure', () => {
  let sim: DolibarrSimulator;
  let client: GuardedClient;
  let repository: ReturnType<typeof faulty<CredentialRepository>>;
  let memorySecrets: MemorySecretStore;
  let secrets: ReturnType<typeof faulty<SecretStore>>;
  let handled: string[];
  let service: ReturnType<typeof useCases>;
  let now = Date.parse('2026-11-23T10:00:00Z');

  beforeAll(async () => {
    sim = await startDolibarrSimulator({
      users: [
        { id: 1, login: 'svc', apiKey: GOOD_KEY, rights: ['societe.lire'] },
        { id: 2, login: 'svc2', apiKey: OTHER_KEY, rights: ['societe.lire'] },
      ],
      failureDelayMs: 10,
    });
    client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  beforeEach(() => {
    now = Date.parse('2026-11-23T10:00:00Z');
    sim.setApiKey('svc', GOOD_KEY);
    repository = faulty<CredentialRepository>(new MemoryCredentialRepository());
    memorySecrets = new MemorySecretStore();
    secrets = faulty<SecretStore>(memorySecrets);
    handled = [];
    service = useCases({
      repository,
      secrets,
      check: (check) => runCheck(check, { client, precoroLedger: new PrecoroLedger() }),
      clock: { now: () => new Date(now) },
      config: ServiceConfig.parse({ secretPrefix: 'credval-test' }),
      onHandledError: (what) => handled.push(what),
    });
  });

  const createRequest = (apiKey = GOOD_KEY) => ({
    connector: 'dolibarr',
    name: 'ERP',
    fields: { baseUrl: sim.url, apiKey },
  });

  /** Every stored item has a readable secret, and every live secret belongs to a stored item. */
  async function expectConsistent(): Promise<Credential[]> {
    const { items } = await repository.list(TENANT, { limit: 100 });
    for (const item of items) expect(await memorySecrets.getCurrent(item.secretName)).toBeTruthy();
    const live = (await memorySecrets.names()).filter((name) => !memorySecrets.describe(name)?.deletion);
    expect(live.sort()).toEqual(items.map((i) => i.secretName).sort());
    return items;
  }

  describe('create', () => {
    it('stores the secret only in the secret store and the rest in the repository', async () => {
      const credential = await service.create(TENANT, createRequest());
      expect(credential).toMatchObject({ status: 'valid', version: 1, fields: { baseUrl: sim.url } });
      expect(JSON.stringify(await repository.get(TENANT, credential.id))).not.toContain(GOOD_KEY);
      expect(await memorySecrets.getCurrent(credential.secretName)).toEqual({ apiKey: GOOD_KEY });
      expect(credential.secretName).toBe(`credval-test/${TENANT}/${credential.id}`);
      expect(memorySecrets.describe(credential.secretName)?.tags).toMatchObject({
        tenantId: TENANT,
        credentialId: credential.id,
      });
      const history = await repository.listChecks(TENANT, credential.id, { limit: 10 });
      expect(history.items.map((h) => h.trigger)).toEqual(['create']);
      await expectConsistent();
    });

    it('never stores an invalid credential', async () => {
      await expect(service.create(TENANT, createRequest('wrong-key-0000000000'))).rejects.toMatchObject({
        code: 'credential_invalid',
        report: { reason: 'invalid_credentials' },
      });
      expect(secrets.calls).toEqual([]);
      expect(await expectConsistent()).toEqual([]);
    });

    it('refuses an inconclusive check unless allowUnverified, then stores it as unverified', async () => {
      const blocked = {
        connector: 'dolibarr',
        name: 'x',
        fields: { baseUrl: 'http://10.0.0.1', apiKey: GOOD_KEY },
      };
      // A refused destination is inconclusive too, but answered as a configuration problem, not "retry".
      await expect(service.create(TENANT, blocked)).rejects.toMatchObject({
        code: 'destination_not_allowed',
        report: { verdict: 'inconclusive', reason: 'blocked_destination' },
      });
      expect(await expectConsistent()).toEqual([]);
      const stored = await service.create(TENANT, { ...blocked, allowUnverified: true });
      expect(stored.status).toBe('unverified');
      await expectConsistent();
    });

    it('leaves nothing when the secret cannot be written', async () => {
      secrets.failOn('create');
      await expect(service.create(TENANT, createRequest())).rejects.toBeInstanceOf(StorageError);
      expect(await expectConsistent()).toEqual([]);
      expect(await memorySecrets.names()).toEqual([]);
    });

    it('a create that dies between its secret and its item leaves an orphan that the reconciliation schedules', async () => {
      // The process dies while the item is being written: nothing after it runs, not even the compensation.
      repository.create = () => new Promise<void>(() => undefined);
      void service.create(TENANT, createRequest());
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [orphan] = await memorySecrets.names();
      expect(orphan).toMatch(/^credval-test\/tenant-a\//);
      const reconcile = (at: number) =>
        reconcileSecrets({
          secrets,
          repository,
          clock: { now: () => new Date(at) },
          secretPrefix: 'credval-test',
          recoveryDays: 7,
          graceMs: 15 * 60_000,
        });
      // Within the grace period it may still be a create in flight: left alone.
      expect(await reconcile(Date.now())).toMatchObject({ examined: 1, orphans: 0, scheduled: 0 });
      expect(await reconcile(Date.now() + 3_600_000)).toMatchObject({
        examined: 1,
        orphans: 1,
        scheduled: 1,
      });
      expect(memorySecrets.describe(orphan ?? '')?.deletion).toBeTruthy();
    });

    it('deletes the new secret when the item cannot be written', async () => {
      repository.failOn('create');
      await expect(service.create(TENANT, createRequest())).rejects.toBeInstanceOf(StorageError);
      expect(secrets.calls).toEqual(['create', 'deleteNow']);
      expect(await memorySecrets.names()).toEqual([]);
      expect(await expectConsistent()).toEqual([]);
    });

    it('keeps the credential when only the history line cannot be written, and says so', async () => {
      repository.failOn('putCheck');
      const credential = await service.create(TENANT, createRequest());
      expect(await expectConsistent()).toHaveLength(1);
      expect(credential.status).toBe('valid');
      expect(handled).toEqual(['record a stored change (history entry, events)']);
    });
  });

  describe('rotation', () => {
    let original: Credential;
    beforeEach(async () => {
      original = await service.create(TENANT, createRequest());
      secrets.calls.length = 0;
      sim.setApiKey('svc', NEW_KEY); // the vendor now knows only the new key
    });

    it('checks the new secret in memory, writes it once as current and keeps the old one as previous', async () => {
      const updated = await service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } });
      expect(updated).toMatchObject({ status: 'valid', version: 2 });
      // Every secret field came with the request: the stored one is not even read.
      expect(secrets.calls).toEqual(['putCurrent']);
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: NEW_KEY });
      const stages = memorySecrets.describe(original.secretName)?.versions.map((v) => v.stages.join());
      expect(stages?.sort()).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
      expect(updated.secretVersion).toBe(rotationToken(original.id, 1));
      const history = await repository.listChecks(TENANT, original.id, { limit: 10 });
      expect(history.items.map((h) => h.trigger)).toEqual(['rotate', 'create']);
    });

    it('never writes a new secret the vendor refuses, and changes nothing', async () => {
      await expect(
        service.update(TENANT, original.id, { fields: { apiKey: 'refused-key-000000' } }),
      ).rejects.toMatchObject({
        code: 'credential_invalid',
      });
      expect(secrets.calls).toEqual([]);
      expect(memorySecrets.describe(original.secretName)?.versions).toHaveLength(1);
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: GOOD_KEY });
      expect(await repository.get(TENANT, original.id)).toEqual(original);
    });

    it('can retry a rotation after a refused one', async () => {
      await expect(
        service.update(TENANT, original.id, { fields: { apiKey: 'refused-key-000000' } }),
      ).rejects.toThrow();
      await expect(
        service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } }),
      ).resolves.toMatchObject({ status: 'valid' });
    });

    it('changes nothing when the new secret cannot be written', async () => {
      secrets.failOn('putCurrent');
      await expect(
        service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } }),
      ).rejects.toBeInstanceOf(StorageError);
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: GOOD_KEY });
      expect(await repository.get(TENANT, original.id)).toEqual(original);
    });

    it('gives the current label back to the old secret when the item cannot be written', async () => {
      repository.failOn('replace');
      await expect(
        service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } }),
      ).rejects.toBeInstanceOf(StorageError);
      expect(secrets.calls).toEqual(['putCurrent', 'revertCurrent']);
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: GOOD_KEY });
      expect(await repository.get(TENANT, original.id)).toEqual(original);
      await expectConsistent();
    });

    it('answers a retried rotation that was stored after all with the stored credential', async () => {
      const first = await service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } });
      // The same request again, based on the version it read before (its answer was lost): same token.
      const get = repository.get.bind(repository);
      let reads = 0;
      repository.get = async (tenantId, id) => (reads++ === 0 ? { ...original } : get(tenantId, id));
      await expect(
        service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } }),
      ).resolves.toMatchObject({ version: first.version, secretVersion: first.secretVersion });
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: NEW_KEY });
    });

    it('re-applies itself over a re-check that came in between, and keeps a rename made meanwhile', async () => {
      const replace = repository.replace.bind(repository);
      let raced = false;
      repository.replace = async (credential, expected) => {
        if (!raced) {
          raced = true;
          const stored = (await repository.get(TENANT, original.id)) as Credential;
          await replace({ ...stored, name: 'renamed meanwhile', version: expected + 1 }, expected);
        }
        return replace(credential, expected);
      };
      const updated = await service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } });
      expect(updated).toMatchObject({ name: 'renamed meanwhile', version: 3, status: 'valid' });
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: NEW_KEY });
      expect(await repository.get(TENANT, original.id)).toEqual(updated);
    });

    it('loses to a concurrent change of configuration: 409, and its value is no longer current', async () => {
      const replace = repository.replace.bind(repository);
      let raced = false;
      repository.replace = async (credential, expected) => {
        if (!raced) {
          raced = true;
          const stored = (await repository.get(TENANT, original.id)) as Credential;
          await replace(
            { ...stored, fields: { ...stored.fields, entity: '2' }, version: expected + 1 },
            expected,
          );
        }
        return replace(credential, expected);
      };
      await expect(
        service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } }),
      ).rejects.toMatchObject({
        code: 'version_conflict',
      });
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: GOOD_KEY });
      expect((await repository.get(TENANT, original.id))?.fields.entity).toBe('2');
    });

    it('lets one of two rotations of the same version win; the other gets 409 and its value is never stored', async () => {
      // NEW_KEY and OTHER_KEY both work at the vendor (two users).
      const results = await Promise.allSettled([
        service.update(TENANT, original.id, { fields: { apiKey: NEW_KEY } }),
        service.update(TENANT, original.id, { fields: { apiKey: OTHER_KEY } }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toMatchObject({ code: expect.stringMatching(/^(conflict|version_conflict)$/) });
      const winner = (won[0] as PromiseFulfilledResult<Credential>).value;
      expect(await repository.get(TENANT, original.id)).toEqual(winner);
      const winningKey = winner.lastCheck?.identity?.login === 'svc2' ? OTHER_KEY : NEW_KEY;
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: winningKey });
      // Two versions: the original and the winner's. The loser's value was never written.
      expect(
        memorySecrets
          .describe(original.secretName)
          ?.versions.map((v) => v.id)
          .sort(),
      ).toEqual([original.secretVersion, winner.secretVersion].sort());
    });
  });

  describe('edits', () => {
    it('renames without calling the vendor', async () => {
      const original = await service.create(TENANT, createRequest());
      sim.reset();
      const renamed = await service.update(TENANT, original.id, { name: 'New name', description: 'd' });
      expect(renamed).toMatchObject({ name: 'New name', description: 'd', version: 2 });
      expect(sim.requests).toHaveLength(0);
    });

    it('re-checks a changed non-secret field with the stored secret, merged on the server', async () => {
      const original = await service.create(TENANT, createRequest());
      sim.reset();
      const updated = await service.update(TENANT, original.id, { fields: { baseUrl: `${sim.url}/` } });
      expect(updated.status).toBe('valid');
      expect(sim.requests[0]?.headers.dolapikey).toBe(GOOD_KEY);
      expect(secrets.calls).not.toContain('putPending');
    });

    it('refuses an If-Match that is not the stored version', async () => {
      const original = await service.create(TENANT, createRequest());
      await expect(service.update(TENANT, original.id, { name: 'x' }, 7)).rejects.toMatchObject({
        code: 'precondition_failed',
      });
    });

    it('refuses an empty change', async () => {
      const original = await service.create(TENANT, createRequest());
      await expect(service.update(TENANT, original.id, {})).rejects.toMatchObject({ code: 'invalid_input' });
    });
  });

  describe('delete', () => {
    let original: Credential;
    beforeEach(async () => {
      original = await service.create(TENANT, createRequest());
    });

    it('schedules the secret for deletion, removes the item and keeps the history', async () => {
      await service.delete(TENANT, original.id);
      expect(await repository.get(TENANT, original.id)).toBeNull();
      expect(memorySecrets.describe(original.secretName)?.deletion).toBeTruthy();
      await expect(memorySecrets.getCurrent(original.secretName)).rejects.toMatchObject({
        code: 'secret_not_found',
      });
      expect((await repository.listChecks(TENANT, original.id, { limit: 10 })).items).toHaveLength(1);
      await expectConsistent();
    });

    it('deletes the item even when the secret cannot be scheduled; the reconciliation schedules it later', async () => {
      secrets.failOn('scheduleDeletion');
      await service.delete(TENANT, original.id);
      expect(await repository.get(TENANT, original.id)).toBeNull();
      expect(handled).toContain('schedule the deletion of a deleted credential’s secret');
      expect(memorySecrets.describe(original.secretName)?.deletion).toBeUndefined();
      const result = await reconcileSecrets({
        secrets,
        repository,
        clock: { now: () => new Date(Date.now() + 3_600_000) },
        secretPrefix: 'credval-test',
        recoveryDays: 7,
        graceMs: 15 * 60_000,
      });
      expect(result).toMatchObject({ examined: 1, orphans: 1, scheduled: 1 });
      expect(memorySecrets.describe(original.secretName)?.deletion).toBeTruthy();
    });

    it('changes nothing when the item cannot be deleted', async () => {
      secrets.calls.length = 0;
      repository.failOn('delete');
      await expect(service.delete(TENANT, original.id)).rejects.toBeInstanceOf(StorageError);
      expect(secrets.calls).toEqual([]);
      expect(await memorySecrets.getCurrent(original.secretName)).toEqual({ apiKey: GOOD_KEY });
      await expectConsistent();
    });

    it('answers a second delete 404 and never restores the secret', async () => {
      await service.delete(TENANT, original.id);
      await expect(service.delete(TENANT, original.id)).rejects.toMatchObject({ code: 'not_found' });
      expect(secrets.calls.filter((c) => c === 'restore')).toEqual([]);
      expect(memorySecrets.describe(original.secretName)?.deletion).toBeTruthy();
    });
  });

  describe('re-check', () => {
    it('marks a revoked key invalid only once a second check confirms it, and records the history', async () => {
      const original = await service.create(TENANT, createRequest());
      sim.revokeKey('svc');
      const first = await service.recheck(TENANT, original.id);
      expect(first).toMatchObject({ status: 'valid', lastCheck: { reason: 'invalid_credentials' } });
      expect(Date.parse(first.nextCheckAt ?? '')).toBeGreaterThanOrEqual(now + 5 * 60_000);
      expect(Date.parse(first.nextCheckAt ?? '')).toBeLessThanOrEqual(now + 5.5 * 60_000);
      now += 5 * 60_000;
      const confirmed = await service.recheck(TENANT, original.id);
      expect(confirmed).toMatchObject({ status: 'invalid', version: 3 });
      const history = await service.history(TENANT, original.id, { limit: 10 });
      expect(history.items.map((h) => `${h.trigger}:${h.statusBefore}->${h.statusAfter}`)).toEqual([
        'manual:valid->invalid',
        'manual:valid->valid',
        'create:null->valid',
      ]);
    });

    it('keeps the status when the vendor cannot be reached', async () => {
      const original = await service.create(TENANT, createRequest());
      await sim.close();
      try {
        const after = await service.recheck(TENANT, original.id);
        expect(after.status).toBe('valid');
        expect(after.lastCheck?.verdict).toBe('inconclusive');
      } finally {
        sim = await startDolibarrSimulator({
          users: [
            { id: 1, login: 'svc', apiKey: GOOD_KEY, rights: ['societe.lire'] },
            { id: 2, login: 'svc2', apiKey: OTHER_KEY, rights: ['societe.lire'] },
          ],
          failureDelayMs: 10,
          port: Number(new URL(original.fields.baseUrl ?? '').port),
        });
      }
    });
  });

  describe('tenants', () => {
    it("answers not_found for another tenant's credential on every use case", async () => {
      const credential = await service.create(TENANT, createRequest());
      for (const run of [
        () => service.get('tenant-b', credential.id),
        () => service.update('tenant-b', credential.id, { name: 'x' }),
        () => service.delete('tenant-b', credential.id),
        () => service.recheck('tenant-b', credential.id),
        () => service.history('tenant-b', credential.id, { limit: 5 }),
      ]) {
        await expect(run()).rejects.toMatchObject({ code: 'not_found' });
      }
      expect((await service.list('tenant-b', { limit: 10 })).items).toEqual([]);
    });
  });
});
