import { createHash } from 'node:crypto';
import { CheckInputError, prepareCheck } from '../connectors/check.ts';
import { findConnector } from '../connectors/registry.ts';
import { secretScrubber } from '../connectors/scrub.ts';
import { SecretReadError } from '../domain/errors.ts';
import { TENANT_ID } from '../domain/identifiers.ts';
import type { RegisterRequest, RegistrationRequest, RegistrationResult } from '../domain/registration.ts';
import type { Report, Requirement } from '../domain/report.ts';
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
  /** Register the credential with a credval deployment for revalidation (its register-credential function). */
  Register: z.optional(
    z.object({
      FunctionArn: z.string().check(z.regex(/^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:.+$/)),
      Tenant: z.string().check(z.regex(TENANT_ID)),
      Name: z.string().check(z.minLength(1), z.maxLength(200)),
      Description: z.optional(z.string().check(z.maxLength(1000))),
    }),
  ),
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
    register: properties.Register ?? null,
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

/** Invokes a credval deployment's register-credential function (its ARN) with a request. */
export type Registrar = (functionArn: string, request: RegistrationRequest) => Promise<RegistrationResult>;

export interface CredentialCheckResourceDeps {
  check: Checker;
  readSecret: SecretReader;
  /** Needed only by resources that register their credential (`Register`). */
  register?: Registrar;
  /**
   * The stack's status (DescribeStacks), asked only before failing an update: a check that fails while the stack
   * rolls back must not fail the rollback, which would leave the stack stuck (UPDATE_ROLLBACK_FAILED).
   */
  stackStatus?: (stackId: string) => Promise<string | null>;
}

/**
 * The id a registered credential has in credval: stable for the resource (its stack and logical id), whatever its
 * properties, so an update re-registers the same credential.
 */
export function registeredCredentialIdOf(event: Pick<CustomResourceEvent, 'StackId' | 'LogicalResourceId'>) {
  const hash = createHash('sha256').update(`${event.StackId}/${event.LogicalResourceId}`).digest('hex');
  return `cfn-${hash.slice(0, 32)}`;
}

/** Turns custom resource requests into responses. Never throws for a bad request: it answers FAILED instead. */
export class CredentialCheckResource {
  constructor(private readonly deps: CredentialCheckResourceDeps) {}

  async respond(event: CustomResourceEvent): Promise<CustomResourceResponse> {
    const base = {
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    };
    if (event.RequestType === 'Delete') {
      const physicalId = event.PhysicalResourceId ?? 'credval-check';
      // A deletion always succeeds, whatever its properties say: at most a registration is left behind, and the
      // reason says so.
      const left = await this.deregister(event, physicalId);
      return {
        ...base,
        Status: 'SUCCESS',
        PhysicalResourceId: physicalId,
        ...(left ? { Reason: left } : {}),
      };
    }
    const physicalId = physicalIdOf(event.ResourceProperties ?? {});
    const secrets: string[] = [];
    const fail = async (reason: string): Promise<CustomResourceResponse> => {
      const scrubbed = truncate(secretScrubber(secrets)(reason), REASON_LIMIT);
      return (await this.rollingBack(event, physicalId))
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
      const secret = await this.deps.readSecret(properties.SecretArn).catch((error: unknown) => {
        // The reader's own messages name the secret and the error, never a value; a deploy may simply be retried.
        if (error instanceof SecretReadError) throw error;
        throw new SetupProblem(`${(error as Error).message} Deploy again in a moment.`);
      });
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
        return { ...(await fail(reasonOf(connector.label, report))), Data: data };
      }
      if (properties.Register) {
        const plain = Object.fromEntries(
          Object.entries(prepared.fields).filter(([key]) => !secretKeys.includes(key)),
        );
        try {
          data.CredentialId = await this.register(event, physicalId, properties, {
            fields: plain as Record<string, string>,
            requirements: prepared.requirements,
            report,
          });
        } catch (error) {
          // The check passed: its outcome stays visible next to why the registration did not happen.
          if (error instanceof SetupProblem) return { ...(await fail(error.message)), Data: data };
          throw error;
        }
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

  /** CloudFormation is undoing an update: back to the inputs that last passed, or the stack says so. */
  private async rollingBack(event: CustomResourceEvent, physicalId: string): Promise<boolean> {
    if (event.RequestType !== 'Update') return false;
    if (event.PhysicalResourceId === physicalId) return true;
    const status = await this.deps.stackStatus?.(event.StackId).catch(() => null);
    return Boolean(status?.endsWith('ROLLBACK_IN_PROGRESS'));
  }

  /** Registers the checked credential with the credval deployment `Register` names; its id in credval. */
  private async register(
    event: CustomResourceEvent,
    physicalId: string,
    properties: CredentialCheckProperties,
    checked: { fields: Record<string, string>; requirements: Requirement[]; report: Report },
  ): Promise<string> {
    const target = properties.Register;
    if (!target || !this.deps.register) {
      throw new SetupProblem('credval: this check function cannot register credentials.');
    }
    const credentialId = registeredCredentialIdOf(event);
    const request: RegisterRequest = {
      action: 'register',
      tenantId: target.Tenant,
      credentialId,
      name: target.Name,
      ...(target.Description ? { description: target.Description } : {}),
      connector: properties.Connector,
      ...checked,
      secretArn: properties.SecretArn,
      registration: {
        stackId: event.StackId,
        logicalResourceId: event.LogicalResourceId,
        physicalResourceId: physicalId,
      },
    };
    let result: RegistrationResult;
    try {
      result = await this.deps.register(target.FunctionArn, request);
    } catch (error) {
      throw new SetupProblem(
        `credval: the credential works, but registering it failed: ${(error as Error).message}`,
      );
    }
    if (!result.ok) {
      throw new SetupProblem(
        `credval: the credential works, but the credval deployment refused to register it (${result.code}): ${result.message}`,
      );
    }
    return credentialId;
  }

  /**
   * Removes the registration a deleted resource made, if it made one and it is still its own (after an update that
   * changed the physical id, CloudFormation deletes the old one: the credential then belongs to the new one). Never
   * throws: what is left behind comes back as a sentence for the stack's events.
   */
  private async deregister(event: CustomResourceEvent, physicalId: string): Promise<string | undefined> {
    const target = CredentialCheckProperties.shape.Register.safeParse(event.ResourceProperties?.Register);
    if (!target.success || !target.data) return undefined;
    const credentialId = registeredCredentialIdOf(event);
    const left = (why: string) =>
      `credval: the registration of credential ${credentialId} (tenant ${target.data?.Tenant}) was not removed (${why}); delete it through the API.`;
    if (!this.deps.register) return left('this check function cannot reach credval');
    try {
      const result = await this.deps.register(target.data.FunctionArn, {
        action: 'deregister',
        tenantId: target.data.Tenant,
        credentialId,
        registration: {
          stackId: event.StackId,
          logicalResourceId: event.LogicalResourceId,
          physicalResourceId: physicalId,
        },
      });
      return result.ok ? undefined : left(`${result.code}: ${result.message}`);
    } catch (error) {
      return left((error as Error).message);
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
