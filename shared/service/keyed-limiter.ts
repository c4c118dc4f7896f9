/**
 * Bounds how many tasks run at once per key (per vendor, per host). Waiters are served in order.
 */
export class KeyedLimiter {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limitOf: (key: string) => number) {}

  /** Runs `task` once fewer than the key's limit are running under every one of `keys`. */
  async run<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    for (const key of keys) await this.acquire(key);
    try {
      return await task();
    } finally {
      for (const key of keys) this.release(key);
    }
  }

  private async acquire(key: string): Promise<void> {
    const count = this.running.get(key) ?? 0;
    if (count < this.limitOf(key)) {
      this.running.set(key, count + 1);
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push(resolve);
      this.waiting.set(key, queue);
    });
  }

  private release(key: string): void {
    const next = this.waiting.get(key)?.shift();
    // Hand the slot straight to the next waiter, so the count never dips and gets overtaken.
    if (next) {
      next();
      return;
    }
    const count = (this.running.get(key) ?? 1) - 1;
    if (count <= 0) this.running.delete(key);
    else this.running.set(key, count);
  }
}
