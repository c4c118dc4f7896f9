import * as z from '../../domain/zod.ts';
import { text } from './fields.ts';

/** Logging and metrics (every function). */
export const ObservabilitySettings = z.object({
  LOG_LEVEL: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']), 'INFO'),
  POWERTOOLS_SERVICE_NAME: text('credval'),
  POWERTOOLS_METRICS_NAMESPACE: text('credval'),
});
export type ObservabilitySettings = z.output<typeof ObservabilitySettings>;
