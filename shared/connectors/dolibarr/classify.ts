import type { OutboundResult } from '../../net/types.ts';
import { asRecord, failed, genericAnswerFinding, isHtml, isJson, parseJson } from '../findings.ts';
import type { ProbeFinding } from '../types.ts';

type Answer = Extract<OutboundResult, { ok: true }>;

/** What `/status` told us when the key works. */
export interface DolibarrStatus {
  version: string;
  accessLocked: boolean;
  environment: string | null;
}

/** Restler's error text, e.g. "Unauthorized: Error user not valid …"; '' when the body is not Restler's. */
export function restlerMessage(answer: Answer): string {
  const error = asRecord(asRecord(parseJson(answer.body))?.error);
  return typeof error?.message === 'string' ? error.message : '';
}

/** The page Dolibarr prints with HTTP 200 when the REST API module is switched off (captured on 20.0.2). */
export function isApiModuleDisabledPage(answer: Answer): boolean {
  return answer.status === 200 && !isJson(answer) && /<b>Api<\/b>|must be enabled/i.test(answer.body);
}

/**
 * Classifies the answer to `GET /api/index.php/status` (README "What each check does").
 * Returns the status when the key is valid, otherwise a finding.
 */
export function classifyDolibarrStatus(answer: Answer, now: number): DolibarrStatus | ProbeFinding {
  const { status } = answer;
  const json = isJson(answer) ? asRecord(parseJson(answer.body)) : undefined;
  const success = asRecord(json?.success);
  if (status === 200 && success && typeof success.dolibarr_version === 'string') {
    return {
      version: success.dolibarr_version,
      accessLocked: String(success.access_locked ?? '0') === '1',
      environment: typeof success.environment === 'string' ? success.environment : null,
    };
  }
  if (isApiModuleDisabledPage(answer)) {
    return failed(
      'api_disabled',
      'The Dolibarr REST API module is switched off: enable "API REST (server)" in Home > Setup > Modules/Applications.',
      { retryable: false },
    );
  }
  const message = restlerMessage(answer);
  const text = message || answer.body.slice(0, 500);
  if (status === 401) {
    if (/Failed to login to API/i.test(text)) {
      return failed(
        'vendor_error',
        'Dolibarr did not receive the API key header: a proxy in front of Dolibarr may strip the DOLAPIKEY header.',
      );
    }
    return failed(
      'invalid_credentials',
      'Dolibarr refused the API key: it is unknown, or its user is disabled or outside its validity dates. Check the key on the user card.',
      { field: 'apiKey' },
    );
  }
  if (status === 503) {
    if (/should not start with dolcrypt/i.test(text)) {
      return failed(
        'invalid_input',
        'That is the encrypted value from the database: paste the plain API key shown on the user card.',
        { field: 'apiKey' },
      );
    }
    if (/locked or disabled/i.test(text)) {
      return failed('invalid_credentials', 'The user owning this API key is disabled in Dolibarr.', {
        field: 'apiKey',
      });
    }
    if (/not allowed from the IP/i.test(text)) {
      return failed(
        'ip_not_allowed',
        "Dolibarr refuses API calls from credval's address (API_RESTRICT_ON_IP): allow it in Dolibarr's API setup.",
      );
    }
    if (/More than 1 user with this apikey|Error when fetching user/i.test(text)) {
      return failed(
        'vendor_error',
        'Dolibarr could not look the key up (the same key is set on several users, or a database error).',
        {
          field: 'apiKey',
        },
      );
    }
  }
  if (status === 501) {
    if (/API_ENDPOINT_RULES/i.test(text)) {
      return failed('api_disabled', 'Dolibarr forbids this endpoint by its API_ENDPOINT_RULES setting.');
    }
    return failed(
      'not_the_vendor',
      'This Dolibarr does not offer /status: the URL is not a Dolibarr, or the version is older than 10.',
      { field: 'baseUrl' },
    );
  }
  if (status === 202 && isHtml(answer)) {
    return failed('vendor_error', 'Dolibarr answered with an error page (its database may be unreachable).');
  }
  const generic = genericAnswerFinding(answer, { urlField: 'baseUrl', vendorName: 'Dolibarr', now });
  if (generic) return generic;
  return failed(
    'not_the_vendor',
    status === 404 || isHtml(answer)
      ? 'No Dolibarr API answers at this URL: enter the address you open Dolibarr at.'
      : `Unexpected answer from the Dolibarr API (HTTP ${status}).`,
    { field: 'baseUrl' },
  );
}

/** Identity fields from `/users/info`. */
export interface DolibarrUser {
  id: string | null;
  login: string | null;
  name: string | null;
  email: string | null;
  admin: boolean;
  external: boolean;
  rights: Record<string, unknown> | null;
}

/** Reads the user object of `/users/info`, keeping only what the report may show (never `pass_crypted`). */
export function parseDolibarrUser(answer: Answer): DolibarrUser | null {
  if (answer.status !== 200 || !isJson(answer)) return null;
  const user = asRecord(parseJson(answer.body));
  if (!user) return null;
  const str = (v: unknown) =>
    typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
  const name = [str(user.firstname), str(user.lastname)].filter(Boolean).join(' ');
  return {
    id: str(user.id),
    login: str(user.login),
    name: name || null,
    email: str(user.email),
    admin: String(user.admin) === '1',
    external: str(user.socid) !== null && str(user.socid) !== '0',
    rights: asRecord(user.rights) ?? null,
  };
}

/** Looks up a dotted right (e.g. "fournisseur.commande.lire") in a Dolibarr rights tree. */
export function hasRight(rights: Record<string, unknown>, path: string): boolean {
  let node: unknown = rights;
  for (const part of path.split('.')) {
    const record = asRecord(node);
    if (!record) return false;
    node = record[part];
  }
  return node === 1 || node === '1' || node === true;
}

/** Read access to a resource from its list endpoint: 200 or an empty-page 404 mean yes, 401/403 no. */
export function classifyDolibarrResourceRead(answer: Answer): boolean | null {
  if (answer.status === 200 && isJson(answer)) return true;
  // An empty list is a 404 "… not found" in Dolibarr (captured: thirdparties-empty-page-readonly).
  if (
    answer.status === 404 &&
    /not found/i.test(restlerMessage(answer)) &&
    restlerMessage(answer) !== 'Not Found'
  ) {
    return true;
  }
  if (answer.status === 403 || answer.status === 401) return false;
  return null;
}
