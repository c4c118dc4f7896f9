import { describe, expect, it } from 'vitest';
import {
  ASSUMPTIONS,
  branchKeyDecryptsPerMonth,
  type CostInputs,
  monthlyCosts,
  PRICES,
  perCheckUnits,
  secretContainers,
} from '../../bench/cost-model.ts';

/** Inputs shaped like what parts 3b, 4 and 4b measure. */
const INPUTS: CostInputs = {
  calls: {
    secretsmanager: {
      worker: { 'DynamoDB:GetItem': 1, 'DynamoDB:PutItem': 1, 'SecretsManager:GetSecretValue': 1 },
      changeFeed: { 'DynamoDB:PutItem': 1, 'EventBridge:PutEvents': 1 },
    },
    envelope: {
      worker: { 'DynamoDB:GetItem': 2, 'DynamoDB:PutItem': 1, 'KMS:Decrypt': 1 },
      changeFeed: { 'DynamoDB:PutItem': 1, 'EventBridge:PutEvents': 1 },
    },
  },
  envelopeSecretItem: { twoVersions: 800, dataKeyBlob: 76 },
  lease: { tableWcu: 2, indexWcu: 2 },
  credentialItemBytes: 1500,
  indexEntryBytes: 110,
  historyEntryBytes: 1100,
};

const line = (lines: Array<{ item: string; monthly: number }>, name: string) =>
  lines.find((l) => l.item.startsWith(name))?.monthly;

describe('cost model', () => {
  const checks = 1000 * ASSUMPTIONS.checksPerDay * ASSUMPTIONS.daysPerMonth;
  const [secretsManager, envelope] = monthlyCosts(INPUTS, 1000);

  it('counts a check as its lease, its write and its history entry, each moving what it moves', () => {
    // Lease 2 + 2 (the item's size; the index entry's delete and insert), the check's write 2 (it keeps the leased
    // time, and the index holds nothing it changes), the 1.1 kB history entry 2 units.
    expect(perCheckUnits(INPUTS, 'envelope').writeUnits).toBe(8);
    expect(line(envelope?.lines ?? [], 'DynamoDB writes')).toBeCloseTo(
      checks * 8 * PRICES.dynamoWriteUnit,
      6,
    );
    // Items and history entries under 1 kB (packed reports) take a unit each.
    const packed = {
      ...INPUTS,
      lease: { tableWcu: 1, indexWcu: 2 },
      credentialItemBytes: 900,
      historyEntryBytes: 600,
    };
    expect(perCheckUnits(packed, 'envelope').writeUnits).toBe(3 + 1 + 1);
  });

  it('stores 90 days of history entries at their own size', () => {
    const larger = monthlyCosts({ ...INPUTS, historyEntryBytes: 2100 }, 1000)[1];
    const perCredential = ASSUMPTIONS.historyDays * ASSUMPTIONS.checksPerDay * 1000;
    expect(
      (line(larger?.lines ?? [], 'DynamoDB storage') ?? 0) -
        (line(envelope?.lines ?? [], 'DynamoDB storage') ?? 0),
    ).toBeCloseTo(((1000 * perCredential) / 1e9) * PRICES.dynamoStorageGbMonth, 9);
  });

  it('prices Secrets Manager per secret and call, and the envelope store by its KMS requests and items', () => {
    expect(line(secretsManager?.lines ?? [], 'Secrets Manager secrets')).toBe(
      1000 * PRICES.secretsManagerSecretMonth,
    );
    expect(line(envelope?.lines ?? [], 'Secrets Manager')).toBeUndefined();
    // KMS: what a check calls, plus each container's branch key decrypt every few minutes, whatever the count.
    expect(line(envelope?.lines ?? [], 'KMS requests')).toBeCloseTo(
      (checks + branchKeyDecryptsPerMonth(1000)) * PRICES.kmsRequest,
      6,
    );
    const warm = {
      ...INPUTS,
      calls: {
        ...INPUTS.calls,
        envelope: { ...INPUTS.calls.envelope, worker: { 'DynamoDB:GetItem': 2, 'DynamoDB:PutItem': 1 } },
      },
    };
    for (const credentials of [1000, 1_000_000]) {
      expect(line(monthlyCosts(warm, credentials)[1]?.lines ?? [], 'KMS requests')).toBeCloseTo(
        branchKeyDecryptsPerMonth(credentials) * PRICES.kmsRequest,
        6,
      );
    }
    expect(line(secretsManager?.lines ?? [], 'KMS requests')).toBeCloseTo(checks * PRICES.kmsRequest, 6);
    // The envelope secret item is one more strongly consistent read per check, and its bytes are stored.
    expect(perCheckUnits(INPUTS, 'envelope').readUnits).toBeGreaterThan(
      perCheckUnits(INPUTS, 'secretsmanager').readUnits,
    );
    expect(line(envelope?.lines ?? [], 'DynamoDB storage')).toBeGreaterThan(
      line(secretsManager?.lines ?? [], 'DynamoDB storage') ?? Number.POSITIVE_INFINITY,
    );
  });

  it('counts a branch key decrypt per busy container every 5 minutes: the worker containers the load needs, and the API', () => {
    expect(secretContainers(1000)).toBe(1 + 5);
    expect(secretContainers(10_000)).toBe(1 + 5);
    // 46 checks a second at ~1 s each, 10 to an invocation: the default worker concurrency (5) is busy.
    expect(secretContainers(1_000_000)).toBe(5 + 5);
    expect(secretContainers(10_000_000)).toBe(5 + 5);
    expect(branchKeyDecryptsPerMonth(10_000)).toBeCloseTo(6 * 12 * 24 * ASSUMPTIONS.daysPerMonth, 6);
  });

  it('prices checkedEvents=changes without the events of routine checks, and nothing else differently', () => {
    const quiet = monthlyCosts(INPUTS, 1000, 'changes')[1];
    expect(line(quiet?.lines ?? [], 'EventBridge')).toBe(0);
    expect((envelope?.total ?? 0) - (quiet?.total ?? 0)).toBeCloseTo(checks * PRICES.eventBridgeEvent, 9);
  });

  it('adds the lines up, per 1,000 credentials', () => {
    for (const cost of [secretsManager, envelope]) {
      const sum = cost?.lines.reduce((a, l) => a + l.monthly, 0) ?? 0;
      expect(cost?.total).toBeCloseTo(sum, 9);
      expect(cost?.perThousand).toBeCloseTo(sum, 9);
    }
    expect(secretsManager?.total).toBeGreaterThan(400);
    expect(envelope?.total).toBeLessThan(10);
  });
});
