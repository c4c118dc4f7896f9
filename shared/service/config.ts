import { z } from 'zod';

/** Parses "30s", "5m", "6h", "2d" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration (use seconds, or 30s, 5m, 6h, 2d)`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1000;
  return Math.round(value * factor);
}

/** Tunables of the credential service, with the defaults of DESIGN.md section 9. */
export const ServiceConfig = z.object({
  /** Prefix of every secret name: `<prefix>/<tenant>/<credentialId>`. */
  secretPrefix: z.string().min(1).default('credval'),
  /** Time between scheduled checks of a credential. */
  checkIntervalMs: z
    .number()
    .int()
    .positive()
    .default(6 * 3_600_000),
  /** A first rejection is confirmed by a second check at least this much later. */
  invalidConfirmAfterMs: z
    .number()
    .int()
    .nonnegative()
    .default(5 * 60_000),
  /** Inconclusive checks in a row that make a valid credential degraded. */
  degradedAfter: z.number().int().positive().default(3),
  /** Back-off while invalid: first wait, doubled per check, capped. */
  invalidBackoffMs: z.number().int().positive().default(3_600_000),
  invalidBackoffMaxMs: z
    .number()
    .int()
    .positive()
    .default(7 * 86_400_000),
  /** Next-check times are spread by up to this fraction of their interval. */
  jitter: z.number().min(0).max(0.5).default(0.1),
  /** How long check history is kept (DynamoDB TTL). */
  historyTtlDays: z.number().int().positive().default(90),
  /** Recovery window of a deleted credential's secret (Secrets Manager allows 7 to 30 days). */
  deletionRecoveryDays: z.number().int().min(7).max(30).default(7),
});
export type ServiceConfig = z.infer<typeof ServiceConfig>;
