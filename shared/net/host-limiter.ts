import { Slots } from './slots.ts';

/** Requests one process may have in flight at one destination host, whatever check or function sends them. */
export const DEFAULT_PER_HOST_LIMIT = 8;

/**
 * Bounds the requests in flight per destination host (`hostname:port`). One instance serves the whole process
 * (`processHostLimiter`), so the HTTP API and revalidation in a warm Lambda or the local server share it and
 * credval is never the reason a customer's server sees a burst. Idle hosts are forgotten.
 */
export class HostLimiter {
  private readonly hosts = new Map<string, Slots>();

  constructor(readonly perHost: number = DEFAULT_PER_HOST_LIMIT) {}

  /** Waits for a slot at `host`; resolves with its release function, or null when `signal` aborts first. */
  async acquire(host: string, signal?: AbortSignal): Promise<(() => void) | null> {
    const key = host.toLowerCase();
    let slots = this.hosts.get(key);
    if (!slots) {
      slots = new Slots(this.perHost);
      this.hosts.set(key, slots);
    }
    const release = await slots.acquire(signal);
    if (!release) {
      this.forgetIfIdle(key, slots);
      return null;
    }
    return () => {
      release();
      this.forgetIfIdle(key, slots);
    };
  }

  /** Requests in flight at `host` now. */
  inFlight(host: string): number {
    return this.hosts.get(host.toLowerCase())?.inUse ?? 0;
  }

  private forgetIfIdle(key: string, slots: Slots): void {
    if (slots.idle && this.hosts.get(key) === slots) this.hosts.delete(key);
  }
}

/** The per-host limit shared by every guarded client of this process. */
export const processHostLimiter = new HostLimiter();
