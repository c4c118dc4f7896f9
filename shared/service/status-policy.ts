import { type CredentialStatus, FRESH_MONITOR, type MonitorState } from '../domain/credential.ts';
import type { Verdict } from '../domain/report.ts';

/** The timing rules of revalidation (README "Revalidation and events"), all in milliseconds. */
export interface StatusPolicyConfig {
  /** Normal time between checks (CHECK_INTERVAL). */
  checkIntervalMs: number;
  /** A first rejection is confirmed by a second one at least this much later (INVALID_CONFIRM_AFTER). */
  invalidConfirmAfterMs: number;
  /** Inconclusive checks in a row that make a valid credential `degraded`. */
  degradedAfter: number;
  /** First back-off while invalid; it doubles with every further check, up to the cap. */
  invalidBackoffMs: number;
  invalidBackoffMaxMs: number;
}

export const DEFAULT_POLICY: StatusPolicyConfig = {
  checkIntervalMs: 6 * 3_600_000,
  invalidConfirmAfterMs: 5 * 60_000,
  degradedAfter: 3,
  invalidBackoffMs: 3_600_000,
  invalidBackoffMaxMs: 7 * 86_400_000,
};

export { FRESH_MONITOR };

export interface Transition {
  status: CredentialStatus;
  monitor: MonitorState;
  /** When the next check is due, before jitter. */
  nextCheckAt: Date;
  /** The next check is the regular one, `checkIntervalMs` from now (not a confirmation or a back-off). */
  regular: boolean;
}

/**
 * The status state machine, a pure function of the current status, what is pending, the verdict and the
 * time. Status changes need evidence: one valid check restores `valid`; `invalid` needs two definite
 * rejections at least `invalidConfirmAfterMs` apart; inconclusive checks can only make a valid credential
 * `degraded` after a streak, never `invalid`. Invalid credentials are re-checked with capped back-off.
 */
export function transition(
  current: { status: CredentialStatus; monitor: MonitorState },
  verdict: Verdict,
  now: Date,
  config: StatusPolicyConfig,
): Transition {
  const at = (ms: number) => new Date(now.getTime() + ms);
  const { status, monitor } = current;
  const backoff = (checks: number) =>
    at(Math.min(config.invalidBackoffMaxMs, config.invalidBackoffMs * 2 ** Math.max(0, checks - 1)));

  switch (verdict) {
    case 'valid':
      return {
        status: 'valid',
        monitor: { ...FRESH_MONITOR, lastCheckId: monitor.lastCheckId },
        nextCheckAt: at(config.checkIntervalMs),
        regular: true,
      };

    case 'invalid': {
      if (status === 'invalid') {
        const invalidChecks = monitor.invalidChecks + 1;
        return {
          status,
          monitor: { ...monitor, inconclusiveStreak: 0, invalidChecks },
          nextCheckAt: backoff(invalidChecks),
          regular: false,
        };
      }
      if (monitor.rejections === 0 || monitor.firstRejectedAt === null) {
        // First definite rejection: a key can be refused by a transient misconfiguration; confirm it later.
        return {
          status,
          monitor: { ...monitor, rejections: 1, firstRejectedAt: now.toISOString(), inconclusiveStreak: 0 },
          nextCheckAt: at(config.invalidConfirmAfterMs),
          regular: false,
        };
      }
      const confirmAt = new Date(Date.parse(monitor.firstRejectedAt) + config.invalidConfirmAfterMs);
      if (now.getTime() >= confirmAt.getTime()) {
        return {
          status: 'invalid',
          monitor: {
            ...monitor,
            rejections: monitor.rejections + 1,
            inconclusiveStreak: 0,
            invalidChecks: 1,
          },
          nextCheckAt: backoff(1),
          regular: false,
        };
      }
      // Rejected again, but too soon to count as confirmation (e.g. a manual re-check right after).
      return {
        status,
        monitor: { ...monitor, rejections: monitor.rejections + 1, inconclusiveStreak: 0 },
        nextCheckAt: confirmAt,
        regular: false,
      };
    }

    case 'inconclusive': {
      const inconclusiveStreak = monitor.inconclusiveStreak + 1;
      const next = { ...monitor, inconclusiveStreak };
      if (status === 'invalid')
        return {
          status,
          monitor: next,
          nextCheckAt: backoff(Math.max(1, monitor.invalidChecks)),
          regular: false,
        };
      const degraded = status === 'valid' && inconclusiveStreak >= config.degradedAfter;
      const pending = monitor.firstRejectedAt
        ? new Date(
            Math.max(
              now.getTime() + 60_000,
              Date.parse(monitor.firstRejectedAt) + config.invalidConfirmAfterMs,
            ),
          )
        : null;
      const confirming = pending !== null && pending.getTime() < now.getTime() + config.checkIntervalMs;
      return {
        status: degraded ? 'degraded' : status,
        monitor: next,
        nextCheckAt: confirming ? pending : at(config.checkIntervalMs),
        regular: !confirming,
      };
    }

    default: {
      const exhaustive: never = verdict;
      throw new Error(`unknown verdict ${String(exhaustive)}`);
    }
  }
}

/**
 * Spreads a due time later by up to `fraction` of its interval, so checks do not bunch up. Only later: a
 * confirmation must never come before INVALID_CONFIRM_AFTER.
 */
export function withJitter(due: Date, now: Date, fraction: number, random: () => number = Math.random): Date {
  const span = due.getTime() - now.getTime();
  if (span <= 0) return due;
  const offset = random() * fraction * span;
  return new Date(Math.round(due.getTime() + offset));
}
