import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareCheck, runCheck } from '../../shared/connectors/check.ts';
import { PrecoroLedger } from '../../shared/connectors/precoro/request-ledger.ts';
import type { GuardedClient, OutboundRequest } from '../../shared/net/types.ts';
import { check, outcome, unlabelledFacts, warningCodes } from '../helpers/check.ts';
import { type PrecoroSimulator, startPrecoroSimulator } from '../simulators/precoro.ts';

const TOKEN = 'precoro-canary-token-6b2f9d1c';
const LIMITED = 'precoro-limited-token-3c8e0a4d';
const NO_USERS = 'precoro-nousers-token-8f1a2b3c';

describe('Precoro probe against the simulator', () => {
  let sim: PrecoroSimulator;
  beforeAll(async () => {
    sim = await startPrecoroSimulator({
      accounts: [
        {
          token: TOKEN,
          email: 'buyer@example.com',
          users: [
            { id: 11, email: 'other@example.com', firstName: 'Olga', lastName: 'Other' },
            { id: 12, email: 'buyer@example.com', firstName: 'Bea', lastName: 'Buyer' },
          ],
        },
        { token: LIMITED, email: 'clerk@example.com', resources: ['users', 'suppliers'] },
        { token: NO_USERS, email: 'viewer@example.com', resources: ['purchaseorders'] },
      ],
    });
  });
  afterAll(() => sim.close());

  const fields = (apiToken: string, email: string) => ({ apiToken, email, apiUrl: sim.url });

  it('accepts a token with one request: identity from the users list', async () => {
    sim.reset();
    const report = await check('precoro', fields(TOKEN, 'buyer@example.com'));
    expect(outcome(report)).toBe('valid:none');
    expect(report.identity).toMatchObject({ userId: 12, name: 'Bea Buyer', email: 'buyer@example.com' });
    expect(report.permissions).toEqual([{ resource: 'users', read: true, write: null }]);
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]?.headers['x-auth-token']).toBe(TOKEN);
    expect(sim.requests[0]?.headers.email).toBe('buyer@example.com');
    expect(sim.requests[0]?.path).toBe('/users?per_page=10');
    expect(unlabelledFacts('precoro', report.vendor)).toEqual([]);
  });

  it('probes each required resource once, at least a second apart, and breaks no limit', async () => {
    sim.reset();
    const report = await check('precoro', fields(LIMITED, 'clerk@example.com'), {
      requirements: [
        { resource: 'suppliers', access: ['read'] },
        { resource: 'purchaseorders', access: ['read'] },
      ],
    });
    expect(report.permissions).toEqual([
      { resource: 'users', read: true, write: null },
      { resource: 'suppliers', read: true, write: null },
      { resource: 'purchaseorders', read: false, write: null },
    ]);
    expect(outcome(report)).toBe('invalid:insufficient_permissions');
    const times = sim.requestTimes(LIMITED);
    expect(times).toHaveLength(3);
    for (let i = 1; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(990);
    expect(sim.violations).toEqual([]);
    expect(new Set(sim.requests.map((r) => r.path)).size).toBe(3);
  });

  it('accepts a token whose role cannot list users when another resource answers', async () => {
    const report = await check('precoro', fields(NO_USERS, 'viewer@example.com'));
    expect(outcome(report)).toBe('valid:none');
    expect(report.permissions).toEqual([
      { resource: 'users', read: false, write: null },
      { resource: 'purchaseorders', read: true, write: null },
    ]);
  });

  it('refuses a wrong token, and never sends it again within a minute', async () => {
    sim.reset();
    const ledger = new PrecoroLedger();
    const first = await check('precoro', fields('wrong-token-0000', 'buyer@example.com'), {
      precoroLedger: ledger,
    });
    expect(outcome(first)).toBe('invalid:invalid_credentials');
    expect(first.field).toBe('apiToken');
    const second = await check('precoro', fields('wrong-token-0000', 'buyer@example.com'), {
      precoroLedger: ledger,
    });
    expect(outcome(second)).toBe('invalid:invalid_credentials');
    expect(second.probes.map((p) => p.outcome)).toEqual(['cached']);
    expect(sim.requests).toHaveLength(1);
  });

  it("refuses a token sent with someone else's e-mail", async () => {
    const report = await check('precoro', fields(TOKEN, 'other@example.com'));
    expect(outcome(report)).toBe('invalid:invalid_credentials');
  });

  it('turns a revoked token from valid to invalid (across two ledgers, as across processes)', async () => {
    const token = 'precoro-revocable-token-1a2b3c4d';
    // Two processes share no ledger, so Precoro's own duplicate-GET rule would answer the second check with a
    // 429; this simulator relaxes its limits to look at revocation alone.
    const revocable = await startPrecoroSimulator({
      accounts: [{ token, email: 'r@example.com' }],
      duplicateWindowMs: 1,
      minIntervalMs: 1,
    });
    try {
      expect(
        outcome(await check('precoro', { apiToken: token, email: 'r@example.com', apiUrl: revocable.url })),
      ).toBe('valid:none');
      revocable.revokeToken(token);
      expect(
        outcome(await check('precoro', { apiToken: token, email: 'r@example.com', apiUrl: revocable.url })),
      ).toBe('invalid:invalid_credentials');
    } finally {
      await revocable.close();
    }
  });
});

describe('Precoro limits', () => {
  it('is rate_limited (inconclusive) with retryAfterSeconds when another client just used the account', async () => {
    const token = 'precoro-busy-token-5d6e7f80';
    const sim = await startPrecoroSimulator({
      accounts: [{ token, email: 'b@example.com' }],
      minIntervalMs: 5000,
    });
    try {
      // Another integration of the same account called a moment ago.
      await fetch(`${sim.url}/items?per_page=10`, {
        headers: { 'X-AUTH-TOKEN': token, email: 'b@example.com' },
      });
      const report = await check('precoro', { apiToken: token, email: 'b@example.com', apiUrl: sim.url });
      expect(outcome(report)).toBe('inconclusive:rate_limited');
      expect(report.retryable).toBe(true);
      expect(report.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(report.retryAfterSeconds).toBeLessThanOrEqual(6);
    } finally {
      await sim.close();
    }
  });

  it('says when the daily limit is used up', async () => {
    const token = 'precoro-daily-token-9a8b7c6d';
    const sim = await startPrecoroSimulator({ accounts: [{ token, email: 'd@example.com' }], dailyLimit: 0 });
    try {
      const report = await check('precoro', { apiToken: token, email: 'd@example.com', apiUrl: sim.url });
      expect(outcome(report)).toBe('inconclusive:rate_limited');
      expect(report.message).toMatch(/daily/);
    } finally {
      await sim.close();
    }
  });

  it('shares the duplicate-GET memory across checks in one process by default', async () => {
    const token = 'precoro-shared-token-4e5f6a7b';
    const sim = await startPrecoroSimulator({ accounts: [{ token, email: 's@example.com' }] });
    const { createGuardedClient } = await import('../../shared/net/guarded-client.ts');
    const client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
    try {
      const prepared = prepareCheck({
        connector: 'precoro',
        fields: { apiToken: token, email: 's@example.com', apiUrl: sim.url },
      });
      const first = await runCheck(prepared, { client });
      const second = await runCheck(prepared, { client });
      expect(outcome(first)).toBe('valid:none');
      expect(outcome(second)).toBe('valid:none');
      expect(second.probes[0]?.outcome).toBe('cached');
      expect(sim.requests).toHaveLength(1);
      expect(sim.violations).toEqual([]);
    } finally {
      await client.close();
      await sim.close();
    }
  });
});

describe('Precoro regional hosts', () => {
  /** A fake of our own port that records where requests would go, so no test resolves a public name. */
  function recordingClient(): GuardedClient & { urls: string[] } {
    const urls: string[] = [];
    return {
      urls,
      async request(request: OutboundRequest) {
        urls.push(request.url);
        return {
          ok: true,
          status: 401,
          headers: { 'content-type': 'application/json' },
          body: '{}',
          ms: 1,
          remoteAddress: null,
        };
      },
      async close() {},
    };
  }

  it.each([
    [{}, 'https://api.precoro.com/users?per_page=10'],
    [{ region: 'us' }, 'https://api.precoro.us/users?per_page=10'],
    [{ region: 'app.precoro.us' }, 'https://api.precoro.us/users?per_page=10'],
  ])('picks the host for %j and tries no other region after a refusal', async (extra, url) => {
    const client = recordingClient();
    const prepared = prepareCheck({
      connector: 'precoro',
      fields: { apiToken: 'tok-1234', email: 'a@example.com', ...extra },
    });
    const report = await runCheck(prepared, { client, precoroLedger: new PrecoroLedger() });
    expect(outcome(report)).toBe('invalid:invalid_credentials');
    expect(client.urls).toEqual([url]);
    expect(warningCodes(report)).not.toContain('insecure_http');
  });
});

describe('Precoro refusing the caller, not the key', () => {
  const token = 'precoro-blocked-token-2c4e6a8b';
  const email = 'blocked@example.com';

  it('reads an address block as inconclusive ip_not_allowed, retryable, and asks nothing more', async () => {
    const sim = await startPrecoroSimulator({ accounts: [{ token, email }] });
    try {
      sim.blockAddress('127.0.0.1');
      const report = await check(
        'precoro',
        { apiToken: token, email, apiUrl: sim.url },
        { requirements: [{ resource: 'purchaseorders', access: ['read'] }] },
      );
      expect(outcome(report)).toBe('inconclusive:ip_not_allowed');
      expect(report.retryable).toBe(true);
      expect(report.message).toMatch(/address/);
      expect(sim.requests).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('does not call a valid token invalid after failed logins got the address blocked', async () => {
    const sim = await startPrecoroSimulator({
      accounts: [{ token, email }],
      blockAfterFailedLogins: 2,
      minIntervalMs: 0,
    });
    try {
      for (const wrong of ['wrong-token-aaaa', 'wrong-token-bbbb']) {
        expect(outcome(await check('precoro', { apiToken: wrong, email, apiUrl: sim.url }))).toBe(
          'invalid:invalid_credentials',
        );
      }
      const report = await check('precoro', { apiToken: token, email, apiUrl: sim.url });
      expect(outcome(report)).toBe('inconclusive:ip_not_allowed');
    } finally {
      await sim.close();
    }
  });

  it('keeps what it learned when the block starts during the check', async () => {
    const sim = await startPrecoroSimulator({ accounts: [{ token, email }] });
    try {
      const checking = check(
        'precoro',
        { apiToken: token, email, apiUrl: sim.url },
        { requirements: [{ resource: 'purchaseorders', access: ['read'] }] },
      );
      // The next call waits a second for Precoro's pace: block the address in between.
      while (sim.requests.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      sim.blockAddress('127.0.0.1');
      const report = await checking;
      expect(outcome(report)).toBe('inconclusive:ip_not_allowed');
      expect(report.permissions).toEqual([{ resource: 'users', read: true, write: null }]);
      expect(sim.violations).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});

describe('Precoro within the check deadline', () => {
  it('stops at the deadline without breaking its pace, marks what it could not check, and sends nothing after', async () => {
    const token = 'precoro-deadline-token-7e8f9a0b';
    const sim = await startPrecoroSimulator({ accounts: [{ token, email: 'd@example.com' }] });
    const { createGuardedClient } = await import('../../shared/net/guarded-client.ts');
    const client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
    try {
      const resources = ['purchaseorders', 'invoices', 'suppliers', 'items', 'warehouses'];
      const prepared = prepareCheck({
        connector: 'precoro',
        fields: { apiToken: token, email: 'd@example.com', apiUrl: sim.url },
        requirements: resources.map((resource) => ({ resource, access: ['read'] })),
      });
      // One request a second: /users and at most two resources fit in 2.5 s.
      const report = await runCheck(prepared, {
        client,
        precoroLedger: new PrecoroLedger(),
        deadlineMs: 2_500,
      });
      const sent = sim.requests.length;
      expect(outcome(report)).toBe('inconclusive:timeout');
      expect(report.retryable).toBe(true);
      expect(sent).toBeLessThanOrEqual(3);
      expect(report.permissions[0]).toEqual({ resource: 'users', read: true, write: null });
      const unknown = report.permissions.filter((p) => p.read === null).map((p) => p.resource);
      expect(unknown).toEqual(expect.arrayContaining(['items', 'warehouses']));
      expect(sim.violations).toEqual([]);
      // Its pace would have sent the next call a second later: nothing comes.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(sim.requests).toHaveLength(sent);
    } finally {
      await client.close();
      await sim.close();
    }
  });
});
