// A loopback proxy in front of a vendor simulator that passes most requests straight through but holds the
// ones a test picks, never answering them: a vendor that is slow for some calls. It counts every request it
// receives, so a test can see that nothing arrives after a check has answered, and how many held requests the
// client cut off.
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldRequest {
  method: string;
  path: string;
  body: string;
}

export interface HoldingProxy {
  url: string;
  /** Requests received so far (held ones included). */
  arrivals(): number;
  /** Held requests whose connection the client has closed. */
  cutOff(): number;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1; `hold` picks the requests that never get an answer. */
export async function startHoldingProxy(
  upstream: string,
  hold: (request: HeldRequest) => boolean,
): Promise<HoldingProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  let arrivals = 0;
  let cutOff = 0;
  const server: Server = createServer((req, res) => {
    arrivals += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (hold({ method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') })) {
        res.on('close', () => {
          cutOff += 1;
        });
        return;
      }
      const forwarded = httpRequest(
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
      forwarded.on('error', () => res.destroy());
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals: () => arrivals,
    cutOff: () => cutOff,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
