import { InputError, ServiceError } from '../domain/errors.ts';
import type { Report } from '../domain/report.ts';
import { CheckInconclusiveError, CheckRejectedError } from '../service/errors.ts';

/** An HTTP answer in API Gateway's (payload 2.0) result shape. */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Errors the HTTP layer raises itself (auth, parsing, routing). */
export class HttpError extends ServiceError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

/** The status of each error code the service raises. */
export const STATUS_BY_CODE: Record<string, number> = {
  invalid_input: 400,
  invalid_cursor: 400,
  not_found: 404,
  conflict: 409,
  version_conflict: 409,
  // A registered credential: its fields, requirements and secret are its stack's and its owner's.
  managed_externally: 409,
  precondition_failed: 412,
  credential_invalid: 422,
  destination_not_allowed: 422,
  check_inconclusive: 503,
  storage_unavailable: 503,
  // Fails closed: the stored secret was altered or copied from another credential. Not retryable.
  secret_unreadable: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The one place that shapes error answers (RFC 9457 problem+json). Known errors keep their message;
 * anything else becomes a generic 500 with the correlation id, never a stack, an input or a secret.
 */
export function problemFor(error: unknown, correlationId: string): HttpResult {
  let status = 500;
  let code = 'internal_error';
  let detail = `Internal error. Quote correlation id ${correlationId} when reporting it.`;
  let extra: { issues?: InputError['issues']; report?: Report } = {};
  const headers: Record<string, string> = {};
  if (error instanceof HttpError) {
    status = error.status;
    code = error.code;
    detail = error.message;
  } else if (error instanceof ServiceError && STATUS_BY_CODE[error.code]) {
    status = STATUS_BY_CODE[error.code] ?? 500;
    code = error.code;
    detail = error.message;
    if (error instanceof InputError) extra = { issues: error.issues };
    if (error instanceof CheckRejectedError || error instanceof CheckInconclusiveError) {
      extra = { report: error.report };
      if (error.report.retryAfterSeconds !== null)
        headers['retry-after'] = String(error.report.retryAfterSeconds);
    }
    if (code === 'storage_unavailable') headers['retry-after'] = '5';
  }
  const body = {
    type: `https://credval.dev/problems/${code.replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    correlationId,
    ...extra,
  };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(body),
  };
}
