import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { reconcileSecrets } from '../../shared/service/reconcile-secrets.ts';
import { MemorySecretStore } from '../../shared/store/memory-secret-store.ts';

const PREFIX = 'credval-test';
const HOUR = 3_600_000;

/** Secrets for `count` credentials of one tenant; every seventh has no credential item (an orphan). */
async function seed(secrets: MemorySecretStore, count: number) {
  const owned = new Set<string>();
  const orphans: string[] = [];
  for (let n = 0; n < count; n++) {
    const credentialId = randomUUID();
    const name = `${PREFIX}/tenant-r/${credentialId}`;
    await secrets.create(
      name,
      { apiKey: `canary-${n}` },
      { requestToken: randomUUID(), tags: { tenantId: 'tenant-r', credentialId, connector: 'dolibarr' } },
    );
    if (n % 7 === 3) orphans.push(name);
    else owned.add(credentialId);
  }
  return { owned, orphans };
}

describe('reconcileSecrets over many pages', () => {
  it('finds every orphan across pages, looking a page up at once but never more than a page in flight', async () => {
    const secrets = new MemorySecretStore();
    const { owned, orphans } = await seed(secrets, 250);
    let inFlight = 0;
    let maxInFlight = 0;
    const repository = {
      get: async (tenantId: string, id: string) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight -= 1;
        return owned.has(id) ? ({ tenantId, id } as never) : null;
      },
    };

    const result = await reconcileSecrets({
      secrets,
      repository,
      clock: { now: () => new Date(Date.now() + HOUR) },
      secretPrefix: PREFIX,
      recoveryDays: 7,
      graceMs: 15 * 60_000,
    });

    expect(result).toEqual({
      examined: 250,
      orphans: orphans.length,
      scheduled: orphans.length,
      failed: 0,
      foreign: 0,
    });
    for (const name of orphans) expect(secrets.describe(name)?.deletion).toBeTruthy();
    const kept = (await secrets.names()).filter((name) => !orphans.includes(name));
    expect(kept).toHaveLength(250 - orphans.length);
    for (const name of kept) expect(secrets.describe(name)?.deletion).toBeUndefined();
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(100);

    // A second run finds nothing new: the orphans are scheduled, and skipped as such.
    expect(
      await reconcileSecrets({
        secrets,
        repository,
        clock: { now: () => new Date(Date.now() + HOUR) },
        secretPrefix: PREFIX,
        recoveryDays: 7,
        graceMs: 15 * 60_000,
      }),
    ).toMatchObject({ examined: 250 - orphans.length, orphans: 0 });
  });
});
