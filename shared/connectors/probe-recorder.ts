import type { ProbeOutcome, ProbeTrace } from '../domain/report.ts';
import type { GuardedClient, OutboundRequest, OutboundResult } from '../net/types.ts';
import type { CheckBudget } from './check-budget.ts';

/** Query parameters that vendors accept as credentials; scrubbed from traces even though we never send them. */
const SECRET_QUERY_KEYS = /^(api_?key|dolapikey|token|password|passwd|secret|access_token|x-auth-token)$/i;

/** A URL fit for a trace: no user info, no credential-like query values, no fragment. */
export function traceableUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    url.hash = '';
    for (const key of [...url.searchParams.keys()]) {
      if (SECRET_QUERY_KEYS.test(key)) url.searchParams.set(key, '[redacted]');
    }
    return url.toString();
  } catch {
    return '[unparseable url]';
  }
}

function outcomeOf(result: OutboundResult): ProbeOutcome {
  if (!result.ok)
    return result.failure === 'blocked_destination' || result.failure === 'insecure_destination'
      ? 'blocked'
      : 'failed';
  const { status } = result;
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401) return 'rejected';
  if (status === 403) return 'denied';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  return 'unexpected';
}

/** An http→https upgrade the server asked for on the same host, applied to every later call. */
export interface HttpsUpgrade {
  from: string;
  to: string;
}

/**
 * Sends a probe's requests through the guarded client within the check's budget (deadline and concurrency) and
 * keeps the trace of each, in the order the probe issued them even when they run at once.
 * It also applies the one redirect README "Outbound calls are guarded" allows: the same host moving from http to https on the
 * default port, retried once on https and reported, so the user can store the https URL.
 */
export class ProbeRecorder {
  private readonly entries: Array<{ seq: number; trace: ProbeTrace }> = [];
  private nextSeq = 0;
  private upgrade: HttpsUpgrade | null = null;

  constructor(
    private readonly client: GuardedClient,
    private readonly budget: CheckBudget,
  ) {}

  /** Every call made so far, in the order the probe issued them. */
  get traces(): ProbeTrace[] {
    return [...this.entries].sort((a, b) => a.seq - b.seq).map((e) => e.trace);
  }

  /** Aborts when the check's deadline passes: for waits of the probe's own (Precoro's pacing). */
  get signal(): AbortSignal {
    return this.budget.signal;
  }

  /** The upgrade that happened during this check, if any. */
  get httpsUpgrade(): HttpsUpgrade | null {
    return this.upgrade;
  }

  /**
   * Sends one request; `name` is what the trace calls the step (e.g. "status"), `description` what the call
   * asks where its URL does not say it (an RPC method and its arguments; never a secret). Calls may be issued
   * at once (`Promise.all`): the budget runs a few at a time. Past the deadline nothing is sent and the result
   * is a `timeout` failure that leaves no trace.
   */
  async send(name: string, request: OutboundRequest, description?: string): Promise<OutboundResult> {
    const seq = this.nextSeq++;
    return this.budget.call(async (signal) => {
      const effective = this.applyUpgrade(request);
      const result = await this.client.request({ ...effective, signal });
      this.record(seq, name, effective, result, description);
      if (!this.upgrade && result.ok && result.status >= 300 && result.status < 400) {
        const target = sameHostHttpsTarget(effective.url, result.headers.location);
        if (target) {
          this.upgrade = { from: new URL(effective.url).origin, to: new URL(target).origin };
          const retried = { ...effective, url: target };
          const second = await this.client.request({ ...retried, signal });
          this.record(seq + 0.5, name, retried, second, description);
          return second;
        }
      }
      return result;
    });
  }

  /** A result for a call the deadline kept from being sent (for waits outside `send`). */
  notSent(): OutboundResult {
    return this.budget.notSent();
  }

  /** Records a step answered without a request (a cached answer). */
  recordCached(name: string, method: string, url: string, status: number | null): void {
    this.entries.push({
      seq: this.nextSeq++,
      trace: { name, method, url: traceableUrl(url), status, ms: 0, outcome: 'cached' },
    });
  }

  private applyUpgrade(request: OutboundRequest): OutboundRequest {
    if (!this.upgrade || !request.url.startsWith(this.upgrade.from)) return request;
    return { ...request, url: this.upgrade.to + request.url.slice(this.upgrade.from.length) };
  }

  private record(
    seq: number,
    name: string,
    request: OutboundRequest,
    result: OutboundResult,
    description: string | undefined,
  ): void {
    this.entries.push({
      seq,
      trace: {
        name,
        method: request.method,
        url: traceableUrl(request.url),
        ...(description ? { description } : {}),
        status: result.ok ? result.status : null,
        ms: Math.round(result.ms),
        outcome: outcomeOf(result),
      },
    });
  }
}

/**
 * The https URL to retry at when a redirect only switches the same host from http to https on the default port
 * and keeps the path. It is built from the request, not from the redirect: whatever the vendor put in the
 * `Location` query (an echoed key, a session) is neither followed nor recorded. Another port is another
 * service, so that redirect is not followed with the credential.
 */
export function sameHostHttpsTarget(from: string, location: string | undefined): string | null {
  if (!location) return null;
  try {
    const source = new URL(from);
    const target = new URL(location, from);
    if (source.protocol !== 'http:' || target.protocol !== 'https:') return null;
    if (source.hostname !== target.hostname || target.port !== '') return null;
    // Same path, so the redirect is a scheme upgrade and not a login page or another route.
    if (source.pathname !== target.pathname) return null;
    return `https://${source.hostname}${source.pathname}${source.search}`;
  } catch {
    return null;
  }
}
