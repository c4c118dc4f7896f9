import { CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import {
  EventField,
  type EventPattern,
  type IRuleTarget,
  Match,
  Rule,
  RuleTargetInput,
} from 'aws-cdk-lib/aws-events';
import { ArnPrincipal, type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnPermission, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import { parseDuration } from '../shared/domain/durations.ts';
import {
  CLOUDTRAIL_API_CALL,
  REVALIDATION_REQUESTED,
  SECRET_CHANGE_EVENT_NAMES,
  SECRET_LABEL_UPDATED,
  SECRETS_MANAGER_SOURCE,
} from '../shared/domain/event-names.ts';
import { TENANT_ID } from '../shared/domain/identifiers.ts';
import catalogue from '../shared/generated/catalogue.json' with { type: 'json' };
import { parseEgressAllow } from '../shared/net/address-policy.ts';
import { CredvalFunction } from './credval-function.ts';

/** A vendor resource and the access the credential must have to it (as in POST /validations). */
export interface CredentialRequirement {
  resource: string;
  access: Array<'read' | 'write'>;
}

/** What a credval deployment offers the checks that register credentials with it (`Credval.registry`). */
export interface CredvalRegistry {
  /** The deployment's register-credential function, which the check's function invokes. */
  readonly registerFunction: IFunction;
  /** The deployment's revalidation trigger, which re-checks a registered credential when its secret changes. */
  readonly triggerFunction: IFunction;
  /** The roles that read a registered credential's secret when they re-check it (the worker, POST /credentials/{id}/validate). */
  readonly secretReaders: IRole[];
}

/** Registration of the checked credential with a credval deployment, which then re-checks it on its schedule. */
export interface CredentialRegistration {
  /** The credval deployment (a `Credval` construct's `registry`, or the stateless stack's). */
  credval: CredvalRegistry;
  /** The tenant the credential belongs to in credval. */
  tenant: string;
  /** The credential's name in credval (default: the construct's id). */
  name?: string;
  description?: string;
}

export interface CredentialCheckProps {
  /** `dolibarr`, `odoo` or `precoro` (GET /connectors lists them with their fields). */
  connector: string;
  /**
   * The connector's non-secret fields, e.g. `{ serverUrl, database, username }` for Odoo. Values may be tokens
   * (a URL another resource gives). A secret field here fails synthesis: it would be written into the template.
   */
  fields: Record<string, string>;
  /**
   * The Secrets Manager secret holding the secret field(s): a JSON object by field name (`{"password": "..."}`),
   * or, for a connector with one secret field, the bare value. Only this secret is readable by the check.
   */
  secret: ISecret;
  /** What the credential must be able to read or write; the connector's defaults when empty. */
  requirements?: CredentialRequirement[];
  /**
   * What a deploy does when the vendor gives no verdict (timeout, unreachable, rate limited): `warn` (default)
   * lets it go on, with `verdict` `inconclusive` and the reason in the stack events; `fail` fails it.
   */
  onInconclusive?: 'warn' | 'fail';
  /**
   * Anything that changes when the secret does (a version id, a rotation date, a build number). CloudFormation runs
   * the check again only when a property changes, and it cannot see into the secret; a new value here is how a
   * changed secret is checked on the next deploy.
   */
  secretVersion?: string;
  /** Private CIDRs the check may call (EGRESS_ALLOW): a vendor inside your network. None by default. */
  egressAllow?: string[];
  /** Deadline of the whole check (CHECK_DEADLINE), e.g. `30s`; at most 5 minutes. Default 30 s. */
  deadline?: string;
  /** Retention of the check function's log group. Default one month. */
  logRetention?: RetentionDays;
  /**
   * Register the credential with a credval deployment once it checks out, so credval re-checks it on its schedule
   * and announces every status change. The secret is not copied: credval's re-checking functions get read access
   * to this one secret, read it by ARN, and never write or delete it. Deleting this resource removes the
   * registration. The deployment must be in the same account (the grants are made here, in this stack).
   */
  register?: CredentialRegistration;
}

interface CatalogueField {
  key: string;
  secret: boolean;
}

/** Fails synthesis with a message naming the construct and what to change. */
function refuse(id: string, message: string): never {
  throw new Error(`CredentialCheck ${id}: ${message}`);
}

const MAX_DEADLINE_MS = 5 * 60_000;

/**
 * Checks a credential while CloudFormation deploys the stack, as POST /validations would, and fails the deployment
 * with the report's reason and message when the vendor says the credential does not work. The check runs in a
 * function of its own that may read only `secret`; its answer carries the verdict, identity and vendor version
 * (the attributes below), never the secret or what the vendor sent.
 */
export class CredentialCheck extends Construct {
  readonly resource: CustomResource;
  /** The function CloudFormation calls (one per check, so that it can read only its own secret). */
  readonly provider: CredvalFunction;
  /**
   * With `register`, for a secret (or key) this stack does not own: the policy on credval's roles that lets them read
   * it. A secret of this stack grants them read access on its own resource policy instead.
   */
  readonly readersPolicy?: Policy;
  /** With `register`: the rules that ask credval for a re-check when the owner changes the secret. */
  readonly secretChangeRules: Rule[] = [];

  constructor(scope: Construct, id: string, props: CredentialCheckProps) {
    super(scope, id);
    const connector = catalogue.items.find((item) => item.id === props.connector);
    if (!connector) {
      refuse(
        id,
        `unknown connector "${props.connector}" (known: ${catalogue.items.map((item) => item.id).join(', ')}).`,
      );
    }
    const fields = connector.fields as CatalogueField[];
    for (const key of Object.keys(props.fields)) {
      const field = fields.find((f) => f.key === key);
      if (!field) {
        refuse(
          id,
          `${props.connector} has no field "${key}" (its fields: ${fields.map((f) => f.key).join(', ')}).`,
        );
      }
      if (field.secret) {
        refuse(
          id,
          `"${key}" is a secret field: put it in the secret, not in fields, which are written into the template.`,
        );
      }
    }
    const egressAllow = props.egressAllow ?? [];
    try {
      parseEgressAllow(egressAllow.join(','));
    } catch (error) {
      refuse(id, `egressAllow: ${(error as Error).message}`);
    }
    const deadline = props.deadline ?? '30s';
    let deadlineMs: number;
    try {
      deadlineMs = parseDuration(deadline);
    } catch (error) {
      refuse(id, `deadline: ${(error as Error).message}`);
    }
    if (deadlineMs > MAX_DEADLINE_MS) refuse(id, 'deadline: at most 5 minutes.');
    for (const requirement of props.requirements ?? []) {
      if (!Token.isUnresolved(requirement.resource) && requirement.resource.trim() === '') {
        refuse(id, 'requirements: every requirement names a resource.');
      }
    }

    // Reading the secret, answering CloudFormation and the check's own deadline fit in the function's timeout,
    // and CloudFormation stops waiting shortly after it: a function that never answered cannot hold the stack
    // for the default hour.
    const timeout = Duration.seconds(Math.ceil(deadlineMs / 1000) + 30);
    this.provider = new CredvalFunction(this, 'Provider', {
      name: 'credential-check',
      description: `credval: checks the ${connector.label} credential ${id} during deploys`,
      config: {
        CHECK_DEADLINE: deadline,
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: 'credval-credential-check',
        POWERTOOLS_METRICS_NAMESPACE: 'credval',
        ...(egressAllow.length > 0 ? { EGRESS_ALLOW: egressAllow.join(',') } : {}),
      },
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // The function keeps no secret of its own: this only fixes which store code the bundle would carry (none).
      secretStore: 'secretsmanager',
      timeout,
    });
    props.secret.grantRead(this.provider.role);
    // Before failing an update it asks whether the stack is rolling back (a failing rollback leaves it stuck).
    this.provider.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['cloudformation:DescribeStacks'],
        resources: [Stack.of(this).stackId],
      }),
    );
    const registration = props.register;
    /** What must exist before the credential is registered: credval's read access to the secret. */
    const readAccess: IDependable[] = [];
    if (registration) {
      if (!Token.isUnresolved(registration.tenant) && !TENANT_ID.test(registration.tenant)) {
        refuse(
          id,
          'register.tenant: 1 to 64 letters, digits, "_", "." or "-" (as the API takes a tenant id).',
        );
      }
      // The function itself only, not its versions (`grantInvoke` would add a `:*` wildcard).
      this.provider.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [registration.credval.registerFunction.functionArn],
        }),
      );
      const grant = grantReaders(this, props.secret, registration.credval.secretReaders);
      this.readersPolicy = grant.policy;
      readAccess.push(...grant.dependables);
    }

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.function.functionArn,
      resourceType: 'Custom::CredvalCredentialCheck',
      serviceTimeout: timeout.plus(Duration.seconds(30)),
      properties: {
        Connector: props.connector,
        Fields: props.fields,
        Requirements: props.requirements ?? [],
        SecretArn: props.secret.secretArn,
        OnInconclusive: props.onInconclusive ?? 'warn',
        ...(props.secretVersion === undefined ? {} : { SecretVersion: props.secretVersion }),
        ...(registration
          ? {
              Register: {
                FunctionArn: registration.credval.registerFunction.functionArn,
                Tenant: registration.tenant,
                Name: registration.name ?? id,
                ...(registration.description ? { Description: registration.description } : {}),
              },
            }
          : {}),
      },
    });
    // Registered only once credval can read the secret it will re-check.
    for (const dependable of readAccess) this.resource.node.addDependency(dependable);
    if (registration)
      this.watchSecret(registration.tenant, props.secret, registration.credval.triggerFunction);
  }

  /**
   * A registered credential is re-checked when its owner changes the secret outside a deploy (a rotation, an edit in
   * the console): this account's Secrets Manager events about this one secret reach credval's trigger as a
   * `RevalidationRequested` for the credential, built by the rule's input transformer. The rules and the permission
   * to invoke the trigger live in this stack, so credval's stacks do not depend on this one.
   */
  private watchSecret(tenant: string, secret: ISecret, trigger: IFunction): void {
    const input = RuleTargetInput.fromObject({
      version: '0',
      id: EventField.eventId,
      'detail-type': REVALIDATION_REQUESTED,
      source: 'credval.credential-check',
      account: EventField.account,
      time: EventField.time,
      region: EventField.region,
      resources: [],
      detail: { tenantId: tenant, credentialId: this.credentialId, reason: 'its owner changed the secret' },
    });
    // Only this function: not through the LambdaFunction target, which would add the permission in credval's stack.
    const target: IRuleTarget = { bind: () => ({ arn: trigger.functionArn, input }) };
    const rules: Array<[string, string, EventPattern]> = [
      [
        'SecretLabelUpdated',
        'the secret has a new current version (Secrets Manager event; no trail needed)',
        {
          source: [SECRETS_MANAGER_SOURCE],
          detailType: [SECRET_LABEL_UPDATED],
          resources: Match.prefix(secret.secretArn),
          detail: { labelUpdated: ['AWSCURRENT'] },
        },
      ],
      [
        'SecretChangedApiCall',
        'a call changed the secret (needs a trail that logs management events)',
        {
          source: [SECRETS_MANAGER_SOURCE],
          detailType: [CLOUDTRAIL_API_CALL],
          detail: {
            eventSource: ['secretsmanager.amazonaws.com'],
            eventName: [...SECRET_CHANGE_EVENT_NAMES],
            errorCode: Match.doesNotExist(),
            requestParameters: { secretId: [secret.secretArn, secret.secretName] },
          },
        },
      ],
    ];
    for (const [ruleId, what, eventPattern] of rules) {
      const rule = new Rule(this, ruleId, {
        description: `credval: ${what} -> re-check the registered credential`,
        eventPattern,
        targets: [target],
      });
      new CfnPermission(this, `${ruleId}InvokesTrigger`, {
        action: 'lambda:InvokeFunction',
        functionName: trigger.functionArn,
        principal: 'events.amazonaws.com',
        sourceArn: rule.ruleArn,
      });
      this.secretChangeRules.push(rule);
    }
  }

  /** `valid` or `inconclusive` (an invalid credential fails the deployment, or, with `onInconclusive: 'fail'`, an inconclusive one). */
  get verdict(): string {
    return this.resource.getAttString('Verdict');
  }
  /** Why the check was not valid (a reason code), or empty. */
  get reason(): string {
    return this.resource.getAttString('Reason');
  }
  /** The login the credential acts as, as the vendor reports it. */
  get identityLogin(): string {
    return this.resource.getAttString('IdentityLogin');
  }
  /** The vendor's user id of that login. */
  get identityUserId(): string {
    return this.resource.getAttString('IdentityUserId');
  }
  /** The vendor's display name of that user. */
  get identityName(): string {
    return this.resource.getAttString('IdentityName');
  }
  /** The vendor's version (Odoo, Dolibarr), or empty where the vendor does not say. */
  get vendorVersion(): string {
    return this.resource.getAttString('VendorVersion');
  }
  /** The secret version the check read. */
  get secretVersionId(): string {
    return this.resource.getAttString('SecretVersionId');
  }
  /** The credential's id in credval, when `register` is set (GET /credentials/{id}). */
  get credentialId(): string {
    return this.resource.getAttString('CredentialId');
  }
  /** Warning codes of a valid check, comma-separated (e.g. `admin_credential`). */
  get warnings(): string {
    return this.resource.getAttString('Warnings');
  }
}

const READ_SECRET = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

/**
 * Lets credval's re-checking roles read one secret, and decrypt it through Secrets Manager only. Where this stack
 * owns the secret (and its key), on their own resource policies: credval's roles then carry nothing per secret, so
 * IAM's limit of 10,240 characters of inline policy per role never caps how many credentials can be registered.
 * For an imported secret or key, a policy in this stack attached to the roles instead (some thirty such secrets fit).
 * Either way credval's stacks do not depend on this one.
 */
function grantReaders(
  scope: Construct,
  secret: ISecret,
  readers: IRole[],
): { policy?: Policy; dependables: IDependable[] } {
  const principals = readers.map((role) => new ArnPrincipal(role.roleArn));
  const viaSecretsManager = {
    StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(scope).region}.amazonaws.com` },
  };
  const dependables: IDependable[] = [];
  const onRoles: PolicyStatement[] = [];

  const onSecret = secret.addToResourcePolicy(
    new PolicyStatement({ principals, actions: READ_SECRET, resources: ['*'] }),
  );
  if (onSecret.statementAdded) {
    if (onSecret.policyDependable) dependables.push(onSecret.policyDependable);
  } else {
    onRoles.push(new PolicyStatement({ actions: READ_SECRET, resources: [secret.secretArn] }));
  }
  const key = secret.encryptionKey;
  if (key) {
    const decrypt = { actions: ['kms:Decrypt'], conditions: viaSecretsManager };
    const onKey = key.addToResourcePolicy(new PolicyStatement({ ...decrypt, principals, resources: ['*'] }));
    if (!onKey.statementAdded) onRoles.push(new PolicyStatement({ ...decrypt, resources: [key.keyArn] }));
  }
  if (onRoles.length === 0) return { dependables };
  const policy = new Policy(scope, 'CredvalReadsSecret', { roles: readers, statements: onRoles });
  return { policy, dependables: [...dependables, policy] };
}
