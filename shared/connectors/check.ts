import { type Report, Report as ReportSchema, Requirement, type Warning } from '../domain/report.ts';
import * as z from '../domain/zod.ts';
import type { GuardedClient } from '../net/types.ts';
import { failed } from './findings.ts';
import { asFieldValues } from './normalize.ts';
import { enforceRequirements, readAccessWarnings } from './permissions.ts';
import type { PrecoroLedger } from './precoro/request-ledger.ts';
import { ProbeRecorder } from './probe-recorder.ts';
import { CONNECTORS, findConnector } from './registry.ts';
import type { Connector, FieldValues, ProbeFinding } from './types.ts';

/** One problem with the submitted input, named by field. */
export interface InputIssue {
  field: string | null;
  message: string;
}

/** The input cannot be checked at all (unknown connector, missing or malformed field). */
export class CheckInputError extends Error {
  readonly code = 'invalid_input';
  constructor(readonly issues: InputIssue[]) {
    super(issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '));
    this.name = 'CheckInputError';
  }
}

/** A check that passed input validation: normalised fields, requirements and what normalisation changed. */
export interface PreparedCheck {
  connector: Connector;
  fields: FieldValues;
  requirements: Requirement[];
  warnings: Warning[];
}

const Requirements = z.array(Requirement).check(z.maxLength(50, 'at most 50 requirements'));

/** Validates and normalises a check request; throws CheckInputError naming every problem. */
export function prepareCheck(input: {
  connector: unknown;
  fields: unknown;
  requirements?: unknown;
}): PreparedCheck {
  const connector = typeof input.connector === 'string' ? findConnector(input.connector) : undefined;
  if (!connector) {
    const known = [...CONNECTORS.keys()].join(', ');
    throw new CheckInputError([
      {
        field: 'connector',
        message: `unknown connector ${JSON.stringify(input.connector ?? null)} (known: ${known})`,
      },
    ]);
  }
  if (input.fields === null || typeof input.fields !== 'object' || Array.isArray(input.fields)) {
    throw new CheckInputError([{ field: 'fields', message: 'must be a JSON object of field values' }]);
  }
  const issues: InputIssue[] = [];
  const normalized = connector.normalize(input.fields as Record<string, unknown>);
  const parsed = connector.schema.safeParse(normalized.fields);
  if (!parsed.success)
    issues.push(
      ...parsed.error.issues.map((issue) => describeFieldIssue(issue, connector, normalized.fields)),
    );
  const requirements = Requirements.safeParse(input.requirements ?? []);
  if (!requirements.success) {
    issues.push(
      ...requirements.error.issues.map((issue) => ({
        field: ['requirements', ...issue.path].join('.'),
        message: issue.message,
      })),
    );
  }
  if (!parsed.success || !requirements.success || issues.length > 0) {
    // Messages may quote a field name, and people paste secrets in odd places: scrub them all the same.
    const secrets = secretValues({ connector, fields: asFieldValues(normalized.fields) });
    throw new CheckInputError(issues.map((issue) => scrubSecrets(issue, secrets)));
  }
  return { connector, fields: parsed.data, requirements: requirements.data, warnings: normalized.warnings };
}

function describeFieldIssue(
  issue: z.core.$ZodIssue,
  connector: Connector,
  given: Record<string, unknown>,
): InputIssue {
  if (issue.code === 'unrecognized_keys') {
    const known = connector.fields.map((f) => f.key).join(', ');
    // Only echo names that look like field names: a key pasted in the wrong place (letters and digits) is not.
    const names = issue.keys.map((k) => (/^[A-Za-z][A-Za-z_]{0,30}$/.test(k) ? k : '(name not shown)'));
    return {
      field: null,
      message: `unknown field(s) ${names.join(', ')} for ${connector.id} (fields: ${known})`,
    };
  }
  const key = String(issue.path[0] ?? '');
  const spec = connector.fields.find((f) => f.key === key);
  if (issue.code === 'invalid_type' && spec) {
    return { field: key, message: given[key] === undefined ? 'is required' : 'must be a string' };
  }
  return { field: key || null, message: issue.message };
}

/** What a check needs from its surroundings. */
export interface CheckDependencies {
  client: GuardedClient;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  precoroLedger?: PrecoroLedger;
}

/**
 * Runs a prepared check and returns the report of DESIGN.md section 3. Never throws: a bug inside a probe
 * becomes an inconclusive `vendor_error`, and secret values are scrubbed from the finished report.
 */
export async function runCheck(check: PreparedCheck, deps: CheckDependencies): Promise<Report> {
  const now = deps.now ?? Date.now;
  const started = now();
  const recorder = new ProbeRecorder(deps.client);
  let finding: ProbeFinding;
  try {
    finding = await check.connector.probe(check.fields, {
      client: deps.client,
      requirements: check.requirements,
      recorder,
      now,
      sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      ...(deps.precoroLedger ? { precoroLedger: deps.precoroLedger } : {}),
    });
  } catch {
    finding = failed(
      'vendor_error',
      'credval could not finish the check because of an internal error; try again.',
    );
  }
  finding = enforceRequirements(finding, check.requirements);

  const warnings = [...check.warnings, ...finding.warnings, ...readAccessWarnings(finding)];
  const plainHttp = recorder.traces.some((t) => t.url.startsWith('http:') && t.status !== null);
  if (plainHttp && finding.verdict !== 'inconclusive') {
    warnings.push({
      code: 'insecure_http',
      message: 'The credential travelled over plain http: use https so it cannot be read on the way.',
    });
  }
  const report: Report = {
    verdict: finding.verdict,
    reason: finding.reason,
    message: finding.message,
    field: finding.field,
    retryable: finding.retryable,
    retryAfterSeconds: finding.retryAfterSeconds,
    identity: finding.identity,
    vendor: finding.vendor,
    permissions: finding.permissions,
    warnings,
    probes: recorder.traces,
    checkedAt: new Date(started).toISOString(),
    durationMs: Math.max(0, Math.round(now() - started)),
  };
  return ReportSchema.parse(scrubSecrets(report, secretValues(check)));
}

/** The secret values of a check, longest first, for scrubbing. */
export function secretValues(check: Pick<PreparedCheck, 'connector' | 'fields'>): string[] {
  return check.connector.fields
    .filter((f) => f.secret)
    .map((f) => check.fields[f.key])
    .filter((v): v is string => typeof v === 'string' && v.length >= 4)
    .sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of a secret in every string of a value (defence in depth: nothing should carry one). */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === 'string') return secrets.reduce((text, s) => text.split(s).join('[redacted]'), v);
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
    return v;
  };
  return scrub(value) as T;
}
