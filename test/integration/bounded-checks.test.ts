import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareCheck, runCheck } from '../../shared/connectors/check.ts';
import { PER_CHECK_CONCURRENCY } from '../../shared/connectors/check-budget.ts';
import type { Requirement } from '../../shared/domain/report.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import { DEFAULT_PER_HOST_LIMIT } from '../../shared/net/host-limiter.ts';
import { LOOPBACK_ALLOWED, outcome } from '../helpers/check.ts';
import { startHoldingProxy } from '../helpers/holding-proxy.ts';
import { ODOO_SECRETS, odooRecordedConfig } from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';

const MODELS = ['res.partner', 'purchase.order', 'account.move', 'res.company'];
const REQUIREMENTS: Requirement[] = MODELS.map((resource) => ({ resource, access: ['read', 'write'] }));
/** The models whose access checks the slow vendor never answers. */
const SLOW_MODELS = /purchase\.order|account\.move|res\.company/;
/** Long enough for the fast calls on a busy machine; the slow ones never answer at all. */
const DEADLINE_MS = 2_000;
/** How long the test watches for calls after the answer. */
const WATCH_AFTER_MS = 500;

describe.each([
  ['18.0', 'XML-RPC with the password', '<PASSWORD:ADMIN>'],
  ['19.0', 'JSON-2 with the API key', '<KEY:ADMIN>'],
] as const)('one deadline per check, Odoo %s (%s)', (version, _how, secret) => {
  let sim: OdooSimulator;
  beforeAll(async () => {
    sim = await startOdooSimulator(odooRecordedConfig(version));
  });
  afterAll(() => sim.close());

  it('answers timeout with what it learned, cuts off calls in flight, starts none after, and calls nothing after the answer', async () => {
    const vendor = await startHoldingProxy(
      sim.url,
      (r) =>
        (r.body.includes('check_access_rights') || r.path.includes('/check_access_rights')) &&
        SLOW_MODELS.test(`${r.path} ${r.body}`),
    );
    const client = createGuardedClient({ egressAllow: LOOPBACK_ALLOWED });
    try {
      const check = prepareCheck({
        connector: 'odoo',
        fields: {
          serverUrl: vendor.url,
          database: 'acme',
          username: 'admin',
          password: ODOO_SECRETS[secret] ?? '',
        },
        requirements: REQUIREMENTS,
      });
      const report = await runCheck(check, { client, deadlineMs: DEADLINE_MS });
      const atAnswer = vendor.arrivals();

      expect(outcome(report)).toBe('inconclusive:timeout');
      expect(report.retryable).toBe(true);
      expect(report.identity).toMatchObject({ login: 'admin', admin: true });
      expect(report.permissions).toEqual([
        { resource: 'res.partner', read: true, write: true },
        ...MODELS.slice(1).map((resource) => ({ resource, read: null, write: null })),
      ]);
      // version, login, own user, admin test and res.partner's two answered; then the slow ones filled the
      // check's slots and the last one was never sent.
      expect(atAnswer).toBe(6 + PER_CHECK_CONCURRENCY);

      await new Promise((resolve) => setTimeout(resolve, WATCH_AFTER_MS));
      expect(vendor.arrivals()).toBe(atAnswer);
      expect(vendor.cutOff()).toBe(PER_CHECK_CONCURRENCY);
    } finally {
      await client.close();
      await vendor.close();
    }
  });
});

describe('requests in flight per host, across every check of the process', () => {
  let sim: OdooSimulator;
  beforeAll(async () => {
    // A little latency so that checks overlap.
    sim = await startOdooSimulator(odooRecordedConfig('19.0', { latencyMs: 30 }));
  });
  afterAll(() => sim.close());

  it(`keeps 20 concurrent checks through two clients (the API and revalidation) at ${DEFAULT_PER_HOST_LIMIT} calls at one host`, async () => {
    const clients = [
      createGuardedClient({ egressAllow: LOOPBACK_ALLOWED }),
      createGuardedClient({ egressAllow: LOOPBACK_ALLOWED }),
    ] as const;
    try {
      const check = prepareCheck({
        connector: 'odoo',
        fields: {
          serverUrl: sim.url,
          database: 'acme',
          username: 'admin',
          password: ODOO_SECRETS['<KEY:ADMIN>'] ?? '',
        },
        requirements: REQUIREMENTS,
      });
      sim.reset();
      const reports = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          runCheck(check, { client: i % 2 === 0 ? clients[0] : clients[1] }),
        ),
      );
      expect(reports.map(outcome)).toEqual(Array(20).fill('valid:none'));
      expect(sim.stats.total).toBe(20 * 12);
      expect(sim.stats.maxConcurrent).toBe(DEFAULT_PER_HOST_LIMIT);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
