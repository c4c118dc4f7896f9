import type { ProbeOutcome, ProbeTrace } from '../domain/report.ts';
import type { GuardedClient, OutboundRequest, OutboundResult } from '../net/types.ts';

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
 * Sends a probe's requests through the guarded client and keeps the trace of each.
 * It also applies the one redirect DESIGN.md section 4 allows: the same host moving from http to https,
 * retried once on https and reported, so the user can store the https URL.
 */
export class ProbeRecorder {
  readonly traces: ProbeTrace[] = [];
  private upgrade: HttpsUpgrade | null = null;

  constructor(private readonly client: GuardedClient) {}

  /** The upgrade that happened during this check, if any. */
  get httpsUpgrade(): HttpsUpgrade | null {
    return this.upgrade;
  }

  /**
   * Sends one request; `name` is what the trace calls the step (e.g. "status"), `description` what the call
   * asks where its URL does not say it (an RPC method and its arguments; never a secret).
   */
  async send(name: string, request: OutboundRequest, description?: string): Promise<OutboundResult> {
    const effective = this.applyUpgrade(request);
    const result = await this.client.request(effective);
    this.record(name, effective, result, description);
    if (!this.upgrade && result.ok && result.status >= 300 && result.status < 400) {
      const target = sameHostHttpsTarget(effective.url, result.headers.location);
      if (target) {
        this.upgrade = { from: new URL(effective.url).origin, to: new URL(target).origin };
        const retried = { ...effective, url: target };
        const second = await this.client.request(retried);
        this.record(name, retried, second, description);
        return second;
      }
    }
    return result;
  }

  /** Records a step answered without a request (a cached answer). */
  recordCached(name: string, method: string, url: string, status: number | null): void {
    this.traces.push({ name, method, url: traceableUrl(url), status, ms: 0, outcome: 'cached' });
  }

  private applyUpgrade(request: OutboundRequest): OutboundRequest {
    if (!this.upgrade || !request.url.startsWith(this.upgrade.from)) return request;
    return { ...request, url: this.upgrade.to + request.url.slice(this.upgrade.from.length) };
  }

  private record(
    name: string,
    request: OutboundRequest,
    result: OutboundResult,
    description: string | undefined,
  ): void {
    this.traces.push({
      name,
      method: request.method,
      url: traceableUrl(request.url),
      ...(description ? { description } : {}),
      status: result.ok ? result.status : null,
      ms: Math.round(result.ms),
      outcome: outcomeOf(result),
    });
  }
}

/** The https URL a redirect points to when it only switches the same host (and port rule) to https. */
function sameHostHttpsTarget(from: string, location: string | undefined): string | null {
  if (!location) return null;
  try {
    const source = new URL(from);
    const target = new URL(location, from);
    if (source.protocol !== 'http:' || target.protocol !== 'https:') return null;
    if (source.hostname !== target.hostname) return null;
    // Same path, so the redirect is a scheme upgrade and not a login page or another route.
    if (source.pathname !== target.pathname) return null;
    return target.toString();
  } catch {
    return null;
  }
}
