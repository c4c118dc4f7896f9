import { type Report, Report as ReportSchema, Requirement, type Warning } from '../domain/report.ts';
import * as z from '../domain/zod.ts';
import type { GuardedClient } from '../net/types.ts';
import { CheckBudget, MAX_REQUIREMENTS } from './check-budget.ts';
import { failed } from './findings.ts';
import { asFieldValues } from './normalize.ts';
import { enforceRequirements, readAccessWarnings } from './permissions.ts';
import type { PrecoroLedger } from './precoro/request-ledger.ts';
import { ProbeRecorder } from './probe-recorder.ts';
import { CONNECTORS, findConnector } from './registry.ts';
import { scrubReport, secretScrubber } from './scrub.ts';
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

const Requirements = z
  .array(Requirement)
  .check(z.maxLength(MAX_REQUIREMENTS, `at most ${MAX_REQUIREMENTS} requirements`));

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
  if (requirements.success) {
    const resources = new Set(requirements.data.map((r) => r.resource)).size;
    if (resources > connector.maxRequirements) {
      issues.push({
        field: 'requirements',
        message: `${connector.id} checks at most ${connector.maxRequirements} resources per request (${resources} asked): ${connector.label}'s pace allows no more within the check's time; split them over several checks`,
      });
    }
  }
  if (!parsed.success || !requirements.success || issues.length > 0) {
    // Messages may quote a field name, and people paste secrets in odd places: scrub them all the same.
    const scrub = secretScrubber(secretValues({ connector, fields: asFieldValues(normalized.fields) }));
    throw new CheckInputError(issues.map((issue) => ({ ...issue, message: scrub(issue.message) })));
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
  /** The whole check's deadline (CHECK_DEADLINE; default DEFAULT_CHECK_DEADLINE_MS). */
  deadlineMs?: number;
  /** Vendor calls in flight at once for this check (default PER_CHECK_CONCURRENCY). */
  concurrency?: number;
}

/**
 * Runs a prepared check and returns the report of README "The report". Never throws: a bug inside a probe
 * becomes an inconclusive `vendor_error`, and secret values are scrubbed from the finished report.
 * One deadline covers the whole check: when it passes, no vendor call starts, calls in flight are cut off and
 * the report is `inconclusive` / `timeout` with whatever was learned; after the answer nothing more is sent.
 */
export async function runCheck(check: PreparedCheck, deps: CheckDependencies): Promise<Report> {
  const now = deps.now ?? Date.now;
  const started = now();
  const budget = new CheckBudget({
    ...(deps.deadlineMs !== undefined ? { deadlineMs: deps.deadlineMs } : {}),
    ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
  });
  const recorder = new ProbeRecorder(deps.client, budget);
  let finding: ProbeFinding | null;
  try {
    finding = await budget.race(
      check.connector.probe(check.fields, {
        client: deps.client,
        requirements: check.requirements,
        recorder,
        now,
        sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        ...(deps.precoroLedger ? { precoroLedger: deps.precoroLedger } : {}),
      }),
    );
  } catch {
    finding = failed(
      'vendor_error',
      'credval could not finish the check because of an internal error; try again.',
    );
  } finally {
    budget.close();
  }
  // Whatever the probe concluded from calls the deadline cut off is not a verdict.
  if (finding === null || budget.cutShort) finding = outOfTime(finding, budget.deadlineMs);
  finding = enforceRequirements(finding, check.requirements);

  const traces = recorder.traces;
  const warnings = [...check.warnings, ...finding.warnings, ...readAccessWarnings(finding)];
  const plainHttp = traces.some((t) => t.url.startsWith('http:') && t.status !== null);
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
    probes: traces,
    checkedAt: new Date(started).toISOString(),
    durationMs: Math.max(0, Math.round(now() - started)),
  };
  return ReportSchema.parse(scrubReport(report, secretValues(check)));
}

/** The `timeout` report of a check its deadline cut short, keeping what the probe had learned. */
function outOfTime(finding: ProbeFinding | null, deadlineMs: number): ProbeFinding {
  const seconds = Math.round(deadlineMs / 100) / 10;
  return failed(
    'timeout',
    `The vendor did not answer every call within the check's ${seconds} s: what it had answered is kept (parts marked unknown were not checked); try again later.`,
    {
      identity: finding?.identity ?? null,
      vendor: finding?.vendor ?? {},
      permissions: finding?.permissions ?? [],
      warnings: finding?.warnings ?? [],
      retryable: true,
    },
  );
}

/** The secret values of a check, longest first, for scrubbing. */
export function secretValues(check: Pick<PreparedCheck, 'connector' | 'fields'>): string[] {
  return check.connector.fields
    .filter((f) => f.secret)
    .map((f) => check.fields[f.key])
    .filter((v): v is string => typeof v === 'string' && v.length >= 4)
    .sort((a, b) => b.length - a.length);
}
