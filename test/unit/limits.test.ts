import { describe, expect, it } from 'vitest';
import { CheckBudget } from '../../shared/connectors/check-budget.ts';
import { HostLimiter } from '../../shared/net/host-limiter.ts';
import { Slots } from '../../shared/net/slots.ts';
import type { OutboundResult } from '../../shared/net/types.ts';

/** A promise and the function that settles it. */
function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
const answer: OutboundResult = { ok: true, status: 200, headers: {}, body: '', ms: 1, remoteAddress: null };

describe('Slots', () => {
  it('lets `limit` holders in and serves the others in arrival order', async () => {
    const slots = new Slots(2);
    const order: number[] = [];
    const releases = await Promise.all([slots.acquire(), slots.acquire()]);
    const waiting = [3, 4, 5].map(async (n) => {
      const release = await slots.acquire();
      order.push(n);
      return release;
    });
    await flush();
    expect(order).toEqual([]);
    releases[0]?.();
    releases[1]?.();
    const [third, fourth] = await Promise.all(waiting.slice(0, 2));
    expect(order).toEqual([3, 4]);
    expect(slots.inUse).toBe(2);
    third?.();
    const fifth = await waiting[2];
    expect(order).toEqual([3, 4, 5]);
    fourth?.();
    fifth?.();
    expect(slots.idle).toBe(true);
  });

  it('gives up waiting when the signal aborts, taking no slot, and counts a release once', async () => {
    const slots = new Slots(1);
    const held = await slots.acquire();
    const controller = new AbortController();
    const waiter = slots.acquire(controller.signal);
    controller.abort();
    expect(await waiter).toBeNull();
    expect(await slots.acquire(controller.signal)).toBeNull();
    held?.();
    held?.();
    expect(slots.inUse).toBe(0);
    expect(slots.idle).toBe(true);
  });
});

describe('HostLimiter', () => {
  it('bounds each host on its own and forgets hosts once idle', async () => {
    const limiter = new HostLimiter(2);
    const a = await Promise.all([
      limiter.acquire('erp.example.com:443'),
      limiter.acquire('ERP.example.com:443'),
    ]);
    const b = await limiter.acquire('other.example.com:443');
    expect(limiter.inFlight('erp.example.com:443')).toBe(2);
    expect(limiter.inFlight('other.example.com:443')).toBe(1);
    let third = false;
    const waiting = limiter.acquire('erp.example.com:443').then((release) => {
      third = true;
      return release;
    });
    await flush();
    expect(third).toBe(false);
    a[0]?.();
    (await waiting)?.();
    a[1]?.();
    b?.();
    expect(limiter.inFlight('erp.example.com:443')).toBe(0);
    expect((limiter as unknown as { hosts: Map<string, unknown> }).hosts.size).toBe(0);
  });
});

describe('CheckBudget', () => {
  it('runs at most `concurrency` calls at once', async () => {
    const budget = new CheckBudget({ concurrency: 2, deadlineMs: 60_000 });
    let running = 0;
    let most = 0;
    const gates = Array.from({ length: 5 }, () => deferred());
    const calls = gates.map((gate) =>
      budget.call(async () => {
        running += 1;
        most = Math.max(most, running);
        await gate.promise;
        running -= 1;
        return answer;
      }),
    );
    for (const gate of gates) {
      await flush();
      gate.resolve();
    }
    await Promise.all(calls);
    expect(most).toBe(2);
    budget.close();
  });

  it('sends nothing once closed, and cuts off a call in flight', async () => {
    const budget = new CheckBudget({ deadlineMs: 60_000 });
    let sent = 0;
    const inFlight = budget.call(
      (signal) =>
        new Promise<OutboundResult>((resolve) => {
          sent += 1;
          signal.addEventListener('abort', () =>
            resolve({ ok: false, failure: 'timeout', detail: 'cut off', ms: 1 }),
          );
        }),
    );
    await flush();
    budget.close();
    expect((await inFlight).ok).toBe(false);
    const after = await budget.call(async () => {
      sent += 1;
      return answer;
    });
    expect(after).toMatchObject({ ok: false, failure: 'timeout' });
    expect(sent).toBe(1);
    // Closing after the answer is not the deadline: nothing was cut short.
    expect(budget.cutShort).toBe(false);
  });

  it('at the deadline stops waiting for a probe that does not wind down, and marks the check cut short', async () => {
    const budget = new CheckBudget({ deadlineMs: 20 });
    const call = budget.call(
      (signal) =>
        new Promise<OutboundResult>((resolve) => {
          signal.addEventListener('abort', () =>
            resolve({ ok: false, failure: 'timeout', detail: 'cut', ms: 1 }),
          );
        }),
    );
    const stuck = new Promise<string>(() => {});
    expect(await budget.race(stuck)).toBeNull();
    expect(await call).toMatchObject({ ok: false });
    expect(budget.expired).toBe(true);
    expect(budget.cutShort).toBe(true);
    budget.close();
  });
});
