/**
 * A counting semaphore whose waiters are served in arrival order and may give up: `acquire` resolves with a
 * release function, or with null when the signal aborts first (the waiter then takes no slot).
 */
export class Slots {
  private running = 0;
  private readonly waiting: Array<(granted: boolean) => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`a slot limit must be a positive integer: ${limit}`);
  }

  /** Slots taken now. */
  get inUse(): number {
    return this.running;
  }

  /** True when nothing runs and nobody waits (the owner may forget this object). */
  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }

  /** Waits for a slot; null when `signal` aborted before one was free. */
  async acquire(signal?: AbortSignal): Promise<(() => void) | null> {
    if (signal?.aborted) return null;
    if (this.running < this.limit && this.waiting.length === 0) {
      this.running += 1;
      return this.releaser();
    }
    const granted = await new Promise<boolean>((resolve) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(grant);
        if (at !== -1) this.waiting.splice(at, 1);
        resolve(false);
      };
      const grant = (ok: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return granted ? this.releaser() : null;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer can never overtake the queue.
      if (next) next(true);
      else this.running -= 1;
    };
  }
}
