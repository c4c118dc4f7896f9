import { setMaxListeners } from 'node:events';
import { Slots } from '../net/slots.ts';
import type { OutboundResult } from '../net/types.ts';

/** How long one check may take when nobody says otherwise: well inside API Gateway's 30 s (CHECK_DEADLINE). */
export const DEFAULT_CHECK_DEADLINE_MS = 20_000;

/**
 * Vendor calls one check may have in flight at once. Five lets an Odoo check with four requirements read and
 * write (ten independent calls after version and login) finish in two more round trips; the process-wide
 * per-host limit (shared/net/host-limiter.ts) is what bounds the load on one server across checks.
 */
export const PER_CHECK_CONCURRENCY = 5;

/** The most requirements a check may name, whatever the connector (some allow fewer: `maxRequirements`). */
export const MAX_REQUIREMENTS = 50;

/** How long a probe may take to wind down after its deadline before the report is made without it. */
const WIND_DOWN_MS = 250;
/** Node fires longer timers at once. */
const MAX_TIMER_MS = 2_147_483_647;

type Failure = Extract<OutboundResult, { ok: false }>;

/**
 * The time and concurrency of one check: a deadline after which no vendor call starts and every call in flight
 * is cut off, and a small number of calls in flight at once. After the answer (`close`), nothing more is sent.
 */
export class CheckBudget {
  readonly deadlineMs: number;
  private readonly controller = new AbortController();
  private readonly slots: Slots;
  private readonly timer: ReturnType<typeof setTimeout>;
  private expiredFlag = false;
  private cutShortFlag = false;

  constructor(options: { deadlineMs?: number; concurrency?: number } = {}) {
    this.deadlineMs = Math.min(positiveOr(options.deadlineMs, DEFAULT_CHECK_DEADLINE_MS), MAX_TIMER_MS);
    // Every call and every waiter listens to this one signal (and removes its listener when done).
    setMaxListeners(0, this.controller.signal);
    this.slots = new Slots(Math.max(1, Math.floor(options.concurrency ?? PER_CHECK_CONCURRENCY)));
    this.timer = setTimeout(() => {
      this.expiredFlag = true;
      this.controller.abort(new Error('the check deadline passed'));
    }, this.deadlineMs);
  }

  /** Aborts when the deadline passes or the check is over. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the deadline has passed. */
  get expired(): boolean {
    return this.expiredFlag;
  }

  /** True when the deadline stopped a call from being sent or cut one off: the check is incomplete. */
  get cutShort(): boolean {
    return this.cutShortFlag;
  }

  /**
   * Sends one call within the budget: waits for a free slot, then calls `send` with the signal to hand to the
   * client. Past the deadline (or after `close`) nothing is sent and a `timeout` failure comes back.
   */
  async call(send: (signal: AbortSignal) => Promise<OutboundResult>): Promise<OutboundResult> {
    const release = await this.slots.acquire(this.signal);
    if (!release) return this.notSent();
    try {
      const result = await send(this.signal);
      if (!result.ok && this.expiredFlag) this.cutShortFlag = true;
      return result;
    } finally {
      release();
    }
  }

  /** The result of a call the deadline kept from being sent. */
  notSent(): Failure {
    if (this.expiredFlag) this.cutShortFlag = true;
    return {
      ok: false,
      failure: 'timeout',
      detail: 'The check ran out of time before this call could be sent.',
      ms: 0,
    };
  }

  /**
   * Waits for the probe, but not much past the deadline: once it passes, calls end at once and the probe
   * winds down; if it has not within a moment, the answer is made without it (null).
   */
  async race<T>(work: Promise<T>): Promise<T | null> {
    let windDown: ReturnType<typeof setTimeout> | undefined;
    let start = () => {};
    const late = new Promise<null>((resolve) => {
      start = () => {
        windDown = setTimeout(() => resolve(null), WIND_DOWN_MS);
      };
    });
    if (this.signal.aborted) start();
    else this.signal.addEventListener('abort', start, { once: true });
    try {
      return await Promise.race([work, late]);
    } finally {
      this.signal.removeEventListener('abort', start);
      clearTimeout(windDown);
    }
  }

  /** Ends the check: no call starts any more, and any still in flight is cut off. */
  close(): void {
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.controller.abort(new Error('the check is over'));
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
