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
