import { ServiceError } from '../domain/errors.ts';
import type { Report } from '../domain/report.ts';

/** The vendor said no: nothing was stored or changed (422, with the report). */
export class CheckRejectedError extends ServiceError {
  constructor(readonly report: Report) {
    super('credential_invalid', report.message);
  }
}

/** Nobody could tell whether the credential works; nothing was stored unless the caller allowed it (503). */
export class CheckInconclusiveError extends ServiceError {
  constructor(readonly report: Report) {
    super('check_inconclusive', report.message);
  }
}
