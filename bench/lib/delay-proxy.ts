// A loopback reverse proxy that holds every request for a fixed delay before passing it to the upstream (a vendor
// simulator) and the answer straight back. With a delay far above loopback latency, the wall time of a check
// divided by the delay is the number of round trips it waited for one after another. It counts requests, the
// most in flight at once and the arrival time of each, so a caller can also see calls made after an answer.
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface DelayProxy {
  url: string;
  /** Requests received so far. */
  readonly total: number;
  /** The most requests in flight at once since the last reset. */
  readonly maxInFlight: number;
  /** `performance.now()` at each request's arrival, in order. */
  readonly arrivals: readonly number[];
  setDelay(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 in front of `upstream` (an http origin such as a simulator's url). */
export async function startDelayProxy(upstream: string, delayMs: number): Promise<DelayProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let delay = delayMs;
  let inFlight = 0;
  let maxInFlight = 0;
  const arrivals: number[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const upstreamRequest = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstreamRequest.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    upstreamRequest.end(body);
  };

  const server: Server = createServer((req, res) => {
    arrivals.push(performance.now());
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight -= 1;
    };
    res.on('finish', finish);
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const timer = setTimeout(() => forward(req, res, Buffer.concat(chunks)), delay);
      // A caller that gives up (its deadline passed) closes the connection: nothing is forwarded then.
      res.on('close', () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get total() {
      return arrivals.length;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    arrivals,
    setDelay(ms: number) {
      delay = ms;
    },
    reset() {
      arrivals.length = 0;
      maxInFlight = inFlight;
    },
    close() {
      agent.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
