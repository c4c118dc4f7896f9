import * as z from '../../domain/zod.ts';
import { parsedString, text } from './fields.ts';

/** How HTTP requests are read (every route). */
export const HttpSettings = z.object({
  TENANT_CLAIM: text('tenant_id'),
  CORS_ORIGINS: z.prefault(
    parsedString((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
    '*',
  ),
});
export type HttpSettings = z.output<typeof HttpSettings>;
