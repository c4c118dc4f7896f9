import type { OutboundResult } from '../../net/types.ts';
import { asRecord, failed, genericAnswerFinding, isJson, parseJson } from '../findings.ts';
import type { ProbeFinding } from '../types.ts';

type Answer = Extract<OutboundResult, { ok: true }>;

/** Seconds until Precoro's `RateLimit-Retry-After` ("2025-12-16 09:00:49 UTC"), or null. */
export function precoroRetryAfterSeconds(body: unknown, now: number): number | null {
  const raw = asRecord(body)?.['RateLimit-Retry-After'];
  if (typeof raw !== 'string') return null;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})\s*(UTC|Z|GMT)?$/i.exec(raw.trim());
  if (!match) return null;
  const at = Date.parse(`${match[1]}T${match[2]}Z`);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** A Precoro 429 (README "What each check does"): inconclusive, with the wait Precoro names in its body. */
export function precoroRateLimited(answer: Answer, now: number): ProbeFinding {
  const body = parseJson(answer.body);
  const type = asRecord(body)?.['RateLimit-Type'];
  const daily = typeof type === 'string' && /daily/i.test(type);
  return failed(
    'rate_limited',
    daily
      ? "Precoro's daily API limit for this account is used up; the check can run again tomorrow."
      : 'Precoro is rate limiting this account; the check can run again shortly.',
    { retryAfterSeconds: precoroRetryAfterSeconds(body, now), retryable: true },
  );
}

/**
 * Precoro blocks an address for a while after failed logins ("Access from your IP address is temporarily
 * blocked", a 403 for every request, whatever the token): an answer about the caller, not the key.
 */
export function isPrecoroAddressBlock(answer: Answer): boolean {
  return (
    (answer.status === 403 || answer.status === 429) &&
    /IP address is (temporarily )?blocked|your IP (address )?(has been|is) blocked/i.test(answer.body)
  );
}

/** Precoro refuses credval's address: inconclusive and retryable, never a verdict on the token. */
export function precoroAddressBlocked(): ProbeFinding {
  return failed(
    'ip_not_allowed',
    "Precoro is refusing every request from credval's network address for now (it blocks addresses after repeated failed logins): this says nothing about the token; the check can run again later.",
    { retryable: true },
  );
}

/** What the `/users` call said about the token. */
export type PrecoroAuthOutcome =
  | { kind: 'valid'; users: unknown[] }
  /** 403 on /users: the token may be valid with a role that cannot list users; other resources decide. */
  | { kind: 'users_denied' }
  | { kind: 'finding'; finding: ProbeFinding };

/** Classifies `GET /users?per_page=10` (README "What each check does"; Precoro's bodies are unverified, so statuses decide). */
export function classifyPrecoroUsers(answer: Answer, now: number): PrecoroAuthOutcome {
  const body = isJson(answer) ? asRecord(parseJson(answer.body)) : undefined;
  if (answer.status === 200 && body && Array.isArray(body.data)) return { kind: 'valid', users: body.data };
  if (isPrecoroAddressBlock(answer)) return { kind: 'finding', finding: precoroAddressBlocked() };
  if (answer.status === 401) {
    return {
      kind: 'finding',
      finding: failed(
        'invalid_credentials',
        'Precoro refused the token: it is wrong or revoked, the e-mail is not the token owner\'s, or the account is on the other region (app.precoro.us uses region "us").',
        { field: 'apiToken' },
      ),
    };
  }
  if (answer.status === 403) return { kind: 'users_denied' };
  if (answer.status === 429) return { kind: 'finding', finding: precoroRateLimited(answer, now) };
  const generic = genericAnswerFinding(answer, { urlField: 'apiUrl', vendorName: 'Precoro', now });
  if (generic) return { kind: 'finding', finding: generic };
  return {
    kind: 'finding',
    finding: failed(
      'not_the_vendor',
      'The Precoro API address did not answer like Precoro: check the region or API URL.',
      {
        field: 'region',
      },
    ),
  };
}

/** Read access from a resource list call: 200 yes, 403 no, anything else unknown. */
export function classifyPrecoroResourceRead(answer: Answer): boolean | null {
  if (answer.status === 200 && isJson(answer)) return true;
  if (answer.status === 403) return false;
  return null;
}
