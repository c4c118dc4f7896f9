import type { Credential } from '../domain/credential.ts';
import { ServiceError } from '../domain/errors.ts';
import type { Report } from '../domain/report.ts';

/** The vendor said no: nothing was stored or changed (422, with the report). */
export class CheckRejectedError extends ServiceError {
  constructor(readonly report: Report) {
    super('credential_invalid', report.message);
  }
}

/**
 * Nobody could tell whether the credential works; nothing was stored unless the caller allowed it (503,
 * `check_inconclusive`). A destination the egress policy refuses is no passing trouble that a retry fixes but a
 * configuration answer (422, `destination_not_allowed`), whose message names the fix (`EGRESS_ALLOW` or the URL).
 */
export class CheckInconclusiveError extends ServiceError {
  constructor(readonly report: Report) {
    super(
      report.reason === 'blocked_destination' ? 'destination_not_allowed' : 'check_inconclusive',
      report.message,
    );
  }
}

/**
 * A registered credential's fields, requirements or secret were to be changed here (409): they are defined in the
 * CloudFormation stack that registered it, and its secret is kept by its owner. Its name and description may change.
 */
export class ManagedExternallyError extends ServiceError {
  constructor(credential: Pick<Credential, 'secretArn' | 'registration'>) {
    const where = credential.registration
      ? `This credential is defined in CloudFormation stack ${credential.registration.stackId} (resource ${credential.registration.logicalResourceId}) and its secret is kept in Secrets Manager (${credential.secretArn}): change its fields, requirements or secret there.`
      : `This credential's secret is kept by its owner in Secrets Manager (${credential.secretArn}): change it there.`;
    super('managed_externally', `${where} Only its name and description can be changed here.`);
  }
}
