import { DEFINITE_REASONS, type Reason, type Warning } from '../domain/report.ts';
import type { OutboundResult } from '../net/types.ts';
import { refusalAdvice } from './egress-advice.ts';
import type { ProbeFinding } from './types.ts';

type Answer = Extract<OutboundResult, { ok: true }>;
type Failure = Extract<OutboundResult, { ok: false }>;

/** A finding that is not valid: `invalid` for definite reasons, `inconclusive` for the rest. */
export function failed(
  reason: Reason,
  message: string,
  extra: Partial<Omit<ProbeFinding, 'verdict' | 'reason' | 'message'>> = {},
): ProbeFinding {
  const definite = DEFINITE_REASONS.has(reason);
  return {
    verdict: definite ? 'invalid' : 'inconclusive',
    reason,
    message,
    field: null,
    retryable: !definite,
    retryAfterSeconds: null,
    identity: null,
    vendor: {},
    permissions: [],
    warnings: [],
    ...extra,
  };
}

/** A valid finding; permissions and warnings are filled in by the caller. */
export function passed(
  message: string,
  extra: Partial<Omit<ProbeFinding, 'verdict' | 'reason'>> = {},
): ProbeFinding {
  return {
    verdict: 'valid',
    reason: null,
    message,
    field: null,
    retryable: false,
    retryAfterSeconds: null,
    identity: null,
    vendor: {},
    permissions: [],
    warnings: [],
    ...extra,
  };
}

/** Classifies a call that got no usable answer (README "Outbound calls are guarded": a refusal is a verdict, never a crash). */
export function networkFinding(failure: Failure, urlField: string | null, host: string): ProbeFinding {
  switch (failure.failure) {
    case 'blocked_destination':
    case 'insecure_destination': {
      const advice = refusalAdvice(failure, urlField, host);
      return failed('blocked_destination', advice.message, { field: advice.field, retryable: false });
    }
    case 'invalid_url':
      return failed('invalid_input', 'The URL is not a usable http(s) address.', { field: urlField });
    case 'tls_error':
      return failed(
        'tls_error',
        `The TLS certificate of ${host} could not be verified (${failure.detail.replace(/\.$/, '')}).`,
        {
          field: urlField,
        },
      );
    case 'timeout':
      return failed('timeout', `${host} did not answer in time.`, { field: urlField });
    case 'response_too_large':
      return failed('vendor_error', `${host} sent a larger answer than a credential check can need.`);
    case 'endpoint_unreachable':
      return failed(
        'endpoint_unreachable',
        `${host} could not be reached (${failure.detail.replace(/\.$/, '')}).`,
        {
          field: urlField,
        },
      );
    default: {
      const exhaustive: never = failure.failure;
      throw new Error(`unhandled network failure ${String(exhaustive)}`);
    }
  }
}

/** True when the answer declares JSON. */
export function isJson(answer: Answer): boolean {
  return /\bjson\b/i.test(answer.headers['content-type'] ?? '');
}

/** True when the answer looks like a web page. */
export function isHtml(answer: Answer): boolean {
  return /html/i.test(answer.headers['content-type'] ?? '') || /^\s*<(!doctype|html)/i.test(answer.body);
}

/** Parses a JSON body, or returns undefined (vendors send HTML where JSON was expected). */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Narrows to a plain object. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Seconds from a Retry-After header (delta seconds or an HTTP date), or null. */
export function retryAfterHeader(answer: Answer, now: number): number | null {
  const raw = answer.headers['retry-after'];
  if (!raw) return null;
  if (/^\d+$/.test(raw.trim())) return Number.parseInt(raw, 10);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Answers that mean the same on every vendor: a redirect we may not follow, a 429, a 5xx, a web page.
 * Returns null when the answer needs the vendor's own classifier.
 */
export function genericAnswerFinding(
  answer: Answer,
  opts: { urlField: string | null; vendorName: string; now: number },
): ProbeFinding | null {
  const { status } = answer;
  if (status >= 300 && status < 400) {
    const location = answer.headers.location ?? '';
    const toLogin = /login|install|signin|auth/i.test(location);
    return failed(
      'not_the_vendor',
      toLogin
        ? `The URL redirects to a login or setup page instead of the ${opts.vendorName} API: check the URL.`
        : `The URL redirects elsewhere (HTTP ${status}); credval does not follow redirects with credentials: enter the final ${opts.vendorName} address.`,
      { field: opts.urlField },
    );
  }
  if (status === 429) {
    return failed(
      'rate_limited',
      `${opts.vendorName} (or a proxy in front of it) is rate limiting; try again later.`,
      {
        retryAfterSeconds: retryAfterHeader(answer, opts.now),
      },
    );
  }
  if (status >= 500) {
    return failed(
      'vendor_error',
      `${opts.vendorName} answered with a server error (HTTP ${status}); try again later.`,
    );
  }
  return null;
}

/** The warning for a server that moved us from http to https. */
export function httpsUpgradeWarning(field: string, to: string): Warning {
  return { code: 'url_normalized', message: `The server redirects to https: store ${field} as ${to}.` };
}
