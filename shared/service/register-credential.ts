import { type Credential, FRESH_MONITOR } from '../domain/credential.ts';
import { ConflictError, NotFoundError, VersionConflictError } from '../domain/errors.ts';
import type { DeregisterRequest, RegisterRequest, RegistrationResult } from '../domain/registration.ts';
import catalogue from '../generated/catalogue.json' with { type: 'json' };
import type { Clock, CredentialRepository } from '../store/ports.ts';
import type { ServiceConfig } from './config.ts';
import { withJitter } from './status-policy.ts';

// Credentials registered by a `CredentialCheck` resource (README "Registered credentials"): the resource checked the
// credential during a deploy and hands credval the result, the non-secret fields and the ARN of the secret its owner
// keeps. credval stores the item and re-checks it on its schedule, reading the secret by ARN; it never writes,
// rotates or deletes that secret. The function that runs this needs the table only: no vendor, no secret store, and
// so no connector code. The connectors' fields come from the generated catalogue (`npm run generate`, from the
// connector registry; test/unit/generated.test.ts keeps it current).

export interface RegistrationDeps {
  repository: CredentialRepository;
  clock: Clock;
  config: Pick<ServiceConfig, 'checkIntervalMs' | 'jitter'>;
  random?: () => number;
}

interface CatalogueField {
  key: string;
  secret: boolean;
  required: boolean;
}

/** What registration needs to know of each connector: its fields and how many resources one check may name. */
const CONNECTORS: ReadonlyMap<string, { fields: CatalogueField[]; maxRequirements: number }> = new Map(
  catalogue.items.map((item) => [
    item.id,
    { fields: item.fields as CatalogueField[], maxRequirements: item.maxRequirements },
  ]),
);

/** Races lost to another writer of the same item before giving up: the first loss is retried once. */
const ATTEMPTS = 2;

const refuse = (code: string, message: string): RegistrationResult => ({ ok: false, code, message });

/** Field names are echoed only when they look like field names: a value pasted as a key is not. */
const shown = (key: string) => (/^[A-Za-z][A-Za-z_]{0,30}$/.test(key) ? key : '(name not shown)');

/**
 * Registers and deregisters credentials for a `CredentialCheck` resource. Errors the caller can fix come back as
 * `{ ok: false, code, message }` (a message that names fields, never a value); storage failures throw.
 */
export class CredentialRegistrations {
  constructor(private readonly deps: RegistrationDeps) {}

  /**
   * Creates the credential (`created`), or replaces a registered one with the new inputs and report (`updated`).
   * An id taken by a credential credval keeps itself is refused (`conflict`), as is an invalid report.
   */
  async register(request: RegisterRequest): Promise<RegistrationResult> {
    const problem = inputProblem(request);
    if (problem) return refuse('invalid_input', problem);
    if (request.report.verdict === 'invalid') {
      return refuse(
        'credential_invalid',
        `credval: the check found the credential invalid${request.report.reason ? ` (${request.report.reason})` : ''}; an invalid credential is not registered.`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      const current = await this.deps.repository.get(request.tenantId, request.credentialId);
      if (current && !current.secretArn) {
        return refuse(
          'conflict',
          `credval: tenant ${request.tenantId} already has a credential ${request.credentialId} whose secret credval keeps itself; a registration may not replace it.`,
        );
      }
      try {
        if (!current) {
          await this.deps.repository.create(this.created(request));
          return { ok: true, credentialId: request.credentialId, outcome: 'created' };
        }
        await this.deps.repository.replace(this.updated(current, request), current.version);
        return { ok: true, credentialId: request.credentialId, outcome: 'updated' };
      } catch (error) {
        // Created, changed or deleted meanwhile (a re-check, a rename, another registration): decide again.
        const lostRace =
          error instanceof ConflictError ||
          error instanceof VersionConflictError ||
          error instanceof NotFoundError;
        if (!lostRace) throw error;
        if (attempt >= ATTEMPTS) {
          return refuse(
            'version_conflict',
            `credval: the credential ${request.credentialId} changed while it was being registered; try again.`,
          );
        }
      }
    }
  }

  /**
   * Removes the registration of this very physical resource (`removed`). A credential another physical resource
   * registered since is left alone (`kept`): CloudFormation deletes the old resource after an update replaced it.
   */
  async deregister(request: DeregisterRequest): Promise<RegistrationResult> {
    const done = (outcome: 'removed' | 'absent' | 'kept'): RegistrationResult => ({
      ok: true,
      credentialId: request.credentialId,
      outcome,
    });
    for (let attempt = 1; ; attempt++) {
      const current = await this.deps.repository.get(request.tenantId, request.credentialId);
      if (!current) return done('absent');
      if (!current.secretArn) {
        return refuse(
          'conflict',
          `credval: the credential ${request.credentialId} of tenant ${request.tenantId} is not a registered one (credval keeps its secret); it is not removed.`,
        );
      }
      if (current.registration?.physicalResourceId !== request.registration.physicalResourceId) {
        return done('kept');
      }
      try {
        await this.deps.repository.delete(request.tenantId, request.credentialId, current.version);
        return done('removed');
      } catch (error) {
        if (error instanceof NotFoundError) return done('absent');
        if (!(error instanceof VersionConflictError)) throw error;
        if (attempt >= ATTEMPTS) {
          return refuse(
            'version_conflict',
            `credval: the credential ${request.credentialId} changed while it was being removed; try again.`,
          );
        }
      }
    }
  }

  /** A new registered credential, as POST /credentials would store it: checked once, its first check the report. */
  private created(request: RegisterRequest): Credential {
    const now = this.deps.clock.now();
    return {
      ...this.inputs(request, now),
      tenantId: request.tenantId,
      id: request.credentialId,
      version: 1,
      createdAt: now.toISOString(),
      monitor: { ...FRESH_MONITOR, lastCheckId: 'v1', lastStatusBefore: null, lastTrigger: 'create' },
    };
  }

  /** A registered credential with the inputs and report of a new registration, as its next version. */
  private updated(current: Credential, request: RegisterRequest): Credential {
    const now = this.deps.clock.now();
    const version = current.version + 1;
    const { secretVersion: _none, ...base } = current;
    return {
      ...base,
      ...this.inputs(request, now),
      version,
      // Like an edit: the credential starts afresh with the check that came with it.
      monitor: {
        ...FRESH_MONITOR,
        lastCheckId: `v${version}`,
        lastStatusBefore: current.status,
        lastTrigger: 'update',
      },
    };
  }

  /** What a registration sets, whether it creates or replaces. */
  private inputs(request: RegisterRequest, now: Date) {
    const due = new Date(now.getTime() + this.deps.config.checkIntervalMs);
    return {
      connector: request.connector,
      name: request.name,
      description: request.description ?? '',
      fields: request.fields,
      requirements: request.requirements,
      // A configuration that could not be verified is unverified, as POST /credentials with allowUnverified.
      status: request.report.verdict === 'valid' ? ('valid' as const) : ('unverified' as const),
      lastCheck: request.report,
      updatedAt: now.toISOString(),
      nextCheckAt: withJitter(due, now, this.deps.config.jitter, this.deps.random).toISOString(),
      secretName: request.secretArn,
      secretArn: request.secretArn,
      registration: request.registration,
    };
  }
}

/** What is wrong with a registration's connector, fields or requirements, or null. Never quotes a value. */
function inputProblem(request: RegisterRequest): string | null {
  const connector = CONNECTORS.get(request.connector);
  if (!connector) {
    return `credval: unknown connector ${JSON.stringify(request.connector)} (known: ${[...CONNECTORS.keys()].join(', ')}).`;
  }
  const specs = new Map(connector.fields.map((field) => [field.key, field]));
  const keys = Object.keys(request.fields);
  const secret = keys.filter((key) => specs.get(key)?.secret);
  if (secret.length > 0) {
    return `credval: fields must not hold ${secret.join(', ')}: secret fields are read from the secret ${request.secretArn} only.`;
  }
  const unknown = keys.filter((key) => !specs.has(key));
  if (unknown.length > 0) {
    return `credval: ${request.connector} has no field(s) ${unknown.map(shown).join(', ')} (its non-secret fields: ${connector.fields
      .filter((field) => !field.secret)
      .map((field) => field.key)
      .join(', ')}).`;
  }
  const missing = connector.fields.filter(
    (field) => field.required && !field.secret && !request.fields[field.key],
  );
  if (missing.length > 0) {
    return `credval: ${request.connector} needs the field(s) ${missing.map((field) => field.key).join(', ')}.`;
  }
  const resources = new Set(request.requirements.map((requirement) => requirement.resource)).size;
  if (resources > connector.maxRequirements) {
    return `credval: ${request.connector} checks at most ${connector.maxRequirements} resources (${resources} given).`;
  }
  return null;
}
