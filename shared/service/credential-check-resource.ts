import { createHash } from 'node:crypto';
import { CheckInputError, prepareCheck } from '../connectors/check.ts';
import { findConnector } from '../connectors/registry.ts';
import { secretScrubber } from '../connectors/scrub.ts';
import { SecretReadError } from '../domain/errors.ts';
import type { Report } from '../domain/report.ts';
import * as z from '../domain/zod.ts';
import type { SecretReader } from '../store/ports.ts';
import type { Checker } from './credential-commands.ts';
import { secretFieldsOf } from './external-secret.ts';

// The CloudFormation custom resource behind the `CredentialCheck` construct (infra/credential-check.ts): the same
// check as POST /validations, run during a deploy, with the secret read from Secrets Manager by ARN. What this
// module returns is what CloudFormation shows in stack events and hands to other resources, so it carries the
// report's verdict, reason, message, identity and vendor version, and never a secret or a vendor's body.

/** The custom resource request CloudFormation sends (Create, Update or Delete). */
export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
}

/** The answer CloudFormation expects at the event's ResponseURL. */
export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** What a deploy does when the vendor could not give a verdict (timeout, unreachable, rate limited). */
export const OnInconclusive = z.enum(['warn', 'fail']);

/**
 * The resource's properties as CloudFormation passes them: every scalar arrives as a string. `SecretVersion` is
 * not read; it is there so that a new value (a rotation the stack knows of) changes the properties and so runs
 * the check again.
 */
export const CredentialCheckProperties = z.object({
  Connector: z.string(),
  Fields: z.optional(z.record(z.string(), z.string())),
  Requirements: z.optional(
    z.array(z.object({ resource: z.string(), access: z.array(z.enum(['read', 'write'])) })),
  ),
  SecretArn: z.string().check(z.regex(/^arn:aws[a-z-]*:secretsmanager:[^:]*:\d{12}:secret:.+$/)),
  SecretVersion: z.optional(z.string()),
  OnInconclusive: z.optional(OnInconclusive),
});
export type CredentialCheckProperties = z.infer<typeof CredentialCheckProperties>;

/** CloudFormation's limit for a whole response is 4,096 bytes; the reason and message share it with the rest. */
const REASON_LIMIT = 1_500;
const MESSAGE_LIMIT = 1_000;

/**
 * The physical id names the inputs that passed: a hash of the non-secret properties (no secret value is ever part
 * of them). An update that fails leaves the old id in place, so a later update back to the same inputs (a
 * CloudFormation rollback) is recognised and never fails: a rollback that fails leaves a stack stuck.
 */
export function physicalIdOf(properties: Record<string, unknown>): string {
  const inputs = {
    connector: properties.Connector ?? null,
    fields: sortedEntries(properties.Fields),
    requirements: properties.Requirements ?? [],
    secretArn: properties.SecretArn ?? null,
    secretVersion: properties.SecretVersion ?? null,
  };
  const hash = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 20);
  return `credval-check-${hash}`;
}

function sortedEntries(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value ?? {};
  return Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
}

const truncate = (text: string, limit: number) =>
  text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;

/** A check that did not reach the vendor: the properties or the secret are wrong. */
class SetupProblem extends Error {}

/** Turns custom resource requests into responses. Never throws for a bad request: it answers FAILED instead. */
export class CredentialCheckResource {
  constructor(private readonly deps: { check: Checker; readSecret: SecretReader }) {}

  async respond(event: CustomResourceEvent): Promise<CustomResourceResponse> {
    const base = {
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    };
    if (event.RequestType === 'Delete') {
      // Nothing was created outside the stack: a deletion always succeeds, whatever its properties say.
      return { ...base, Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId ?? 'credval-check' };
    }
    const physicalId = physicalIdOf(event.ResourceProperties ?? {});
    // An update back to the inputs that last passed: CloudFormation rolling back a failed update.
    const rollingBack = event.RequestType === 'Update' && event.PhysicalResourceId === physicalId;
    const secrets: string[] = [];
    const fail = (reason: string): CustomResourceResponse => {
      const scrubbed = truncate(secretScrubber(secrets)(reason), REASON_LIMIT);
      return rollingBack
        ? {
            ...base,
            Status: 'SUCCESS',
            PhysicalResourceId: physicalId,
            Reason: `Kept on rollback: ${scrubbed}`,
          }
        : { ...base, Status: 'FAILED', PhysicalResourceId: physicalId, Reason: scrubbed };
    };

    try {
      const properties = parseProperties(event.ResourceProperties);
      const connector = findConnector(properties.Connector);
      if (!connector) {
        throw new SetupProblem(`credval: unknown connector "${properties.Connector}".`);
      }
      const secretKeys = connector.fields.filter((field) => field.secret).map((field) => field.key);
      const inTemplate = Object.keys(properties.Fields ?? {}).filter((key) => secretKeys.includes(key));
      if (inTemplate.length > 0) {
        throw new SetupProblem(
          `credval: ${inTemplate.join(', ')} must not be in Fields: secret fields come from the secret only.`,
        );
      }
      const secret = await this.deps.readSecret(properties.SecretArn);
      const secretFields = secretFieldsOf(secret.value, secretKeys, properties.SecretArn);
      secrets.push(...Object.values(secretFields));

      const prepared = prepareCheck({
        connector: properties.Connector,
        fields: { ...properties.Fields, ...secretFields },
        requirements: properties.Requirements ?? [],
      });
      const report = await this.deps.check(prepared);
      const scrub = secretScrubber(secrets);
      const data = Object.fromEntries(
        Object.entries(dataOf(report, secret.versionId)).map(([key, value]) => [key, scrub(value)]),
      );
      const onInconclusive = properties.OnInconclusive ?? 'warn';
      const passes =
        report.verdict === 'valid' || (report.verdict === 'inconclusive' && onInconclusive === 'warn');
      if (!passes) {
        return { ...fail(reasonOf(connector.label, report)), Data: data };
      }
      return {
        ...base,
        Status: 'SUCCESS',
        PhysicalResourceId: physicalId,
        ...(report.verdict === 'valid'
          ? {}
          : { Reason: truncate(reasonOf(connector.label, report), REASON_LIMIT) }),
        Data: data,
      };
    } catch (error) {
      if (error instanceof SetupProblem || error instanceof SecretReadError) return fail(error.message);
      if (error instanceof CheckInputError)
        return fail(`credval: the credential's fields are not valid: ${error.message}`);
      throw error;
    }
  }
}

function parseProperties(raw: Record<string, unknown>): CredentialCheckProperties {
  const parsed = CredentialCheckProperties.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || 'properties'}: ${issue.message}`,
  );
  throw new SetupProblem(`credval: the resource's properties are not valid: ${problems.join('; ')}`);
}

function reasonOf(label: string, report: Report): string {
  const why = report.reason ? ` (${report.reason}${report.field ? `, field ${report.field}` : ''})` : '';
  return `credval: the ${label} credential is ${report.verdict}${why}: ${report.message}`;
}

/** The attributes other resources may reference (`Fn::GetAtt`): strings only, as CloudFormation requires. */
function dataOf(report: Report, secretVersionId: string | null): Record<string, string> {
  const text = (value: unknown) => (value === null || value === undefined ? '' : String(value));
  return {
    Verdict: report.verdict,
    Reason: text(report.reason),
    Message: truncate(report.message, MESSAGE_LIMIT),
    Warnings: report.warnings.map((warning) => warning.code).join(','),
    IdentityUserId: text(report.identity?.userId),
    IdentityLogin: text(report.identity?.login),
    IdentityName: text(report.identity?.name),
    VendorVersion: text(report.vendor.version),
    SecretVersionId: text(secretVersionId),
    CheckedAt: report.checkedAt,
  };
}
