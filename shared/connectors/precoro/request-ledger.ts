import { createHmac, randomBytes } from 'node:crypto';
import type { OutboundResult } from '../../net/types.ts';

/** Precoro's published limits (README "What each check does"): one request per second; the same GET not within a minute. */
export const PRECORO_MIN_INTERVAL_MS = 1000;
export const PRECORO_DUPLICATE_WINDOW_MS = 60_000;

interface AccountState {
  queue: Promise<unknown>;
  lastAt: number;
  answers: Map<string, { at: number; result: Extract<OutboundResult, { ok: true }> }>;
}

/**
 * Keeps every Precoro call of this process within Precoro's rules, per account: calls run one at a time,
 * at least a second apart, and an identical GET within a minute is answered from the previous answer
 * instead of being sent again (which also means a rejected token is never retried within that minute).
 * Accounts are keyed by an HMAC of the token under a per-process random key, so no token is held here.
 */
export class PrecoroLedger {
  private readonly accounts = new Map<string, AccountState>();
  private readonly key = randomBytes(32);

  constructor(
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> } = {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    private readonly minIntervalMs = PRECORO_MIN_INTERVAL_MS,
    private readonly duplicateWindowMs = PRECORO_DUPLICATE_WINDOW_MS,
  ) {}

  /** An opaque account key for a token and e-mail at one API host. */
  account(token: string, email: string, host: string): string {
    return createHmac('sha256', this.key).update(`${host}\n${email}\n${token}`).digest('base64url');
  }

  /**
   * Runs `send` for a GET of `url` under the account's rules; `cached` says the answer was reused. When `signal`
   * aborts (the check's deadline) while the call still waits for its turn or its second, it is not sent and
   * `notSent` is the result at once; the account's other callers keep their places.
   */
  async get(
    account: string,
    url: string,
    send: () => Promise<OutboundResult>,
    options: { signal?: AbortSignal; notSent?: () => OutboundResult } = {},
  ): Promise<{ result: OutboundResult; cached: boolean }> {
    const { signal } = options;
    const skipped = () => ({
      result: options.notSent?.() ?? NOT_SENT,
      cached: false,
    });
    const state = this.state(account);
    const run = state.queue.then(async () => {
      if (signal?.aborted) return skipped();
      const now = this.clock.now();
      this.forgetOld(state, now);
      const previous = state.answers.get(url);
      if (previous) return { result: previous.result as OutboundResult, cached: true };
      const wait = state.lastAt + this.minIntervalMs - now;
      if (wait > 0 && !(await untilAborted(this.clock.sleep(wait), signal))) return skipped();
      const result = await send();
      state.lastAt = this.clock.now();
      if (result.ok) state.answers.set(url, { at: state.lastAt, result });
      return { result, cached: false };
    });
    state.queue = run.catch(() => undefined);
    return signal ? untilAbortedOr(run, signal, skipped) : run;
  }

  private state(account: string): AccountState {
    if (this.accounts.size > 1000) this.forgetIdleAccounts(this.clock.now());
    let state = this.accounts.get(account);
    if (!state) {
      state = { queue: Promise.resolve(), lastAt: Number.NEGATIVE_INFINITY, answers: new Map() };
      this.accounts.set(account, state);
    }
    return state;
  }

  /** Keeps a long-lived process from holding every account it ever checked. */
  private forgetIdleAccounts(now: number): void {
    for (const [account, state] of this.accounts) {
      if (now - state.lastAt >= this.duplicateWindowMs) this.accounts.delete(account);
    }
  }

  private forgetOld(state: AccountState, now: number): void {
    for (const [url, answer] of state.answers) {
      if (now - answer.at >= this.duplicateWindowMs) state.answers.delete(url);
    }
  }
}

const NOT_SENT: OutboundResult = {
  ok: false,
  failure: 'timeout',
  detail: 'The check ran out of time before this call could be sent.',
  ms: 0,
};

/** Waits for `work`; false when `signal` aborted first. */
async function untilAborted(work: Promise<unknown>, signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) {
    await work;
    return true;
  }
  const result = await untilAbortedOr(
    work.then(() => true),
    signal,
    () => false,
  );
  return result;
}

/** Waits for `work`, or answers `fallback()` as soon as `signal` aborts. */
function untilAbortedOr<T>(work: Promise<T>, signal: AbortSignal, fallback: () => T): Promise<T> {
  if (signal.aborted) return Promise.resolve(fallback());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => resolve(fallback());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The ledger shared by every Precoro check in this process (a warm Lambda, the local server, the CLI). */
export const processPrecoroLedger = new PrecoroLedger();
