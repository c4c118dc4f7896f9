// Counting AWS calls at the adapters: an SDK middleware on DynamoDB clients (by command name, once per
// logical call, before retries), and the recorded calls of aws-sdk-client-mock for mocked clients.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Calls by `Service:Operation`. */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  add(service: string, operation: string, n = 1): void {
    const key = `${service}:${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  reset(): void {
    this.counts.clear();
  }

  /** Sorted `{ 'DynamoDB:PutItem': 2, ... }`. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }
}

/**
 * Counts every command sent through `client` (and document clients made from it, which share its stack), in
 * the `initialize` step: once per call, whatever the retries.
 */
export function countDynamoCalls(client: DynamoDBClient, counter: CallCounter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counter.add('DynamoDB', String(context.commandName ?? 'unknown').replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'credvalBenchCallCounter', override: true },
  );
}

/** `{ a: 1, b: 2 }` as `a 1, b 2` (for tables). */
export function describeCalls(calls: Record<string, number>): string {
  const entries = Object.entries(calls);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}
