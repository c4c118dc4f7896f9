import { z } from 'zod';
import { parseEgressAllow } from '../net/address-policy.ts';
import { parseDuration } from '../service/config.ts';

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseDuration(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });

/**
 * Every environment variable credval reads (README "Configuration"), parsed once at start-up so a bad
 * value stops the process with a message naming the variable instead of failing a request later.
 */
export const Environment = z.object({
  STORAGE: z.enum(['local', 'aws']).default('local'),
  TABLE_NAME: z.string().min(3).default('credval-credentials'),
  SECRET_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,100}$/, 'letters, digits and /_+=.@- only')
    .default('credval'),
  KMS_KEY_ID: z.string().optional(),
  /** Revalidation queue (SQS URL) and event bus (EventBridge name), on AWS. */
  QUEUE_URL: z.url().optional(),
  EVENT_BUS_NAME: z.string().optional(),
  AWS_REGION: z.string().optional(),
  AWS_ENDPOINT_URL: z.url().optional(),
  EGRESS_ALLOW: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseEgressAllow(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  CHECK_INTERVAL: duration('6h'),
  INVALID_CONFIRM_AFTER: duration('5m'),
  SWEEP_INTERVAL: duration('60s'),
  CHECK_TIMEOUT: duration('15s'),
  /** One deadline for a whole check; the API's stays well inside API Gateway's 30 s, the worker sets its own. */
  CHECK_DEADLINE: duration('20s'),
  HISTORY_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  SECRET_RECOVERY_DAYS: z.coerce.number().int().min(7).max(30).default(7),
  TENANT_CLAIM: z.string().min(1).default('tenant_id'),
  CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('credval'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('credval'),
  // Local server only.
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./.credval'),
  LOCAL_API_TOKENS: z.string().optional(),
  LOCAL_WEBHOOK_URL: z.url().optional(),
  LOCAL_WEBHOOK_SECRET: z.string().optional(),
});
export type Environment = z.infer<typeof Environment>;

/** Parses the environment; throws one Error that names every bad variable. */
export function parseEnvironment(env: NodeJS.ProcessEnv): Environment {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Environment.safeParse(blankless);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}
