// What a network between credval and AWS adds, and what DynamoDB writes cost, measured at the SDK client
// boundary: middleware on a real DynamoDB client (so document clients made from it are covered too).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Delays every command sent through `client` by `ms` before it goes out: a fixed network latency in front of
 * a local DynamoDB. Concurrent calls wait concurrently, as they would on a network.
 */
export function addLatency(client: DynamoDBClient, ms: number): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      await sleep(ms);
      return next(args);
    },
    { step: 'initialize', name: 'credvalBenchLatency', override: true },
  );
}

/** Per write operation: calls, the capacity units DynamoDB reported, and the request bodies' bytes. */
export interface WriteCost {
  calls: number;
  capacityUnits: number;
  requestBytes: number;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * Asks DynamoDB for the consumed capacity of every single-item write (`ReturnConsumedCapacity: 'TOTAL'`, which
 * dynalite answers from the item size before and after, as DynamoDB bills an UpdateItem) and sums it, with
 * the size of each request body, per operation into `costs`.
 */
export function measureWrites(client: DynamoDBClient, costs: Map<string, WriteCost>): void {
  const costOf = (operation: string) => {
    let cost = costs.get(operation);
    if (!cost) {
      cost = { calls: 0, capacityUnits: 0, requestBytes: 0 };
      costs.set(operation, cost);
    }
    return cost;
  };
  const operationOf = (commandName: unknown) => String(commandName ?? '').replace(/Command$/, '');
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = operationOf(context.commandName);
      if (!WRITES.has(operation)) return next(args);
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      const cost = costOf(operation);
      cost.calls += 1;
      cost.capacityUnits += consumed?.CapacityUnits ?? 0;
      return out;
    },
    { step: 'initialize', name: 'credvalBenchWriteCapacity', override: true },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = operationOf(context.commandName);
      // Set by the SDK's content-length middleware in the build step, before this one.
      const length = (args.request as { headers?: Record<string, string> }).headers?.['content-length'];
      if (WRITES.has(operation) && length !== undefined) costOf(operation).requestBytes += Number(length);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'credvalBenchWriteBytes', override: true },
  );
}
