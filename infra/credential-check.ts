import { CustomResource, Duration, Token } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { parseDuration } from '../shared/domain/durations.ts';
import catalogue from '../shared/generated/catalogue.json' with { type: 'json' };
import { parseEgressAllow } from '../shared/net/address-policy.ts';
import { CredvalFunction } from './credval-function.ts';

/** A vendor resource and the access the credential must have to it (as in POST /validations). */
export interface CredentialRequirement {
  resource: string;
  access: Array<'read' | 'write'>;
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
      },
    });
  }

  /** `valid` or `inconclusive` (an invalid credential fails the deployment). */
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
  /** Warning codes of a valid check, comma-separated (e.g. `admin_credential`). */
  get warnings(): string {
    return this.resource.getAttString('Warnings');
  }
}
