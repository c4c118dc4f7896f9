import * as z from '../../domain/zod.ts';
import { duration, integer, optionalText, url } from './fields.ts';

/** The local server only. */
export const LocalSettings = z.object({
  SWEEP_INTERVAL: duration('60s'),
  PORT: integer(3000, 0, 65535),
  HOST: z._default(z.string(), '127.0.0.1'),
  DATA_DIR: z._default(z.string(), './.credval'),
  LOCAL_API_TOKENS: optionalText(),
  LOCAL_WEBHOOK_URL: url(),
  LOCAL_WEBHOOK_SECRET: optionalText(),
  /**
   * Whether the server runs revalidation, the change feed and reconciliation in process: on by default with
   * local storage, off with STORAGE=aws (the deployed stack does that work on its table).
   */
  LOCAL_REVALIDATION: z.optional(z.enum(['on', 'off'])),
});
export type LocalSettings = z.output<typeof LocalSettings>;
