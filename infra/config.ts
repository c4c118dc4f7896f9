import { Duration, Token } from 'aws-cdk-lib';
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
  /**
   * Which checks publish `CredentialChecked` (CHECKED_EVENTS): `all`, or `changes` (a scheduled check only when its
   * verdict or reason differs from the check before). README "Scale" prices the difference.
   */
  checkedEvents: 'all' | 'changes';
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
  'checkedEvents',
] as const;

/**
 * The settings of one deployment as given, before they are checked: the props of `Credval` (infra/credval.ts), or
 * the context values that `configFromContext` puts under these names. Everything may be left out for its default
 * (the defaults of README "Deploy"); `checkSettings` turns them into a `CredvalConfig` or fails naming the setting.
 */
export interface CredvalSettings {
  /** Default `dev`: lower-case letters, digits and -, at most 20. */
  stage?: string;
  /** Default `https://issuer.invalid/` (accepts no token): an https URL, or a token (e.g. a user pool's URL). */
  jwtIssuer?: string;
  /** Default `['credval']`. */
  jwtAudience?: string[];
  /** Default `tenant_id`. */
  tenantClaim?: string;
  /** Default 5 minutes: whole minutes, at least 1. A text such as `10 minutes`, `rate(1 hour)` or `15m` also does. */
  sweepRate?: Duration | string;
  /** Default none: CIDRs, as EGRESS_ALLOW takes them. */
  egressAllow?: string[];
  /** Default one month: a CloudWatch Logs retention (context: `logRetentionDays`). */
  logRetention?: RetentionDays;
  /** Default `credval/<stage>`. Do not change it once secrets exist. */
  secretPrefix?: string;
  /** Default `6h`. */
  checkInterval?: string;
  /** Default `5m`. */
  invalidConfirmAfter?: string;
  /** Default `15s`. */
  checkTimeout?: string;
  /** Default `INFO`. */
  logLevel?: CredvalConfig['logLevel'];
  /** Default 50 requests a second, burst 100 (context: `throttleRate`, `throttleBurst`). */
  throttle?: { rateLimit?: number; burstLimit?: number };
  /** Default none: an SNS topic ARN the alarms notify. */
  alarmTopicArn?: string;
  /** Default `secretsmanager`. */
  secretStore?: CredvalConfig['secretStore'];
  /** Default 5: from 2 to 1000. */
  workerConcurrency?: number;
  /** Default `all`. */
  checkedEvents?: CredvalConfig['checkedEvents'];
}

/** Where settings came from, for the message that refuses one: `-c key=value` context or `Credval` props. */
export type SettingsSource = 'context' | 'props';

/** Settings as found: `CredvalSettings` from typed code, anything from context. */
type RawSettings = { readonly [K in keyof CredvalSettings]?: unknown };

/** The context key of a setting whose context name differs. */
const CONTEXT_NAMES: Partial<Record<string, string>> = {
  logRetention: 'logRetentionDays',
  'throttle.rateLimit': 'throttleRate',
  'throttle.burstLimit': 'throttleBurst',
};

/** Fails synthesis with a message naming the key as its source names it. */
function bad(source: SettingsSource, key: string, message: string): never {
  if (source === 'context') throw new Error(`Invalid context "${CONTEXT_NAMES[key] ?? key}": ${message}`);
  throw new Error(`Invalid Credval prop "${key}": ${message}`);
}

/** A comma-separated string (as `-c key=a,b` gives it) or an array (cdk.json, props). */
function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** `5 minutes`, `1 hour`, `rate(5 minutes)`, or a duration such as `300`, `90s`, `5m`, `1h`. */
export function parseRate(text: string, source: SettingsSource = 'context'): Duration {
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
    let ms: number;
    try {
      ms = parseDuration(trimmed);
    } catch (error) {
      bad(source, 'sweepRate', (error as Error).message);
    }
    if (ms % 60_000 !== 0) bad(source, 'sweepRate', `"${text}" is not a whole number of minutes`);
    duration = Duration.minutes(ms / 60_000);
  }
  if (duration.toMinutes() < 1) bad(source, 'sweepRate', 'the shortest schedule rate is 1 minute');
  return duration;
}

/** A Duration (props) or a rate text (context, props). */
function rateOf(source: SettingsSource, value: unknown): Duration {
  if (!(value instanceof Duration)) return parseRate(String(value ?? '5 minutes'), source);
  const ms = value.toMilliseconds({ integral: false });
  if (ms % 60_000 !== 0)
    bad(source, 'sweepRate', `${value.toHumanString()} is not a whole number of minutes`);
  if (ms < 60_000) bad(source, 'sweepRate', 'the shortest schedule rate is 1 minute');
  return Duration.minutes(ms / 60_000);
}

function retentionOf(source: SettingsSource, days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    bad(source, 'logRetention', `${days} is not a CloudWatch Logs retention (one of ${allowed.join(', ')})`);
  }
  return days as RetentionDays;
}

function positiveInt(source: SettingsSource, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) bad(source, key, `expected a positive integer, got "${String(value)}"`);
  return n;
}

function durationText(source: SettingsSource, key: string, value: unknown, fallback: string): string {
  const text = value === undefined ? fallback : String(value);
  try {
    parseDuration(text);
  } catch (error) {
    bad(source, key, (error as Error).message);
  }
  return text;
}

/**
 * Checks a deployment's settings and fills in the defaults: the one place that knows what a valid setting is,
 * for context (`configFromContext`) and for `Credval` props alike. Throws naming the first bad setting.
 */
export function checkSettings(settings: RawSettings, source: SettingsSource = 'props'): CredvalConfig {
  const stage = String(settings.stage ?? 'dev');
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage))
    bad(source, 'stage', 'lower-case letters, digits and -, at most 20');

  // A token (an issuer URL from another construct) is known only at deploy time.
  const jwtIssuer = String(settings.jwtIssuer ?? 'https://issuer.invalid/');
  if (!Token.isUnresolved(jwtIssuer) && !/^https:\/\/\S+$/.test(jwtIssuer))
    bad(source, 'jwtIssuer', 'an https URL');
  const jwtAudience = list(settings.jwtAudience ?? 'credval');
  if (jwtAudience.length === 0) bad(source, 'jwtAudience', 'at least one audience');

  const tenantClaim = String(settings.tenantClaim ?? 'tenant_id');
  if (!/^[\w:./-]{1,128}$/.test(tenantClaim)) bad(source, 'tenantClaim', 'a claim name');

  const egressAllow = list(settings.egressAllow);
  try {
    parseEgressAllow(egressAllow.join(','));
  } catch (error) {
    bad(source, 'egressAllow', (error as Error).message);
  }

  const secretPrefix = String(settings.secretPrefix ?? `credval/${stage}`);
  if (!/^[A-Za-z0-9/_+=.@-]{1,100}$/.test(secretPrefix) || secretPrefix.endsWith('/')) {
    bad(source, 'secretPrefix', 'letters, digits and /_+=.@-, not ending in /');
  }

  const logLevel = String(settings.logLevel ?? 'INFO').toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel))
    bad(source, 'logLevel', 'DEBUG, INFO, WARN or ERROR');

  const alarmTopicArn = settings.alarmTopicArn;
  if (alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:/.test(String(alarmTopicArn))) {
    bad(source, 'alarmTopicArn', 'an SNS topic ARN');
  }

  const secretStore = String(settings.secretStore ?? 'secretsmanager');
  if (secretStore !== 'secretsmanager' && secretStore !== 'envelope') {
    bad(source, 'secretStore', 'secretsmanager or envelope');
  }

  const workerConcurrency = positiveInt(source, 'workerConcurrency', settings.workerConcurrency, 5);
  // SQS event source mappings accept a maximum concurrency of 2 to 1,000.
  if (workerConcurrency < 2 || workerConcurrency > 1000) bad(source, 'workerConcurrency', 'from 2 to 1000');

  const checkedEvents = String(settings.checkedEvents ?? 'all');
  if (checkedEvents !== 'all' && checkedEvents !== 'changes') bad(source, 'checkedEvents', 'all or changes');

  const throttle = (settings.throttle ?? {}) as { rateLimit?: unknown; burstLimit?: unknown };
  return {
    stage,
    secretStore,
    workerConcurrency,
    checkedEvents,
    jwtIssuer,
    jwtAudience,
    tenantClaim,
    sweepRate: rateOf(source, settings.sweepRate),
    egressAllow,
    logRetention: retentionOf(source, positiveInt(source, 'logRetention', settings.logRetention, 30)),
    secretPrefix,
    checkInterval: durationText(source, 'checkInterval', settings.checkInterval, '6h'),
    invalidConfirmAfter: durationText(source, 'invalidConfirmAfter', settings.invalidConfirmAfter, '5m'),
    checkTimeout: durationText(source, 'checkTimeout', settings.checkTimeout, '15s'),
    logLevel: logLevel as CredvalConfig['logLevel'],
    throttle: {
      rateLimit: positiveInt(source, 'throttle.rateLimit', throttle.rateLimit, 50),
      burstLimit: positiveInt(source, 'throttle.burstLimit', throttle.burstLimit, 100),
    },
    ...(alarmTopicArn === undefined ? {} : { alarmTopicArn: String(alarmTopicArn) }),
  };
}

/** Reads and checks the context; unset keys take their defaults. */
export function configFromContext(node: Node): CredvalConfig {
  const get = (key: (typeof CONTEXT_KEYS)[number]): unknown => node.tryGetContext(key);
  const throttle = { rateLimit: get('throttleRate'), burstLimit: get('throttleBurst') };
  return checkSettings(
    {
      stage: get('stage'),
      jwtIssuer: get('jwtIssuer'),
      jwtAudience: get('jwtAudience'),
      tenantClaim: get('tenantClaim'),
      sweepRate: get('sweepRate'),
      egressAllow: get('egressAllow'),
      logRetention: get('logRetentionDays'),
      secretPrefix: get('secretPrefix'),
      checkInterval: get('checkInterval'),
      invalidConfirmAfter: get('invalidConfirmAfter'),
      checkTimeout: get('checkTimeout'),
      logLevel: get('logLevel'),
      throttle,
      alarmTopicArn: get('alarmTopicArn'),
      secretStore: get('secretStore'),
      workerConcurrency: get('workerConcurrency'),
      checkedEvents: get('checkedEvents'),
    },
    'context',
  );
}
