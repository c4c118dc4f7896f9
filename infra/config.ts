import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { parseDuration } from '../shared/domain/durations.ts';
import { parseEgressAllow } from '../shared/net/address-policy.ts';

/**
 * Everything a deployment may choose, from `cdk.json` context (`-c key=value`) or passed as props in tests.
 * Every key has a default so that a plain `npm run synth` works offline; see README "Deploy".
 */
export interface CredvalConfig {
  /** Name of the deployment (`dev`, `prod`, ...): part of stack names, the bus name and the secret prefix. */
  stage: string;
  /** JWT issuer the HTTP API accepts (the `iss` claim; its `/.well-known/openid-configuration` must be public). */
  jwtIssuer: string;
  /** Accepted `aud` (or `client_id`) values. */
  jwtAudience: string[];
  /** JWT claim that names the tenant. */
  tenantClaim: string;
  /** How often the sweep runs: an EventBridge Scheduler rate. */
  sweepRate: Duration;
  /** CIDRs the guarded client may reach although private (EGRESS_ALLOW); none by default. */
  egressAllow: string[];
  /** Retention of the function and access log groups. */
  logRetention: RetentionDays;
  /** Secret names are `<secretPrefix>/<tenant>/<credentialId>`; IAM is scoped to `<secretPrefix>/*`. */
  secretPrefix: string;
  /** Time between scheduled checks (CHECK_INTERVAL). */
  checkInterval: string;
  /** Delay before a first rejection is confirmed (INVALID_CONFIRM_AFTER). */
  invalidConfirmAfter: string;
  /** Timeout of one vendor call (CHECK_TIMEOUT); the worker's timeout is derived from it. */
  checkTimeout: string;
  /** Powertools log level. */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Stage default route throttling of the HTTP API (requests per second, burst). */
  throttle: { rateLimit: number; burstLimit: number };
  /** Optional SNS topic ARN the alarms notify. */
  alarmTopicArn?: string;
  /**
   * Where secrets live (SECRET_STORE): `secretsmanager` (one secret per credential) or `envelope` (encrypted under
   * data keys of the stack's KMS key, kept in the table). README "Moving between stores" says how to switch.
   */
  secretStore: 'secretsmanager' | 'envelope';
  /**
   * Worker invocations the queue may run at once (the event source mapping's maximum concurrency, 2 to 1,000), each
   * checking 10 credentials in parallel. 5 keeps ~50 checks in flight: about what a million credentials checked
   * every 6 hours need (46 a second at ~1 s a check); README "Scale".
   */
  workerConcurrency: number;
}

/** The context keys `buildApp` reads (README "Deploy"). */
export const CONTEXT_KEYS = [
  'stage',
  'jwtIssuer',
  'jwtAudience',
  'tenantClaim',
  'sweepRate',
  'egressAllow',
  'logRetentionDays',
  'secretPrefix',
  'checkInterval',
  'invalidConfirmAfter',
  'checkTimeout',
  'logLevel',
  'throttleRate',
  'throttleBurst',
  'alarmTopicArn',
  'secretStore',
  'workerConcurrency',
] as const;

/** Fails synthesis with a message naming the key. */
function bad(key: string, message: string): never {
  throw new Error(`Invalid context "${key}": ${message}`);
}

/** A comma-separated string (as `-c key=a,b` gives it) or a JSON array (as cdk.json may hold it). */
function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `5 minutes`, `1 hour`, `rate(5 minutes)`, or a duration such as `300`, `90s`, `5m`, `1h`. */
export function parseRate(text: string): Duration {
  const trimmed = text.trim();
  const rate = /^(?:rate\()?\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)?$/.exec(trimmed);
  let duration: Duration;
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2] ?? '';
    duration = unit.startsWith('minute')
      ? Duration.minutes(amount)
      : unit.startsWith('hour')
        ? Duration.hours(amount)
        : Duration.days(amount);
  } else {
    const ms = parseDuration(trimmed);
    if (ms % 60_000 !== 0) bad('sweepRate', `"${text}" is not a whole number of minutes`);
    duration = Duration.minutes(ms / 60_000);
  }
  if (duration.toMinutes() < 1) bad('sweepRate', 'the shortest schedule rate is 1 minute');
  return duration;
}

function retentionOf(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    bad('logRetentionDays', `${days} is not a CloudWatch Logs retention (one of ${allowed.join(', ')})`);
  }
  return days as RetentionDays;
}

function positiveInt(key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) bad(key, `expected a positive integer, got "${String(value)}"`);
  return n;
}

function durationText(key: string, value: unknown, fallback: string): string {
  const text = value === undefined ? fallback : String(value);
  try {
    parseDuration(text);
  } catch (error) {
    bad(key, (error as Error).message);
  }
  return text;
}

/** Reads and checks the context; unset keys take their defaults. */
export function configFromContext(node: Node): CredvalConfig {
  const get = (key: (typeof CONTEXT_KEYS)[number]): unknown => node.tryGetContext(key);
  const stage = String(get('stage') ?? 'dev');
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) bad('stage', 'lower-case letters, digits and -, at most 20');

  const jwtIssuer = String(get('jwtIssuer') ?? 'https://issuer.invalid/');
  if (!/^https:\/\/\S+$/.test(jwtIssuer)) bad('jwtIssuer', 'an https URL');
  const jwtAudience = list(get('jwtAudience') ?? 'credval');
  if (jwtAudience.length === 0) bad('jwtAudience', 'at least one audience');

  const tenantClaim = String(get('tenantClaim') ?? 'tenant_id');
  if (!/^[\w:./-]{1,128}$/.test(tenantClaim)) bad('tenantClaim', 'a claim name');

  const egressAllow = list(get('egressAllow'));
  try {
    parseEgressAllow(egressAllow.join(','));
  } catch (error) {
    bad('egressAllow', (error as Error).message);
  }

  const secretPrefix = String(get('secretPrefix') ?? `credval/${stage}`);
  if (!/^[A-Za-z0-9/_+=.@-]{1,100}$/.test(secretPrefix) || secretPrefix.endsWith('/')) {
    bad('secretPrefix', 'letters, digits and /_+=.@-, not ending in /');
  }

  const logLevel = String(get('logLevel') ?? 'INFO').toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel)) bad('logLevel', 'DEBUG, INFO, WARN or ERROR');

  const alarmTopicArn = get('alarmTopicArn');
  if (alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:/.test(String(alarmTopicArn))) {
    bad('alarmTopicArn', 'an SNS topic ARN');
  }

  const secretStore = String(get('secretStore') ?? 'secretsmanager');
  if (secretStore !== 'secretsmanager' && secretStore !== 'envelope') {
    bad('secretStore', 'secretsmanager or envelope');
  }

  const workerConcurrency = positiveInt('workerConcurrency', get('workerConcurrency'), 5);
  // SQS event source mappings accept a maximum concurrency of 2 to 1,000.
  if (workerConcurrency < 2 || workerConcurrency > 1000) bad('workerConcurrency', 'from 2 to 1000');

  return {
    stage,
    secretStore,
    workerConcurrency,
    jwtIssuer,
    jwtAudience,
    tenantClaim,
    sweepRate: parseRate(String(get('sweepRate') ?? '5 minutes')),
    egressAllow,
    logRetention: retentionOf(positiveInt('logRetentionDays', get('logRetentionDays'), 30)),
    secretPrefix,
    checkInterval: durationText('checkInterval', get('checkInterval'), '6h'),
    invalidConfirmAfter: durationText('invalidConfirmAfter', get('invalidConfirmAfter'), '5m'),
    checkTimeout: durationText('checkTimeout', get('checkTimeout'), '15s'),
    logLevel: logLevel as CredvalConfig['logLevel'],
    throttle: {
      rateLimit: positiveInt('throttleRate', get('throttleRate'), 50),
      burstLimit: positiveInt('throttleBurst', get('throttleBurst'), 100),
    },
    ...(alarmTopicArn === undefined ? {} : { alarmTopicArn: String(alarmTopicArn) }),
  };
}
