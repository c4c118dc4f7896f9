// A vendor that refuses the caller (Precoro blocking credval's address after failed logins) says nothing about
// the key: revalidation must never count it toward `invalid`, however often it happens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../shared/connectors/check.ts';
import { PrecoroLedger } from '../../shared/connectors/precoro/request-ledger.ts';
import type { Credential } from '../../shared/domain/credential.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import type { GuardedClient } from '../../shared/net/types.ts';
import { ServiceConfig } from '../../shared/service/config.ts';
import { FRESH_MONITOR } from '../../shared/service/status-policy.ts';
import { MemoryCredentialRepository } from '../../shared/store/memory-credential-repository.ts';
import { MemorySecretStore } from '../../shared/store/memory-secret-store.ts';
import { LOOPBACK_ALLOWED } from '../helpers/check.ts';
import { revalidationOf } from '../helpers/revalidation.ts';
import { type PrecoroSimulator, startPrecoroSimulator } from '../simulators/precoro.ts';

const TOKEN = 'precoro-address-block-token-1f2e3d4c';
const EMAIL = 'ops@example.com';
const T0 = Date.parse('2026-11-23T12:00:00Z');
const MIN = 60_000;

describe('revalidation and a vendor that blocks credval’s address', () => {
  let sim: PrecoroSimulator;
  let client: GuardedClient;
  let repository: MemoryCredentialRepository;
  let revalidation: ReturnType<typeof revalidationOf>;
  let now = T0;
  const credential: Credential = {
    tenantId: 'tenant-block',
    id: 'precoro-blocked',
    connector: 'precoro',
    name: 'Precoro',
    description: '',
    fields: { email: EMAIL, apiUrl: '' },
    requirements: [],
    status: 'valid',
    lastCheck: null,
    version: 1,
    createdAt: new Date(T0 - 86_400_000).toISOString(),
    updatedAt: new Date(T0 - 86_400_000).toISOString(),
    nextCheckAt: new Date(T0).toISOString(),
    secretName: 'credval/tenant-block/precoro-blocked',
    monitor: FRESH_MONITOR,
  };

  beforeAll(async () => {
    // Separate processes share no ledger: Precoro's duplicate-GET rule is relaxed to look at the block alone.
    sim = await startPrecoroSimulator({
      accounts: [{ token: TOKEN, email: EMAIL }],
      duplicateWindowMs: 1,
      minIntervalMs: 1,
    });
    client = createGuardedClient({ egressAllow: LOOPBACK_ALLOWED });
    repository = new MemoryCredentialRepository();
    const secrets = new MemorySecretStore();
    await repository.create({ ...credential, fields: { email: EMAIL, apiUrl: sim.url } });
    await secrets.create(
      credential.secretName,
      { apiToken: TOKEN },
      {
        requestToken: 'precoro-blocked'.padEnd(32, '0'),
        tags: { tenantId: credential.tenantId, credentialId: credential.id, connector: 'precoro' },
      },
    );
    revalidation = revalidationOf({
      repository,
      secrets,
      events: { publish: async () => undefined },
      check: (check) => runCheck(check, { client, precoroLedger: new PrecoroLedger() }),
      clock: { now: () => new Date(now) },
      config: ServiceConfig.parse({ invalidConfirmAfterMs: 5 * MIN }),
    });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  const recheck = async (n: number) => {
    const current = await repository.get(credential.tenantId, credential.id);
    expect(current).not.toBeNull();
    const outcome = await revalidation.work({
      tenantId: credential.tenantId,
      credentialId: credential.id,
      version: current?.version ?? null,
      checkId: `test:${n}`,
      trigger: 'event',
      cause: 'revalidation_requested',
    });
    expect(outcome).toBe('checked');
    return repository.get(credential.tenantId, credential.id);
  };

  it('never flips a valid credential to invalid while the address is blocked, and recovers once it is not', async () => {
    sim.blockAddress('127.0.0.1');
    for (let n = 1; n <= 4; n++) {
      now = T0 + n * 10 * MIN; // well past INVALID_CONFIRM_AFTER each time
      const after = await recheck(n);
      expect(after?.lastCheck).toMatchObject({
        verdict: 'inconclusive',
        reason: 'ip_not_allowed',
        retryable: true,
      });
      expect(after?.status).toBe(n < 3 ? 'valid' : 'degraded');
      expect(after?.monitor.rejections).toBe(0);
    }
    sim.unblockAddress('127.0.0.1');
    now = T0 + 60 * MIN;
    const recovered = await recheck(5);
    expect(recovered?.status).toBe('valid');
    expect(recovered?.lastCheck?.verdict).toBe('valid');
  });
});
