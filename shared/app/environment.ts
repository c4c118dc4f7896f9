import { parseDuration } from '../domain/durations.ts';
import { z } from '../domain/zod.ts';
import { parseEgressAllow } from '../net/address-policy.ts';

/** A string that `parse` turns into a value, with its error message kept as the issue's message. */
const parsedString = <T>(parse: (text: string) => T) =>
  z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      try {
        return parse(text);
      } catch (error) {
        ctx.issues.push({ code: 'custom', message: (error as Error).message, input: text });
        return z.NEVER;
      }
    }),
  );

const duration = (fallback: string) => z.prefault(parsedString(parseDuration), fallback);
const optionalString = () => z.optional(z.string());
const withDefault = <T extends z.ZodMiniType>(schema: T, fallback: z.input<T>) =>
  z._default(schema, fallback as never);

/**
 * Every environment variable credval reads (README "Configuration"), parsed once at start-up so a bad
 * value stops the process with a message naming the variable instead of failing a request later.
 */
export const Environment = z.object({
  STORAGE: withDefault(z.enum(['local', 'aws']), 'local'),
  TABLE_NAME: withDefault(z.string().check(z.minLength(3)), 'credval-credentials'),
  SECRET_PREFIX: withDefault(
    z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,100}$/, 'letters, digits and /_+=.@- only')),
    'credval',
  ),
  KMS_KEY_ID: optionalString(),
  /** Revalidation queue (SQS URL) and event bus (EventBridge name), on AWS. */
  QUEUE_URL: z.optional(z.url()),
  EVENT_BUS_NAME: optionalString(),
  AWS_REGION: optionalString(),
  AWS_ENDPOINT_URL: z.optional(z.url()),
  EGRESS_ALLOW: z.prefault(parsedString(parseEgressAllow), ''),
  CHECK_INTERVAL: duration('6h'),
  INVALID_CONFIRM_AFTER: duration('5m'),
  SWEEP_INTERVAL: duration('60s'),
  CHECK_TIMEOUT: duration('15s'),
  HISTORY_TTL_DAYS: withDefault(z.coerce.number().check(z.int(), z.gte(1), z.lte(3650)), 90),
  SECRET_RECOVERY_DAYS: withDefault(z.coerce.number().check(z.int(), z.gte(7), z.lte(30)), 7),
  TENANT_CLAIM: withDefault(z.string().check(z.minLength(1)), 'tenant_id'),
  CORS_ORIGINS: z.prefault(
    parsedString((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
    '*',
  ),
  LOG_LEVEL: withDefault(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']), 'INFO'),
  POWERTOOLS_SERVICE_NAME: withDefault(z.string().check(z.minLength(1)), 'credval'),
  POWERTOOLS_METRICS_NAMESPACE: withDefault(z.string().check(z.minLength(1)), 'credval'),
  // Local server only.
  PORT: withDefault(z.coerce.number().check(z.int(), z.gte(0), z.lte(65535)), 3000),
  HOST: withDefault(z.string(), '127.0.0.1'),
  DATA_DIR: withDefault(z.string(), './.credval'),
  LOCAL_API_TOKENS: optionalString(),
  LOCAL_WEBHOOK_URL: z.optional(z.url()),
  LOCAL_WEBHOOK_SECRET: optionalString(),
});
export type Environment = z.output<typeof Environment>;

/** Parses the environment; throws one Error that names every bad variable. */
export function parseEnvironment(env: NodeJS.ProcessEnv): Environment {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Environment.safeParse(blankless);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}
