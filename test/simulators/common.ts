// Shared plumbing for the vendor simulators: a loopback HTTP(S) server that records every request,
// counts concurrency and hands a fully read request to the vendor-specific handler.
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path plus query string, exactly as received. */
  path: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface SimulatorStats {
  total: number;
  inFlight: number;
  maxConcurrent: number;
}

export interface SimulatorHandle {
  /** e.g. "http://127.0.0.1:40123" (https when `tls` is given). */
  url: string;
  port: number;
  /** Every request in arrival order. */
  requests: RecordedRequest[];
  stats: SimulatorStats;
  /** Clears requests and stats, and the vendor's rate-limit/cooldown state. */
  reset(): void;
  /** Closes the server and all its sockets. */
  close(): Promise<void>;
}

export interface CommonOptions {
  /** Serve https with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  /** Extra delay before every answer. */
  latencyMs?: number;
  /** Listening port on 127.0.0.1. Default 0 (any free port); tests should keep the default. */
  port?: number;
}

/** A request with its body fully read, as handed to a simulator's handler. */
export interface SimRequest {
  method: string;
  /** Path plus query, as received. */
  url: string;
  pathname: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
  remoteAddress: string;
  raw: IncomingMessage;
}

export type SimHandler = (req: SimRequest, res: ServerResponse) => Promise<void> | void;

export const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Writes a complete response: status line (with an optional custom reason phrase), headers in order, body. */
export function send(
  res: ServerResponse,
  status: number,
  headers: Array<[string, string]>,
  body: string | Buffer = '',
  reason?: string,
): void {
  if (res.headersSent) return;
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  if (reason !== undefined) res.statusMessage = reason;
  for (const [name, value] of headers) res.appendHeader(name, value);
  res.setHeader('Content-Length', String(buf.length));
  res.end(buf);
}

/**
 * Starts a loopback server on 127.0.0.1, port 0. `onReset` clears the vendor's own state.
 * The handler always sees a fully read body; errors it throws become a bare 500.
 */
export async function startSimulatorServer(
  handler: SimHandler,
  options: CommonOptions,
  onReset: () => void = () => {},
): Promise<SimulatorHandle> {
  const requests: RecordedRequest[] = [];
  const stats: SimulatorStats = { total: 0, inFlight: 0, maxConcurrent: 0 };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    stats.total += 1;
    stats.inFlight += 1;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.inFlight);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      stats.inFlight -= 1;
    };
    res.on('finish', finish);
    res.on('close', finish);
    const at = Date.now();
    void (async () => {
      try {
        const body = await readBody(req);
        const headers = flattenHeaders(req);
        const url = req.url ?? '/';
        requests.push({ method: req.method ?? 'GET', path: url, headers, body: body.toString('utf8'), at });
        const parsed = new URL(url, 'http://simulator.invalid');
        await sleep(options.latencyMs ?? 0);
        await handler(
          {
            method: (req.method ?? 'GET').toUpperCase(),
            url,
            pathname: parsed.pathname,
            query: parsed.searchParams,
            headers,
            body,
            remoteAddress: normaliseAddress(req.socket.remoteAddress),
            raw: req,
          },
          res,
        );
        if (!res.headersSent) send(res, 500, [['Content-Type', 'text/plain']], 'simulator: no response');
      } catch (error) {
        if (!res.headersSent) {
          send(res, 500, [['Content-Type', 'text/plain']], `simulator error: ${String(error)}`);
        } else {
          res.destroy();
        }
      }
    })();
  };

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';

  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    stats,
    reset() {
      requests.length = 0;
      stats.total = 0;
      stats.maxConcurrent = stats.inFlight;
      onReset();
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** "::ffff:127.0.0.1" and "127.0.0.1" are the same client for per-IP rules. */
function normaliseAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
