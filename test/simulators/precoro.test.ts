// The Precoro simulator has no recordings to replay; these tests pin the rules of VENDORS.md section 3.
import { afterEach, describe, expect, it } from 'vitest';
import {
  PRECORO_IP_BLOCKED_MESSAGE,
  type PrecoroConfig,
  type PrecoroSimulator,
  precoroRetryAfter,
  startPrecoroSimulator,
} from './precoro.ts';

const TOKEN = 'tok-0123456789abcdef';
const EMAIL = 'buyer@example.com';

let sim: PrecoroSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(overrides: Partial<PrecoroConfig> = {}): Promise<PrecoroSimulator> {
  sim = await startPrecoroSimulator({
    accounts: [
      {
        token: TOKEN,
        email: EMAIL,
        users: [{ id: 42, email: EMAIL, firstName: 'Bea', lastName: 'Buyer' }],
        resources: ['users', 'purchaseorders', 'suppliers'],
      },
    ],
    ...overrides,
  });
  return sim;
}

async function get(s: PrecoroSimulator, path: string, token = TOKEN, email = EMAIL) {
  const res = await fetch(`${s.url}${path}`, {
    headers: { 'X-AUTH-TOKEN': token, email, Accept: 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Precoro simulator', () => {
  it('lists users for a valid token and email', async () => {
    const s = await start({ minIntervalMs: 0 });
    const res = await get(s, '/users?per_page=10');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: [{ id: 42, email: EMAIL, firstName: 'Bea', lastName: 'Buyer', fullName: 'Bea Buyer' }],
      meta: {
        pagination: {
          total: 1,
          count: 1,
          per_page: 10,
          current_page: 1,
          total_pages: 1,
          has_next_page: false,
        },
      },
    });
    expect(s.violations).toEqual([]);
  });

  it('refuses a wrong token, an email that does not own the token and a revoked token with 401', async () => {
    const s = await start({ minIntervalMs: 0 });
    expect((await get(s, '/users?per_page=10', 'nope')).status).toBe(401);
    expect((await get(s, '/users?per_page=20', TOKEN, 'other@example.com')).status).toBe(401);
    s.revokeToken(TOKEN);
    const revoked = await get(s, '/users?per_page=50');
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual({ message: 'Invalid credentials.' });
  });

  it('answers 403 for a resource outside the account and 400 for a bad per_page', async () => {
    const s = await start({ minIntervalMs: 0 });
    expect((await get(s, '/invoices?per_page=10')).status).toBe(403);
    expect((await get(s, '/purchaseorders?per_page=10')).status).toBe(200);
    expect((await get(s, '/purchaseorders?per_page=15')).status).toBe(400);
  });

  it('allows one request per second per token', async () => {
    const s = await start();
    expect((await get(s, '/users?per_page=10')).status).toBe(200);
    const second = await get(s, '/purchaseorders?per_page=10');
    expect(second.status).toBe(429);
    expect(second.body['RateLimit-Type']).toBe('Rate limiter by second');
    expect(s.violations).toHaveLength(1);
    expect(s.violations[0]).toMatchObject({ token: TOKEN, path: '/purchaseorders?per_page=10' });
    expect(s.requestTimes(TOKEN)).toHaveLength(2);
  });

  it('refuses the same GET within a minute with the recorded limiter body', async () => {
    let now = Date.UTC(2025, 11, 16, 8, 59, 49);
    const s = await start({ now: () => now });
    expect((await get(s, '/users?per_page=10')).status).toBe(200);
    now += 2_000;
    const again = await get(s, '/users?per_page=10');
    expect(again.status).toBe(429);
    expect(again.body).toEqual({
      error: 'Too many requests for this endpoint',
      'RateLimit-Type': 'Route based limiter by minute',
      'RateLimit-Retry-After': '2025-12-16 09:00:49 UTC',
      'RateLimit-Limit': 1,
    });
    now += 2_000;
    expect((await get(s, '/users?per_page=20')).status).toBe(200);
    now += 60_000;
    expect((await get(s, '/users?per_page=10')).status).toBe(200);
    expect(s.violations.map((v) => v.type)).toEqual(['Route based limiter by minute']);
  });

  it('enforces the hourly and daily volumes', async () => {
    let now = Date.UTC(2026, 0, 1, 10, 0, 0);
    const s = await start({ now: () => now, minIntervalMs: 0, hourlyLimit: 3, dailyLimit: 4 });
    for (const perPage of [10, 20, 50]) expect((await get(s, `/users?per_page=${perPage}`)).status).toBe(200);
    const hourly = await get(s, '/users?per_page=100');
    expect(hourly.body['RateLimit-Type']).toBe('Hourly limiter');
    now += 3_600_000;
    expect((await get(s, '/users?per_page=200')).status).toBe(200);
    const daily = await get(s, '/suppliers?per_page=10');
    expect(daily.status).toBe(429);
    expect(daily.body['RateLimit-Type']).toBe('Daily limiter');
    expect(daily.body['RateLimit-Retry-After']).toBe(precoroRetryAfter(Date.UTC(2026, 0, 2, 10, 0, 0)));
    s.reset();
    expect(s.violations).toEqual([]);
    expect((await get(s, '/suppliers?per_page=10')).status).toBe(200);
  });

  it('blocks an address after failed logins: 403 for every request, a valid token included, until it expires', async () => {
    let now = Date.UTC(2026, 0, 1, 10, 0, 0);
    const s = await start({ now: () => now, minIntervalMs: 0, blockAfterFailedLogins: 2, blockMs: 60_000 });
    expect((await get(s, '/users?per_page=10', 'wrong-1')).status).toBe(401);
    expect((await get(s, '/users?per_page=10', 'wrong-2')).status).toBe(401);
    const blocked = await get(s, '/users?per_page=20');
    expect(blocked).toEqual({ status: 403, body: { message: PRECORO_IP_BLOCKED_MESSAGE } });
    expect((await get(s, '/purchaseorders?per_page=10')).status).toBe(403);
    now += 60_000;
    expect((await get(s, '/users?per_page=50')).status).toBe(200);
  });

  it('blocks and unblocks an address on demand', async () => {
    const s = await start({ minIntervalMs: 0 });
    s.blockAddress('127.0.0.1');
    expect((await get(s, '/users?per_page=10')).body).toEqual({ message: PRECORO_IP_BLOCKED_MESSAGE });
    s.unblockAddress('127.0.0.1');
    expect((await get(s, '/users?per_page=20')).status).toBe(200);
  });
});
