import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CredentialStatus, MonitorState } from '../../shared/domain/credential.ts';
import type { Verdict } from '../../shared/domain/report.ts';
import { DEFAULT_POLICY, FRESH_MONITOR, transition, withJitter } from '../../shared/service/status-policy.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const policy = {
  ...DEFAULT_POLICY,
  checkIntervalMs: 6 * HOUR,
  invalidConfirmAfterMs: 5 * MIN,
  degradedAfter: 3,
};
const later = (ms: number) => new Date(NOW.getTime() + ms);
const STATUSES: CredentialStatus[] = ['valid', 'invalid', 'degraded', 'unverified'];

describe('status policy: every status meets every verdict (nothing pending)', () => {
  const expected: Record<CredentialStatus, Record<Verdict, { status: CredentialStatus; next: number }>> = {
    valid: {
      valid: { status: 'valid', next: 6 * HOUR },
      invalid: { status: 'valid', next: 5 * MIN },
      inconclusive: { status: 'valid', next: 6 * HOUR },
    },
    invalid: {
      valid: { status: 'valid', next: 6 * HOUR },
      invalid: { status: 'invalid', next: policy.invalidBackoffMs },
      inconclusive: { status: 'invalid', next: policy.invalidBackoffMs },
    },
    degraded: {
      valid: { status: 'valid', next: 6 * HOUR },
      invalid: { status: 'degraded', next: 5 * MIN },
      inconclusive: { status: 'degraded', next: 6 * HOUR },
    },
    unverified: {
      valid: { status: 'valid', next: 6 * HOUR },
      invalid: { status: 'unverified', next: 5 * MIN },
      inconclusive: { status: 'unverified', next: 6 * HOUR },
    },
  };
  for (const status of STATUSES) {
    for (const verdict of ['valid', 'invalid', 'inconclusive'] as const) {
      const want = expected[status][verdict];
      it(`${status} + ${verdict} → ${want.status}, next check in ${want.next / MIN} min`, () => {
        const t = transition({ status, monitor: FRESH_MONITOR }, verdict, NOW, policy);
        expect(t.status).toBe(want.status);
        expect(t.nextCheckAt).toEqual(later(want.next));
        // Regular: the interval a sweep's lease already set, so the worker may keep the leased time.
        expect(t.regular).toBe(want.next === policy.checkIntervalMs);
      });
    }
  }
});

describe('status policy: evidence before a change', () => {
  const pending: MonitorState = { ...FRESH_MONITOR, rejections: 1, firstRejectedAt: NOW.toISOString() };

  it('confirms a rejection with a second one at least INVALID_CONFIRM_AFTER later', () => {
    const t = transition({ status: 'valid', monitor: pending }, 'invalid', later(5 * MIN), policy);
    expect(t.status).toBe('invalid');
    expect(t.monitor.invalidChecks).toBe(1);
  });

  it('does not count a second rejection that comes too soon, and schedules the confirmation', () => {
    const t = transition({ status: 'valid', monitor: pending }, 'invalid', later(MIN), policy);
    expect(t.status).toBe('valid');
    expect(t.monitor.rejections).toBe(2);
    expect(t.nextCheckAt).toEqual(later(5 * MIN));
  });

  it('forgets a pending rejection after one valid check', () => {
    const t = transition({ status: 'valid', monitor: pending }, 'valid', later(5 * MIN), policy);
    expect(t).toMatchObject({ status: 'valid', monitor: { rejections: 0, firstRejectedAt: null } });
  });

  it('keeps a pending confirmation through an inconclusive check', () => {
    const t = transition({ status: 'valid', monitor: pending }, 'inconclusive', later(2 * MIN), policy);
    expect(t.status).toBe('valid');
    expect(t.monitor.firstRejectedAt).toBe(NOW.toISOString());
    expect(t.nextCheckAt).toEqual(later(5 * MIN));
    expect(t.regular).toBe(false);
  });

  it('makes a valid credential degraded after a streak of inconclusive checks, never invalid', () => {
    let state = { status: 'valid' as CredentialStatus, monitor: FRESH_MONITOR };
    const seen: CredentialStatus[] = [];
    for (let i = 0; i < 6; i++) {
      const t = transition(state, 'inconclusive', later(i * HOUR), policy);
      state = { status: t.status, monitor: t.monitor };
      seen.push(t.status);
    }
    expect(seen).toEqual(['valid', 'valid', 'degraded', 'degraded', 'degraded', 'degraded']);
  });

  it('restores valid from degraded with one valid check', () => {
    const t = transition(
      { status: 'degraded', monitor: { ...FRESH_MONITOR, inconclusiveStreak: 9 } },
      'valid',
      NOW,
      policy,
    );
    expect(t).toMatchObject({ status: 'valid', monitor: { inconclusiveStreak: 0 } });
  });

  it('backs off exponentially while invalid, up to the cap', () => {
    let state = { status: 'invalid' as CredentialStatus, monitor: { ...FRESH_MONITOR, invalidChecks: 1 } };
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t = transition(state, 'invalid', NOW, policy);
      waits.push(t.nextCheckAt.getTime() - NOW.getTime());
      state = { status: t.status, monitor: t.monitor };
    }
    expect(waits.slice(0, 4)).toEqual([2, 4, 8, 16].map((n) => n * policy.invalidBackoffMs));
    expect(Math.max(...waits)).toBe(policy.invalidBackoffMaxMs);
  });

  it('never turns anything invalid on inconclusive checks alone (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<CredentialStatus>('valid', 'degraded', 'unverified'),
        fc.array(fc.constantFrom<Verdict>('valid', 'inconclusive'), { maxLength: 30 }),
        (status, verdicts) => {
          let state = { status, monitor: FRESH_MONITOR };
          for (const verdict of verdicts) {
            const t = transition(state, verdict, NOW, policy);
            expect(t.status).not.toBe('invalid');
            state = { status: t.status, monitor: t.monitor };
          }
        },
      ),
    );
  });

  it('flips to invalid only after two rejections at least the confirmation time apart (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            verdict: fc.constantFrom<Verdict>('valid', 'invalid', 'inconclusive'),
            gap: fc.integer({ min: 0, max: 20 * MIN }),
          }),
          {
            maxLength: 25,
          },
        ),
        (steps) => {
          let state = { status: 'valid' as CredentialStatus, monitor: FRESH_MONITOR };
          let time = NOW.getTime();
          let firstRejection: number | null = null;
          for (const { verdict, gap } of steps) {
            time += gap;
            const t = transition(state, verdict, new Date(time), policy);
            if (verdict === 'valid') firstRejection = null;
            if (verdict === 'invalid' && firstRejection === null && state.status !== 'invalid')
              firstRejection = time;
            if (state.status !== 'invalid' && t.status === 'invalid') {
              expect(verdict).toBe('invalid');
              expect(time - (firstRejection ?? time)).toBeGreaterThanOrEqual(policy.invalidConfirmAfterMs);
            }
            state = { status: t.status, monitor: t.monitor };
          }
        },
      ),
    );
  });
});

describe('jitter', () => {
  it('only ever delays, by at most the fraction of the interval', () => {
    for (const r of [0, 0.25, 0.999]) {
      const due = later(HOUR);
      const spread = withJitter(due, NOW, 0.1, () => r);
      expect(spread.getTime()).toBeGreaterThanOrEqual(due.getTime());
      expect(spread.getTime()).toBeLessThanOrEqual(due.getTime() + 0.1 * HOUR);
    }
  });
});
