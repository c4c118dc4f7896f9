import { describe, expect, it } from 'vitest';
import {
  classifyPrecoroUsers,
  precoroRateLimited,
  precoroRetryAfterSeconds,
} from '../../shared/connectors/precoro/classify.ts';
import { PrecoroLedger } from '../../shared/connectors/precoro/request-ledger.ts';
import type { OutboundResult } from '../../shared/net/types.ts';

type Answer = Extract<OutboundResult, { ok: true }>;
const json = (status: number, body: unknown): Answer => ({
  ok: true,
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
  ms: 1,
  remoteAddress: null,
});
const NOW = Date.parse('2025-12-16T09:00:00Z');

describe('Precoro classification (VENDORS.md 3.3 and 5.3; bodies unverified, statuses decide)', () => {
  it('takes a 200 with a data array as valid', () => {
    expect(classifyPrecoroUsers(json(200, { data: [{ id: 1 }], meta: {} }), NOW)).toEqual({
      kind: 'valid',
      users: [{ id: 1 }],
    });
  });

  it('takes a 401 as a definite rejection of the token', () => {
    const outcome = classifyPrecoroUsers(json(401, { message: 'Invalid credentials.' }), NOW);
    expect(outcome).toMatchObject({
      kind: 'finding',
      finding: { verdict: 'invalid', reason: 'invalid_credentials', field: 'apiToken' },
    });
  });

  it('leaves a 403 on /users to the other resources', () => {
    expect(classifyPrecoroUsers(json(403, {}), NOW)).toEqual({ kind: 'users_denied' });
  });

  it('reads the wait from a 429 body and stays inconclusive', () => {
    const body = {
      error: 'Too many requests for this endpoint',
      'RateLimit-Type': 'Route based limiter by minute',
      'RateLimit-Retry-After': '2025-12-16 09:00:49 UTC',
      'RateLimit-Limit': 1,
    };
    expect(precoroRetryAfterSeconds(body, NOW)).toBe(49);
    expect(precoroRateLimited(json(429, body), NOW)).toMatchObject({
      verdict: 'inconclusive',
      reason: 'rate_limited',
      retryable: true,
      retryAfterSeconds: 49,
    });
  });

  it('says when the daily limit is used up', () => {
    const finding = precoroRateLimited(json(429, { 'RateLimit-Type': 'Daily limiter' }), NOW);
    expect(finding.message).toMatch(/daily/);
    expect(finding.retryAfterSeconds).toBeNull();
  });

  it('takes an HTML page as not Precoro', () => {
    const page: Answer = {
      ...json(200, {}),
      headers: { 'content-type': 'text/html' },
      body: '<html>login</html>',
    };
    expect(classifyPrecoroUsers(page, NOW)).toMatchObject({
      kind: 'finding',
      finding: { reason: 'not_the_vendor' },
    });
  });
});

describe('PrecoroLedger', () => {
  function fakeClock() {
    let now = 1_000_000;
    const sleeps: number[] = [];
    return {
      sleeps,
      advance: (ms: number) => {
        now += ms;
      },
      clock: {
        now: () => now,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          now += ms;
        },
      },
    };
  }

  it("spaces an account's calls at least a second apart", async () => {
    const time = fakeClock();
    const ledger = new PrecoroLedger(time.clock);
    const account = ledger.account('token', 'a@example.com', 'api.precoro.com');
    const sentAt: number[] = [];
    const send = async () => {
      sentAt.push(time.clock.now());
      return json(200, { data: [] });
    };
    await Promise.all(['/users', '/invoices', '/suppliers'].map((u) => ledger.get(account, u, send)));
    expect(sentAt).toHaveLength(3);
    const gaps = sentAt.slice(1).map((at, i) => at - (sentAt[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  });

  it('answers the same GET within a minute from memory, and sends it again after', async () => {
    const time = fakeClock();
    const ledger = new PrecoroLedger(time.clock);
    const account = ledger.account('token', 'a@example.com', 'api.precoro.com');
    let sent = 0;
    const send = async () => {
      sent += 1;
      return json(401, {});
    };
    expect((await ledger.get(account, '/users', send)).cached).toBe(false);
    time.advance(30_000);
    const again = await ledger.get(account, '/users', send);
    expect(again.cached).toBe(true);
    expect(again.result).toMatchObject({ status: 401 });
    expect(sent).toBe(1);
    time.advance(31_000);
    expect((await ledger.get(account, '/users', send)).cached).toBe(false);
    expect(sent).toBe(2);
  });

  it('keeps accounts apart and does not hold the token in the account key', () => {
    const ledger = new PrecoroLedger();
    const a = ledger.account('token-aaaa', 'a@example.com', 'h');
    const b = ledger.account('token-bbbb', 'a@example.com', 'h');
    expect(a).not.toBe(b);
    expect(a).not.toContain('token');
  });

  it('does not remember a call that got no answer', async () => {
    const time = fakeClock();
    const ledger = new PrecoroLedger(time.clock);
    const account = ledger.account('t', 'e', 'h');
    let sent = 0;
    const send = async (): Promise<OutboundResult> => {
      sent += 1;
      return { ok: false, failure: 'timeout', detail: 'slow', ms: 1 };
    };
    await ledger.get(account, '/users', send);
    await ledger.get(account, '/users', send);
    expect(sent).toBe(2);
  });
});
