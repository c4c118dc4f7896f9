import type { HostLimiter } from './host-limiter.ts';

/** What a probe asks the guarded client to send. */
export interface OutboundRequest {
  method: 'GET' | 'POST' | 'HEAD' | 'PUT';
  /** Absolute http(s) URL. It may carry no secret: secrets travel in headers or the body only. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Overrides the client's overall deadline for this one call (connect + headers + body). */
  timeoutMs?: number;
  /**
   * Aborts the call from outside (a check's deadline): while it waits for a slot at the host nothing is sent,
   * and a call in flight is cut off. Either way the result is a `timeout` failure.
   */
  signal?: AbortSignal;
}

/** Why no usable answer came back; mapped to a report reason by the connectors. */
export type NetworkFailure =
  | 'invalid_url' // not an absolute http(s) URL, or credentials in the URL
  | 'blocked_destination' // resolves to (or is) a forbidden address, or EGRESS_ALLOW refuses it
  | 'insecure_destination' // plain http to a destination that is not in an allowed private range
  | 'tls_error'
  | 'timeout'
  | 'endpoint_unreachable' // DNS failure, refused, reset, closed early
  | 'response_too_large';

export type OutboundResult =
  | {
      ok: true;
      status: number;
      /** Header names lower-cased; repeated headers joined with ", ". */
      headers: Record<string, string>;
      /** Body decoded as UTF-8 after gzip/deflate/br decompression (bounded by the size cap). */
      body: string;
      ms: number;
      /** The address the connection went to, for traces ("127.0.0.1"); null when unknown. */
      remoteAddress: string | null;
    }
  | {
      ok: false;
      failure: NetworkFailure;
      /** A safe, human sentence: never a header, body or secret. */
      detail: string;
      ms: number;
      /** The address the egress policy refused (blocked or insecure destinations), so a fix can name it. */
      refusedAddress?: string;
    };

/** The only way credval code talks to vendors (README "Outbound calls are guarded"). Never throws for network trouble. */
export interface GuardedClient {
  request(request: OutboundRequest): Promise<OutboundResult>;
  close(): Promise<void>;
}

/** A DNS resolver: every address a name resolves to. Injected in tests to simulate hostile DNS. */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;

export interface GuardedClientOptions {
  /** CIDRs an operator allows although they are private (EGRESS_ALLOW), e.g. ["127.0.0.0/8", "10.1.0.0/16"]. */
  egressAllow?: string[];
  /** Overall deadline per call in ms (default 15000). */
  timeoutMs?: number;
  /** Connect timeout in ms (default 5000, never more than timeoutMs). */
  connectTimeoutMs?: number;
  /** Response body cap in bytes, before and after decompression (default 2 MiB). */
  maxResponseBytes?: number;
  /** DNS resolver (default: the system resolver, all addresses). */
  resolver?: Resolver;
  /** Extra trusted CA certificates (PEM), for tests that serve https with their own CA. */
  ca?: string | string[];
  /** Bounds requests in flight per host (default: the one process-wide limiter, shared by every client). */
  hostLimiter?: HostLimiter;
}
