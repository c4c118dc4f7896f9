import * as z from '../../domain/zod.ts';
import { parseEgressAllow } from '../../net/address-policy.ts';
import { duration, parsedString } from './fields.ts';

/** Outbound calls to vendors. */
export const CheckSettings = z.object({
  EGRESS_ALLOW: z.prefault(parsedString(parseEgressAllow), ''),
  CHECK_TIMEOUT: duration('15s'),
  /** One deadline for a whole check; the API's stays well inside API Gateway's 30 s, the worker sets its own. */
  CHECK_DEADLINE: duration('20s'),
});
export type CheckSettings = z.output<typeof CheckSettings>;
