import * as z from '../domain/zod.ts';

export { parseDuration } from '../domain/durations.ts';

const positiveInt = (fallback: number) => z._default(z.int().check(z.positive()), fallback);

/** Tunables of the credential service, with the defaults of the README's "Configuration". */
export const ServiceConfig = z.object({
  /** Prefix of every secret name: `<prefix>/<tenant>/<credentialId>`. */
  secretPrefix: z._default(z.string().check(z.minLength(1)), 'credval'),
  /** Time between scheduled checks of a credential. */
  checkIntervalMs: positiveInt(6 * 3_600_000),
  /** A first rejection is confirmed by a second check at least this much later. */
  invalidConfirmAfterMs: z._default(z.int().check(z.nonnegative()), 5 * 60_000),
  /** Inconclusive checks in a row that make a valid credential degraded. */
  degradedAfter: positiveInt(3),
  /** Back-off while invalid: first wait, doubled per check, capped. */
  invalidBackoffMs: positiveInt(3_600_000),
  invalidBackoffMaxMs: positiveInt(7 * 86_400_000),
  /** Next-check times are spread by up to this fraction of their interval. */
  jitter: z._default(z.number().check(z.gte(0), z.lte(0.5)), 0.1),
  /** How long check history is kept (DynamoDB TTL). */
  historyTtlDays: positiveInt(90),
  /**
   * Which checks publish `CredentialChecked`: `all`, or `changes` (a scheduled check only when its verdict or reason
   * differs from the check before; every other check still does). Status changes are always published.
   */
  checkedEvents: z._default(z.enum(['all', 'changes']), 'all'),
  /** A secret without its item younger than this may be a create in flight, not an orphan. */
  reconcileGraceMs: z._default(z.int().check(z.nonnegative()), 15 * 60_000),
  /** Recovery window of a deleted credential's secret (Secrets Manager allows 7 to 30 days). */
  deletionRecoveryDays: z._default(z.int().check(z.gte(7), z.lte(30)), 7),
});
export type ServiceConfig = z.infer<typeof ServiceConfig>;
