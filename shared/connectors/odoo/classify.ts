import type { OutboundResult } from '../../net/types.ts';
import type { XmlRpcResponse } from '../../net/xmlrpc-codec.ts';
import { asRecord, failed, genericAnswerFinding, isHtml, isJson, parseJson } from '../findings.ts';
import type { ProbeFinding } from '../types.ts';

type Answer = Extract<OutboundResult, { ok: true }>;

/** The server version as Odoo reports it, with the major number to pick the API by. */
export interface OdooVersion {
  serverVersion: string;
  serie: string | null;
  major: number | null;
  edition: 'enterprise' | 'community' | null;
}

/** Major version from "18.0", "17.0+e", "saas~18.1+e" or `server_version_info[0]` ("saas~18" or 18). */
export function odooMajor(value: unknown): number | null {
  const text = String(value ?? '').replace(/^saas~/, '');
  const match = /^(\d+)/.exec(text);
  return match ? Number.parseInt(match[1] ?? '', 10) : null;
}

/** Reads a `version()` dict, from JSON-RPC `version_info` or XML-RPC `common.version`. */
export function parseOdooVersionInfo(value: unknown): OdooVersion | null {
  const info = asRecord(value);
  if (!info || typeof info.server_version !== 'string') return null;
  const versionInfo = Array.isArray(info.server_version_info) ? info.server_version_info : [];
  const serie = typeof info.server_serie === 'string' ? info.server_serie : null;
  const major = odooMajor(versionInfo[0]) ?? odooMajor(serie) ?? odooMajor(info.server_version);
  const editionMark = versionInfo[5];
  const edition = editionMark === 'e' || info.server_version.includes('+e') ? 'enterprise' : 'community';
  return { serverVersion: info.server_version, serie, major, edition };
}

/** Reads the JSON-RPC envelope of `/web/webclient/version_info`. */
export function parseVersionInfoAnswer(answer: Answer): OdooVersion | null {
  if (answer.status !== 200 || !isJson(answer)) return null;
  return parseOdooVersionInfo(asRecord(parseJson(answer.body))?.result);
}

const INVALID_LOGIN_MESSAGE =
  'Odoo refused the username and password or API key. Check the login (it is case-sensitive) and the secret; accounts with two-factor login need an API key (My Profile > Account Security > New API Key); archived users and expired keys are refused too.';

/** True when a fault-1 traceback says the database does not exist (the text leaks the PostgreSQL host: never shown). */
export function isMissingDatabaseFault(message: string, database: string): boolean {
  return (
    /database "[^"]*" does not exist/i.test(message) ||
    /OperationalError/.test(message) ||
    message.includes(`KeyError: '${database}'`)
  );
}

/**
 * Classifies `common.authenticate(db, login, secret, {})` (README "What each check does", and the recordings): an int uid when it
 * works; `false` for any refusal; fault 1 with a database error for an unknown database.
 */
export function classifyAuthenticate(response: XmlRpcResponse, database: string): number | ProbeFinding {
  if (response.kind === 'result') {
    if (typeof response.value === 'number' && response.value > 0) return response.value;
    if (response.value === false)
      return failed('invalid_credentials', INVALID_LOGIN_MESSAGE, { field: 'password' });
    return failed('vendor_error', 'Odoo answered the login with something other than a user id.');
  }
  if (response.kind === 'malformed') {
    return failed('not_the_vendor', 'The URL does not answer like an Odoo XML-RPC server.', {
      field: 'serverUrl',
    });
  }
  return classifyFault(response, database);
}

/** Classifies an XML-RPC fault from any call; never copies the fault text (a Python traceback) into the report. */
export function classifyFault(
  fault: Extract<XmlRpcResponse, { kind: 'fault' }>,
  database: string,
): ProbeFinding {
  const code = String(fault.code);
  if (code === '3' || code === 'AccessDenied') {
    return failed('invalid_credentials', INVALID_LOGIN_MESSAGE, { field: 'password' });
  }
  if (isMissingDatabaseFault(fault.message, database) || isMissingDatabaseFault(code, database)) {
    return failed(
      'database_not_found',
      `Odoo has no database named "${database}": check the database name.`,
      {
        field: 'database',
      },
    );
  }
  if (/scope and key required/.test(fault.message)) {
    // Odoo 18 asserts on an empty password instead of refusing it (captured: authenticate-empty-password).
    return failed('invalid_input', 'The password or API key is empty.', { field: 'password' });
  }
  if (/Missing database name/.test(fault.message)) {
    return failed('invalid_input', 'Odoo needs a database name.', { field: 'database' });
  }
  if (code === '4') {
    return failed('insufficient_permissions', 'Odoo refused the call for lack of access rights.');
  }
  return failed(
    'vendor_error',
    'Odoo answered with an internal error; try again later or ask its administrator.',
  );
}

/** What a JSON-2 `context_get` said. */
export type Json2AuthOutcome =
  | { kind: 'uid'; uid: number }
  /** "Invalid apikey": a wrong or expired key, or a password (JSON-2 takes API keys only). */
  | { kind: 'rejected' }
  /** JSON-2 is not there (Odoo < 19, or a 404 that is not about the database): use XML-RPC. */
  | { kind: 'unavailable' }
  | { kind: 'finding'; finding: ProbeFinding };

/**
 * Classifies `POST /json/2/res.users/context_get` (captures odoo-19.0/json2-*): 200 `{uid}`; 401 JSON
 * "Invalid apikey"; a multi-database server answers an unknown or missing database with an HTML 404
 * before it looks at the key.
 */
export function classifyJson2ContextGet(answer: Answer, database: string, now: number): Json2AuthOutcome {
  const body = isJson(answer) ? asRecord(parseJson(answer.body)) : undefined;
  if (answer.status === 200 && body && typeof body.uid === 'number') return { kind: 'uid', uid: body.uid };
  if (answer.status === 401) {
    const message = typeof body?.message === 'string' ? body.message : '';
    if (/not authenticated/i.test(message)) {
      return {
        kind: 'finding',
        finding: failed(
          'vendor_error',
          'Odoo did not receive the Authorization header: a proxy in front of Odoo may strip it.',
        ),
      };
    }
    return { kind: 'rejected' };
  }
  if (answer.status === 404 && !body && /No database is selected/i.test(answer.body)) {
    return {
      kind: 'finding',
      finding: failed(
        'database_not_found',
        `Odoo has no database named "${database}": check the database name.`,
        {
          field: 'database',
        },
      ),
    };
  }
  if (answer.status === 404 || answer.status === 405 || (answer.status >= 300 && answer.status < 400)) {
    return { kind: 'unavailable' };
  }
  const generic = genericAnswerFinding(answer, { urlField: 'serverUrl', vendorName: 'Odoo', now });
  if (generic) return { kind: 'finding', finding: generic };
  if (answer.status === 200 && isHtml(answer)) return { kind: 'unavailable' };
  return {
    kind: 'finding',
    finding: failed('vendor_error', `Unexpected answer from Odoo JSON-2 (HTTP ${answer.status}).`),
  };
}

/** The result of one ORM call on either transport. */
export type OdooCallOutcome =
  | { kind: 'value'; value: unknown }
  | { kind: 'denied' }
  | { kind: 'no_model' }
  | { kind: 'rejected' }
  | { kind: 'error' };

/** Classifies an `execute_kw` answer. */
export function classifyExecuteKw(response: XmlRpcResponse): OdooCallOutcome {
  if (response.kind === 'result') return { kind: 'value', value: response.value };
  if (response.kind === 'malformed') return { kind: 'error' };
  const code = String(response.code);
  if (code === '3' || code === 'AccessDenied') return { kind: 'rejected' };
  if (code === '4') return { kind: 'denied' };
  if (code === '2' && /doesn't exist/.test(response.message)) return { kind: 'no_model' };
  return { kind: 'error' };
}

/** Classifies a JSON-2 ORM call answer (captures odoo-19.0/json2-*). */
export function classifyJson2Call(answer: Answer): OdooCallOutcome {
  const body = isJson(answer) ? parseJson(answer.body) : undefined;
  if (answer.status === 200 && body !== undefined) return { kind: 'value', value: body };
  const message = String(asRecord(body)?.message ?? '');
  if (answer.status === 401) return { kind: 'rejected' };
  if (answer.status === 403) return { kind: 'denied' };
  if (answer.status === 404 && /the model '.*' does not exist/.test(message)) return { kind: 'no_model' };
  return { kind: 'error' };
}
