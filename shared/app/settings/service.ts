import * as z from '../../domain/zod.ts';
import { duration, integer } from './fields.ts';

/** The credential service's tunables. */
export const ServiceSettings = z.object({
  SECRET_PREFIX: z._default(
    z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,100}$/, 'letters, digits and /_+=.@- only')),
    'credval',
  ),
  CHECK_INTERVAL: duration('6h'),
  INVALID_CONFIRM_AFTER: duration('5m'),
  HISTORY_TTL_DAYS: integer(90, 1, 3650),
  /** `all` or `changes`: which checks publish CredentialChecked (README "Revalidation and events"). */
  CHECKED_EVENTS: z._default(z.enum(['all', 'changes'], { error: 'all or changes' }), 'all'),
  SECRET_RECOVERY_DAYS: integer(7, 7, 30),
  /** How old a secret without its credential item must be before the reconciliation deletes it. */
  RECONCILE_GRACE: duration('15m'),
});
export type ServiceSettings = z.output<typeof ServiceSettings>;
