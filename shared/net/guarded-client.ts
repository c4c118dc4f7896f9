import diagnosticsChannel from 'node:diagnostics_channel';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { type AllowList, compileAllowList, decideDestination, type Scheme } from './address-policy.ts';
import { processHostLimiter } from './host-limiter.ts';
import type {
  GuardedClient,
  GuardedClientOptions,
  NetworkFailure,
  OutboundRequest,
  OutboundResult,
  Resolver,
} from './types.ts';
import { Agent, type Dispatcher, requestThrough, errors as undiciErrors } from './undici.ts';

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
const ACCEPT_ENCODING = 'gzip, deflate, br';
const UNDICI_TIMER_SLACK_MS = 1_000;
const LAST_CHECKED_LIMIT = 256;
const MAX_TIMER_MS = 2_147_483_647 - UNDICI_TIMER_SLACK_MS;

/** Raised inside the DNS hook when a resolved address is not an acceptable destination. */
class EgressRefusedError extends Error {
  readonly code = 'ERR_CREDVAL_EGRESS_REFUSED';
  constructor(
    readonly refused: 'blocked_destination' | 'insecure_destination',
    message: string,
    readonly address: string,
  ) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

/** The abort reason of the per-call deadline, so it can be told apart from other aborts. */
class DeadlineError extends Error {
  readonly code = 'ERR_CREDVAL_DEADLINE';
  constructor(ms: number) {
    super(`deadline of ${ms} ms reached`);
    this.name = 'DeadlineError';
  }
}

type Failure = { failure: NetworkFailure; detail: string; refusedAddress?: string };

/** Per-call bookkeeping that the undici diagnostics channels fill in. */
interface CallState {
  remoteAddress: string | null;
}

// undici does not hand the socket to request() callers; its documented diagnostics channels do.
// Request objects are created synchronously inside dispatch, so the call being dispatched is
// known at that moment and is linked to the request object, then to its socket.
let dispatchingCall: CallState | null = null;
const callsByRequest = new WeakMap<object, CallState>();
let channelsSubscribed = false;

function subscribeChannelsOnce(): void {
  if (channelsSubscribed) return;
  channelsSubscribed = true;
  diagnosticsChannel.subscribe('undici:request:create', (message) => {
    const request = (message as { request?: object }).request;
    if (dispatchingCall && request) callsByRequest.set(request, dispatchingCall);
  });
  diagnosticsChannel.subscribe('undici:client:sendHeaders', (message) => {
    const { request, socket } = message as { request?: object; socket?: Socket };
    const call = request ? callsByRequest.get(request) : undefined;
    if (call && socket?.remoteAddress) call.remoteAddress = socket.remoteAddress;
  });
}

/** Resolves a name with the system resolver, returning every address (the default Resolver). */
const defaultResolver: Resolver = async (hostname) => {
  const addresses = await systemLookup(hostname, { all: true, verbatim: true });
  return addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Creates the only HTTP client credval uses for vendor traffic, enforcing the egress policy of README "Outbound calls are guarded". */
export function createGuardedClient(options: GuardedClientOptions = {}): GuardedClient {
  const allowList = compileAllowList(options.egressAllow ?? []);
  const timeoutMs = durationOr(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const connectTimeoutMs = Math.min(
    durationOr(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    timeoutMs,
  );
  const maxBytes = positiveOr(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES);
  const resolver = options.resolver ?? defaultResolver;
  const hostLimiter = options.hostLimiter ?? processHostLimiter;
  const extraCa = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  // Last address each name was checked and pinned to, used when the socket cannot be seen.
  const lastChecked = new Map<string, string>();
  subscribeChannelsOnce();

  // One agent per scheme because the policy's answer depends on it (plain http only to allowed ranges).
  const makeAgent = (scheme: Scheme): Agent =>
    new Agent({
      connect: {
        timeout: connectTimeoutMs,
        lookup: createGuardedLookup(scheme, allowList, resolver, (hostname, address) =>
          remember(lastChecked, checkedKey(scheme, hostname), address),
        ),
        // `ca` replaces Node's store, so the public roots are kept alongside the extra CAs.
        ...(scheme === 'https' && extraCa.length > 0 ? { ca: [...rootCertificates, ...extraCa] } : {}),
      },
      headersTimeout: timeoutMs + UNDICI_TIMER_SLACK_MS,
      bodyTimeout: timeoutMs + UNDICI_TIMER_SLACK_MS,
      maxResponseSize: maxBytes,
    });
  const agents: Record<Scheme, Agent> = { http: makeAgent('http'), https: makeAgent('https') };
  let closed = false;

  async function request(outbound: OutboundRequest): Promise<OutboundResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const fail = ({ failure, detail, refusedAddress }: Failure): OutboundResult => ({
      ok: false,
      failure,
      detail,
      ms: elapsed(),
      ...(refusedAddress ? { refusedAddress } : {}),
    });

    const target = parseTarget(outbound.url);
    if ('failure' in target) return fail(target);
    if (closed)
      return fail({ failure: 'endpoint_unreachable', detail: 'The network client has been closed.' });
    const { url, scheme, hostname, display } = target;

    // Names under localhost are this machine whatever a resolver says (RFC 6761), so like the literals they
    // are decided before any lookup.
    if (isLocalhostName(hostname) && !loopbackAllowed(scheme, allowList)) {
      return fail({
        failure: 'blocked_destination',
        detail: `Refused ${display}: names under "localhost" are this machine (loopback), which is not in the egress allow-list.`,
        // The address a resolver would give: it names the allow-list entry that lets the call through.
        refusedAddress: '127.0.0.1',
      });
    }
    // undici never calls the lookup hook for IP literals, so they are checked here, before any connection.
    const literal = isIP(hostname) !== 0;
    if (literal) {
      const decision = decideDestination(hostname, scheme, allowList);
      if (!decision.allowed)
        return fail({
          failure: decision.refused,
          detail: `Refused ${display}: ${decision.reason}.`,
          refusedAddress: hostname,
        });
    }

    // The host's share of this process: wait for a slot, unless the caller gives up first.
    const external = outbound.signal;
    const release = await hostLimiter.acquire(url.host, external);
    if (!release) return fail(cutOff(display));

    const deadlineMs = durationOr(outbound.timeoutMs, timeoutMs);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineError(deadlineMs)), deadlineMs);
    const abortFromOutside = () => controller.abort(external?.reason);
    external?.addEventListener('abort', abortFromOutside, { once: true });
    const call: CallState = { remoteAddress: null };
    try {
      const headers: Record<string, string> = { ...outbound.headers };
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'accept-encoding')) {
        headers['accept-encoding'] = ACCEPT_ENCODING;
      }
      let pending: Promise<Dispatcher.ResponseData>;
      dispatchingCall = call;
      try {
        pending = requestThrough(agents[scheme], {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: outbound.method,
          headers,
          body: outbound.body ?? null,
          signal: controller.signal,
          // undici's coarse timers may fire up to half a second off, so they sit just behind the
          // precise deadline above and only act as a backstop.
          headersTimeout: deadlineMs + UNDICI_TIMER_SLACK_MS,
          bodyTimeout: deadlineMs + UNDICI_TIMER_SLACK_MS,
        });
      } finally {
        dispatchingCall = null;
      }
      const response = await pending;
      const responseHeaders = flattenHeaders(response.headers);

      const declared = Number(responseHeaders['content-length']);
      if (outbound.method !== 'HEAD' && Number.isFinite(declared) && declared > maxBytes) {
        response.body.destroy();
        return fail(tooLarge(display, maxBytes));
      }
      const raw = await readBounded(response.body, maxBytes);
      if (raw === null) return fail(tooLarge(display, maxBytes));
      const decoded = decodeBody(raw, responseHeaders['content-encoding'], maxBytes, display);
      if ('failure' in decoded) return fail(decoded);
      // undici hands a kept-alive socket back to its pool one event-loop turn after the response
      // ends; without this wait a caller's next call to the same host would open a second connection.
      await new Promise<void>((resolve) => setImmediate(resolve));

      return {
        ok: true,
        status: response.statusCode,
        headers: responseHeaders,
        body: decoded.body.toString('utf8'),
        ms: elapsed(),
        remoteAddress:
          call.remoteAddress ??
          (literal ? hostname : (lastChecked.get(checkedKey(scheme, hostname)) ?? null)),
      };
    } catch (error) {
      if (external?.aborted) return fail(cutOff(display));
      if (controller.signal.aborted) {
        return fail({
          failure: 'timeout',
          detail: `${display} did not answer completely within ${deadlineMs} ms.`,
        });
      }
      return fail(describeError(error, display, connectTimeoutMs));
    } finally {
      clearTimeout(timer);
      external?.removeEventListener('abort', abortFromOutside);
      release();
    }
  }

  async function close(): Promise<void> {
    closed = true;
    await Promise.all([agents.http.close(), agents.https.close()]);
  }

  return { request, close };
}

/** Builds a net/tls `lookup` hook that resolves, checks every address and hands over only checked addresses. */
export function createGuardedLookup(
  scheme: Scheme,
  allowList: AllowList,
  resolver: Resolver = defaultResolver,
  onChecked: (hostname: string, address: string) => void = () => {},
): LookupFunction {
  return (hostname, options: LookupOptions, callback) => {
    const deliver = (addresses: Array<{ address: string; family: 4 | 6 }>): void => {
      if (addresses.length === 0) {
        callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '', 0);
        return;
      }
      // Every answer is checked: a DNS reply that mixes public and private addresses is hostile.
      let refusal: EgressRefusedError | null = null;
      for (const { address } of addresses) {
        const decision = decideDestination(address, scheme, allowList);
        if (decision.allowed) continue;
        const error = new EgressRefusedError(
          decision.refused,
          `Refused ${hostname}: ${decision.reason}.`,
          address,
        );
        if (
          !refusal ||
          (decision.refused === 'blocked_destination' && refusal.refused !== 'blocked_destination')
        ) {
          refusal = error;
        }
      }
      if (refusal) {
        callback(refusal, '', 0);
        return;
      }
      // The family comes from the checked address itself, not from what the resolver claimed.
      const checked = addresses.map(({ address }) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
      const wanted = familyOf(options.family);
      const usable = wanted === 0 ? checked : checked.filter((a) => a.family === wanted);
      const first = usable[0];
      if (!first) {
        callback(
          Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }),
          '',
          0,
        );
        return;
      }
      onChecked(hostname, first.address);
      // Node 20's autoSelectFamily asks for all:true; older callers expect the single-address form.
      if (options.all) {
        const all: LookupAddress[] = usable.map((a) => ({ address: a.address, family: a.family }));
        callback(null, all);
      } else {
        callback(null, first.address, first.family);
      }
    };
    // Callbacks run outside the promise chain so that a throw in net does not become a silent rejection.
    Promise.resolve()
      .then(() => resolver(hostname))
      .then(
        (addresses) => process.nextTick(deliver, addresses),
        (error: unknown) => process.nextTick(callback, toErrno(error), '', 0),
      );
  };
}

/** The failure of a call its caller cut off (a check's deadline), sent or not. */
function cutOff(display: string): Failure {
  return { failure: 'timeout', detail: `The check's deadline passed before ${display} answered.` };
}

/** True for `localhost` and every name under it, with or without the trailing dot. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function loopbackAllowed(scheme: Scheme, allowList: AllowList): boolean {
  return ['127.0.0.1', '::1'].some((address) => decideDestination(address, scheme, allowList).allowed);
}

/** Records a name's checked address, forgetting the oldest names so a long-lived process stays bounded. */
function remember(map: Map<string, string>, key: string, address: string): void {
  map.delete(key);
  map.set(key, address);
  if (map.size > LAST_CHECKED_LIMIT) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

function checkedKey(scheme: Scheme, hostname: string): string {
  return `${scheme}:${hostname}`;
}

function familyOf(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

function toErrno(error: unknown): NodeJS.ErrnoException {
  if (error instanceof Error) return error;
  return Object.assign(new Error('the resolver failed'), { code: 'ENOTFOUND' });
}

type Target = { url: URL; scheme: Scheme; hostname: string; display: string };

/** Accepts only absolute http(s) URLs without credentials; the WHATWG parser normalises IPv4 notations. */
function parseTarget(text: string): Target | Failure {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { failure: 'invalid_url', detail: 'The URL is not an absolute URL.' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { failure: 'invalid_url', detail: `The URL scheme "${url.protocol}" is not allowed; use https.` };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      failure: 'invalid_url',
      detail: 'The URL carries credentials; send them in headers or the body.',
    };
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname === '') return { failure: 'invalid_url', detail: 'The URL has no host.' };
  return { url, scheme: url.protocol === 'https:' ? 'https' : 'http', hostname, display: url.host };
}

/** Reads a body but never holds more than `maxBytes` of it; null when the body is larger. */
async function readBounded(
  body: AsyncIterable<Buffer> & { destroy(): void },
  maxBytes: number,
): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Undoes content-encoding with the same cap on the output, so a decompression bomb stops at the cap. */
function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
  display: string,
): { body: Buffer } | Failure {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (raw.length === 0 || codings.length === 0) return { body: raw };
  let body = raw;
  try {
    // Codings are listed in the order they were applied, so they are undone from the last.
    for (const coding of codings.reverse()) {
      const limit = { maxOutputLength: maxBytes };
      if (coding === 'gzip' || coding === 'x-gzip') body = gunzipSync(body, limit);
      else if (coding === 'br') body = brotliDecompressSync(body, limit);
      else if (coding === 'deflate') body = inflateDeflate(body, limit);
      else {
        return { failure: 'endpoint_unreachable', detail: `Could not decode the response of ${display}.` };
      }
    }
  } catch (error) {
    if (codeOf(error) === 'ERR_BUFFER_TOO_LARGE') return tooLarge(display, maxBytes);
    return { failure: 'endpoint_unreachable', detail: `Could not decode the response of ${display}.` };
  }
  return { body };
}

/** "deflate" should be zlib-wrapped, but some servers send raw deflate; accept both. */
function inflateDeflate(body: Buffer, limit: { maxOutputLength: number }): Buffer {
  try {
    return inflateSync(body, limit);
  } catch (error) {
    if (codeOf(error) === 'ERR_BUFFER_TOO_LARGE') throw error;
    return inflateRawSync(body, limit);
  }
}

function tooLarge(display: string, maxBytes: number): Failure {
  return {
    failure: 'response_too_large',
    detail: `The response of ${display} is larger than ${maxBytes} bytes.`,
  };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** A usable timer duration: Node fires timers above 2^31-1 ms at once, so longer ones are clamped. */
function durationOr(value: number | undefined, fallback: number): number {
  return Math.min(positiveOr(value, fallback), MAX_TIMER_MS);
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Every error in a chain of causes and aggregate members, outermost first. */
function errorChain(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 20) {
    const current = queue.shift();
    if (current === undefined || current === null || seen.includes(current)) continue;
    seen.push(current);
    if (current instanceof AggregateError) queue.push(...current.errors);
    if (current instanceof Error && current.cause !== undefined) queue.push(current.cause);
  }
  return seen;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

const TLS_TEXT: Record<string, string> = {
  CERT_HAS_EXPIRED: 'its certificate has expired',
  CERT_NOT_YET_VALID: 'its certificate is not valid yet',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in an untrusted self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is not signed by a trusted authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is not signed by a trusted authority',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate does not cover this host name',
};

const UNREACHABLE_TEXT: Record<string, string> = {
  ENOTFOUND: 'could not be resolved',
  EAI_AGAIN: 'could not be resolved (temporary DNS failure)',
  EAI_FAIL: 'could not be resolved',
  EAI_NONAME: 'could not be resolved',
  ECONNREFUSED: 'refused the connection',
  ECONNRESET: 'reset the connection',
  EPIPE: 'closed the connection while the request was sent',
  EHOSTUNREACH: 'is not reachable',
  ENETUNREACH: 'is not reachable',
  ECONNABORTED: 'aborted the connection',
  EADDRNOTAVAIL: 'is not reachable',
  UND_ERR_SOCKET: 'closed the connection unexpectedly',
  UND_ERR_CLOSED: 'closed the connection unexpectedly',
  UND_ERR_DESTROYED: 'could not be reached because the client is closed',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'sent a body that does not match its content-length',
};

function isTlsCode(code: string): boolean {
  return (
    TLS_CODES.has(code) ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_OSSL_') ||
    code.includes('CERT')
  );
}

/** Maps any error from undici, net, tls or dns to a failure with a sentence that never quotes the error text. */
function describeError(error: unknown, display: string, connectTimeoutMs: number): Failure {
  const chain = errorChain(error);
  for (const item of chain) {
    if (item instanceof EgressRefusedError)
      return { failure: item.refused, detail: item.message, refusedAddress: item.address };
  }
  for (const item of chain) {
    // HTTPParserError carries no code when llhttp gives none (e.g. a reply that is not HTTP at all).
    if (item instanceof undiciErrors.HTTPParserError) {
      return { failure: 'endpoint_unreachable', detail: `${display} did not answer with valid HTTP.` };
    }
    const code = codeOf(item);
    if (code === undefined) continue;
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'ETIMEDOUT':
        return {
          failure: 'timeout',
          detail: `Could not connect to ${display} within ${connectTimeoutMs} ms.`,
        };
      case 'UND_ERR_HEADERS_TIMEOUT':
        return { failure: 'timeout', detail: `${display} did not send response headers in time.` };
      case 'UND_ERR_BODY_TIMEOUT':
        return { failure: 'timeout', detail: `${display} stopped sending the response body.` };
      case 'ERR_CREDVAL_DEADLINE':
        return { failure: 'timeout', detail: `${display} did not answer completely in time.` };
      case 'UND_ERR_RES_EXCEEDED_MAX_SIZE':
      case 'ERR_BUFFER_TOO_LARGE':
        return { failure: 'response_too_large', detail: `The response of ${display} is too large.` };
      case 'UND_ERR_HEADERS_OVERFLOW':
        return { failure: 'response_too_large', detail: `The response headers of ${display} are too large.` };
    }
    if (isTlsCode(code)) {
      const why = TLS_TEXT[code] ?? 'the TLS handshake failed';
      return { failure: 'tls_error', detail: `TLS connection to ${display} refused: ${why} (${code}).` };
    }
    const text = UNREACHABLE_TEXT[code];
    if (text) return { failure: 'endpoint_unreachable', detail: `${display} ${text} (${code}).` };
  }
  return { failure: 'endpoint_unreachable', detail: `The request to ${display} failed unexpectedly.` };
}
