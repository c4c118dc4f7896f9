import { createRequire } from 'node:module';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../shared/connectors/check.ts';
import type { Credential } from '../../shared/domain/credential.ts';
import type { CredentialEvent, RevalidationMessage } from '../../shared/domain/events.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import { DEFAULT_PER_HOST_LIMIT } from '../../shared/net/host-limiter.ts';
import type { GuardedClient } from '../../shared/net/types.ts';
import { ServiceConfig } from '../../shared/service/config.ts';
import { FRESH_MONITOR } from '../../shared/service/status-policy.ts';
import { SWEEP_DEFAULTS, type SweepResult } from '../../shared/service/sweep.ts';
import { DynamoCredentialRepository } from '../../shared/store/dynamo-credential-repository.ts';
import {
  createDocumentClient,
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';
import { MemorySecretStore } from '../../shared/store/memory-secret-store.ts';
import type { RevalidationQueue } from '../../shared/store/ports.ts';
import { revalidationOf } from '../helpers/revalidation.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';
import { type PrecoroSimulator, startPrecoroSimulator } from '../simulators/precoro.ts';

const PER_VENDOR = 334;
const DUE_EVERY = 10; // 7 of every 10 credentials are due at the first sweep
const REVOKE_EVERY = 11;
const T0 = Date.parse('2026-11-23T12:00:00Z');
const MIN = 60_000;
// dynalite's own item sizing: the formula DynamoDB documents and bills writes by.
const dynaliteDb = createRequire(import.meta.url)('dynalite/db/index.js') as {
  itemSize(item: Record<string, AttributeValue>): number;
};

class ArrayQueue implements RevalidationQueue {
  readonly messages: RevalidationMessage[] = [];
  /** Messages per send. */
  readonly sends: number[] = [];
  async send(messages: RevalidationMessage[]): Promise<void> {
    this.sends.push(messages.length);
    this.messages.push(...messages);
  }
}

describe('revalidation at scale: 1,000 credentials over three vendor simulators', () => {
  let dynamo: LocalDynamo;
  let scanner: DynamoDBClient;
  let repository: DynamoCredentialRepository;
  let secrets: MemorySecretStore;
  let dolibarr: DolibarrSimulator;
  let odoo: OdooSimulator;
  let precoro: PrecoroSimulator;
  let client: GuardedClient;
  const queue = new ArrayQueue();
  const events: CredentialEvent[] = [];
  let now = T0;
  let revalidation: ReturnType<typeof revalidationOf>;
  const all: Credential[] = [];
  const revoked = new Set<string>();
  const dueAtStart = new Set<string>();

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    scanner = createDynamoClient(dynamo.endpoint);
    await ensureCredentialsTable(scanner, 'credval-revalidation');
    repository = new DynamoCredentialRepository({
      client: createDocumentClient(dynamo.endpoint),
      tableName: 'credval-revalidation',
    });
    secrets = new MemorySecretStore();
    const ids = Array.from({ length: PER_VENDOR }, (_, i) => i);
    dolibarr = await startDolibarrSimulator({
      users: ids.map((i) => ({
        id: i + 10,
        login: `svc${i}`,
        apiKey: `dolibarr-key-${i}-0123456789`,
        rights: ['societe.lire'],
      })),
      failureDelayMs: 200, // the real vendor sleeps 1 s; shorter here to keep the suite fast
    });
    odoo = await startOdooSimulator({
      version: '19.0',
      databases: {
        acme: {
          users: ids.map((i) => ({
            uid: i + 10,
            login: `bot${i}@example.com`,
            password: `pw-${i}`,
            kind: 'internal' as const,
            apiKeys: [{ key: `odoo-key-${i}-`.padEnd(40, 'x') }],
          })),
        },
      },
    });
    precoro = await startPrecoroSimulator({
      accounts: ids.map((i) => ({ token: `precoro-token-${i}-abcdef`, email: `buyer${i}@example.com` })),
    });
    client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });

    const config = ServiceConfig.parse({ invalidConfirmAfterMs: 5 * MIN, checkIntervalMs: 6 * 3_600_000 });
    revalidation = revalidationOf({
      repository,
      secrets,
      queue,
      events: { publish: async (batch) => void events.push(...batch) },
      check: (check) => runCheck(check, { client }),
      clock: { now: () => new Date(now) },
      config,
    });

    const make = (
      i: number,
      connector: string,
      fields: Record<string, string>,
      secret: Record<string, string>,
    ) => {
      const id = `${connector}-${i}`;
      const due = i % DUE_EVERY < 7;
      const credential: Credential = {
        tenantId: `tenant-${i % 7}`,
        id,
        connector,
        name: id,
        description: '',
        fields,
        requirements: connector === 'odoo' ? [{ resource: 'res.partner', access: ['read'] }] : [],
        status: 'valid',
        lastCheck: null,
        version: 1,
        createdAt: new Date(T0 - 86_400_000).toISOString(),
        updatedAt: new Date(T0 - 86_400_000).toISOString(),
        nextCheckAt: new Date(due ? T0 - (i % 50) * MIN : T0 + 3 * 3_600_000).toISOString(),
        secretName: `credval/tenant-${i % 7}/${id}`,
        monitor: FRESH_MONITOR,
      };
      return { credential, secret, due };
    };
    const records = ids
      .flatMap((i) => [
        make(i, 'dolibarr', { baseUrl: dolibarr.url }, { apiKey: `dolibarr-key-${i}-0123456789` }),
        make(
          i,
          'odoo',
          { serverUrl: odoo.url, database: 'acme', username: `bot${i}@example.com` },
          { password: `odoo-key-${i}-`.padEnd(40, 'x') },
        ),
        make(
          i,
          'precoro',
          { email: `buyer${i}@example.com`, apiUrl: precoro.url },
          { apiToken: `precoro-token-${i}-abcdef` },
        ),
      ])
      .slice(0, 1000);
    for (const { credential, secret, due } of records) {
      all.push(credential);
      if (due) dueAtStart.add(credential.id);
      await repository.create(credential);
      await secrets.create(credential.secretName, secret, {
        requestToken: `${credential.id}`.padEnd(32, '0'),
        tags: { tenantId: credential.tenantId, credentialId: credential.id, connector: credential.connector },
      });
    }
    // Revoke some keys in the vendors themselves.
    ids
      .filter((i) => i % REVOKE_EVERY === 0)
      .forEach((i) => {
        dolibarr.revokeKey(`svc${i}`);
        odoo.revokeApiKey('acme', `odoo-key-${i}-`.padEnd(40, 'x'));
        precoro.revokeToken(`precoro-token-${i}-abcdef`);
        for (const c of ['dolibarr', 'odoo', 'precoro'])
          if (all.some((x) => x.id === `${c}-${i}`)) revoked.add(`${c}-${i}`);
      });
  }, 120_000);

  afterAll(async () => {
    await client.close();
    await Promise.all([dolibarr.close(), odoo.close(), precoro.close()]);
    scanner.destroy();
    await dynamo.close();
  });

  /** Delivers queued messages in SQS-sized batches, the batch's items in parallel, as the Lambda would. */
  async function drain(): Promise<Map<string, number>> {
    const outcomes = new Map<string, number>();
    while (queue.messages.length > 0) {
      const batch = queue.messages.splice(0, 10);
      const results = await Promise.all(batch.map((m) => revalidation.work(m)));
      for (const r of results) outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
    }
    return outcomes;
  }

  it('the first sweep queues exactly the due credentials; nothing flips on a first rejection', async () => {
    // Leases in flight, to see that the sweep writes them concurrently and within its bound.
    const lease = repository.lease.bind(repository);
    let leasing = 0;
    let maxLeasing = 0;
    repository.lease = async (...args) => {
      maxLeasing = Math.max(maxLeasing, ++leasing);
      try {
        return await lease(...args);
      } finally {
        leasing -= 1;
      }
    };
    let sweep: SweepResult;
    try {
      sweep = await revalidation.sweep();
    } finally {
      repository.lease = lease;
    }
    expect(sweep.due).toBe(dueAtStart.size);
    expect(sweep.queued).toBe(dueAtStart.size);
    expect(new Set(queue.messages.map((m) => m.credentialId))).toEqual(dueAtStart);
    expect(queue.messages).toHaveLength(dueAtStart.size); // none twice
    expect(maxLeasing).toBeGreaterThan(1);
    expect(maxLeasing).toBeLessThanOrEqual(SWEEP_DEFAULTS.leaseConcurrency);
    // Queued in batches of at most ten (one SQS SendMessageBatch each), short only at the end of a page.
    for (const size of queue.sends) expect(size).toBeGreaterThan(0);
    for (const size of queue.sends) expect(size).toBeLessThanOrEqual(10);
    expect(queue.sends.length).toBeLessThanOrEqual(
      Math.ceil(dueAtStart.size / 10) + 16 * Math.ceil(dueAtStart.size / 16 / 100 + 1),
    );

    const outcomes = await drain();
    expect(outcomes.get('checked')).toBe(dueAtStart.size);
    for (const sim of [dolibarr, odoo, precoro])
      expect(sim.stats.maxConcurrent).toBeLessThanOrEqual(DEFAULT_PER_HOST_LIMIT);
    expect(precoro.violations).toEqual([]);
    expect(events.filter((e) => e.detailType === 'CredentialChecked')).toHaveLength(dueAtStart.size);
    expect(events.filter((e) => e.detailType === 'CredentialStatusChanged')).toEqual([]);
    const rejected = events.filter(
      (e) => e.detailType === 'CredentialChecked' && e.detail.verdict === 'invalid',
    );
    expect(new Set(rejected.map((e) => e.detail.credentialId))).toEqual(
      new Set([...revoked].filter((id) => dueAtStart.has(id))),
    );
  }, 120_000);

  it('a second sweep after INVALID_CONFIRM_AFTER re-checks only the rejected ones and flips exactly those', async () => {
    events.length = 0;
    now = T0 + 6 * MIN; // confirmation due (5 min, jittered by at most 10 %)
    const before = new Map(
      (await Promise.all(all.map((c) => repository.get(c.tenantId, c.id)))).map((c) => [c?.id, c]),
    );
    const sweep = await revalidation.sweep();
    const expected = new Set([...revoked].filter((id) => dueAtStart.has(id)));
    expect(new Set(queue.messages.map((m) => m.credentialId))).toEqual(expected);
    expect(sweep.queued).toBe(expected.size);
    await drain();

    const flips = events.filter((e) => e.detailType === 'CredentialStatusChanged');
    expect(flips).toHaveLength(expected.size);
    expect(new Set(flips.map((e) => e.detail.credentialId))).toEqual(expected);
    for (const e of flips)
      expect(e.detail).toMatchObject({ from: 'valid', to: 'invalid', reason: 'invalid_credentials' });

    for (const credential of all) {
      const after = await repository.get(credential.tenantId, credential.id);
      if (expected.has(credential.id)) expect(after?.status).toBe('invalid');
      else {
        expect(after?.status).toBe('valid');
        expect(after?.version).toBe(before.get(credential.id)?.version); // untouched
      }
    }
    for (const sim of [dolibarr, odoo, precoro])
      expect(sim.stats.maxConcurrent).toBeLessThanOrEqual(DEFAULT_PER_HOST_LIMIT);
  }, 120_000);

  it('keeps one history entry per check', async () => {
    const sample = [...revoked].filter((id) => dueAtStart.has(id)).slice(0, 5);
    for (const id of sample) {
      const c = all.find((x) => x.id === id) as Credential;
      const history = await repository.listChecks(c.tenantId, c.id, { limit: 10 });
      expect(history.items.map((h) => `${h.statusBefore}->${h.statusAfter}`)).toEqual([
        'valid->invalid',
        'valid->valid',
      ]);
    }
  });

  it('stores every checked credential and every history entry within one write unit (1 kB), reports packed', async () => {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await scanner.send(
        new ScanCommand({ TableName: 'credval-revalidation', ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const checked = items.filter((item) => item.kind?.S === 'credential' && item.lastCheck?.B);
    const history = items.filter((item) => item.kind?.S === 'check');
    expect(checked.length).toBeGreaterThanOrEqual(dueAtStart.size);
    expect(history.length).toBeGreaterThanOrEqual(dueAtStart.size);
    // DynamoDB's sizing (attribute names plus values): what it bills a write by, in 1 kB steps.
    const largest = (list: typeof items) => Math.max(...list.map((item) => dynaliteDb.itemSize(item)));
    expect(largest(checked)).toBeLessThanOrEqual(1024);
    expect(largest(history)).toBeLessThanOrEqual(1024);
    // And packed reports read back whole: the stored report is the one the vendor check returned.
    const sample = all.find(
      (c) => c.connector === 'odoo' && dueAtStart.has(c.id) && !revoked.has(c.id),
    ) as Credential;
    const stored = await repository.get(sample.tenantId, sample.id);
    expect(stored?.lastCheck?.vendor).toMatchObject({ product: 'odoo', version: '19.0' });
    expect(stored?.lastCheck?.probes.length).toBeGreaterThan(3);
  });
});
