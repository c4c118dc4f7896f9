import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import {
  brotliCompressSync,
  deflateRawSync,
  deflateSync,
  gzipSync,
  constants as zlibConstants,
} from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compileAllowList } from '../../shared/net/address-policy.ts';
import { createGuardedClient, createGuardedLookup } from '../../shared/net/guarded-client.ts';
import type {
  GuardedClient,
  GuardedClientOptions,
  OutboundResult,
  Resolver,
} from '../../shared/net/types.ts';
import { readTlsFixture } from '../helpers/tls.ts';

// Every server here listens on loopback; nothing in this file may reach any other address.
const LOOPBACK_ALLOWED = ['127.0.0.0/8', '::1/128'];
const PUBLIC_V4 = '93.184.215.14';

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
let connectSpy: ReturnType<typeof vi.spyOn>;
let tlsConnectSpy: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  // undici calls net.connect / tls.connect on these very module objects, so the spies see every attempt.
  connectSpy = vi.spyOn(net, 'connect');
  tlsConnectSpy = vi.spyOn(tls, 'connect');
});

afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function client(options: GuardedClientOptions = {}): GuardedClient {
  const created = createGuardedClient(options);
  cleanups.push(() => created.close());
  return created;
}

/** A TCP listener that only counts connections: the proof that nothing was opened. */
async function canary(host: string, port = 0): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: false }, resolve);
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, connections: () => count };
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  port: number;
  connections: () => number;
  requests: http.IncomingMessage[];
}

async function listen(server: http.Server | https.Server, host: string, port: number): Promise<TestServer> {
  let connections = 0;
  const requests: http.IncomingMessage[] = [];
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', () => connections++);
  server.on('request', (req: http.IncomingMessage) => requests.push(req));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, resolve);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections, requests };
}

function httpServer(handler: Handler, host = '127.0.0.1', port = 0): Promise<TestServer> {
  return listen(http.createServer(handler), host, port);
}

function httpsServer(handler: Handler, cert: 'leaf' | 'expired' | 'selfSigned'): Promise<TestServer> {
  const server = https.createServer(
    {
      cert: readTlsFixture(`${cert}Cert`),
      key: readTlsFixture(`${cert}Key`),
    },
    handler,
  );
  return listen(server, '127.0.0.1', 0);
}

const hello: Handler = (_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('hello');
};

/** A resolver from a fixed table; a list of answers is handed out one call at a time. */
function tableResolver(table: Record<string, string[] | string[][]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const seen = new Map<string, number>();
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    const entry = table[hostname];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const n = seen.get(hostname) ?? 0;
    seen.set(hostname, n + 1);
    const answer = (
      Array.isArray(entry[0]) ? (entry[Math.min(n, entry.length - 1)] as string[]) : entry
    ) as string[];
    return answer.map((address) => ({ address, family: (net.isIPv6(address) ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolver, { calls });
}

function expectFailure(result: OutboundResult, failure: string): string {
  expect(result).toMatchObject({ ok: false, failure });
  return result.ok ? '' : result.detail;
}

function expectOk(result: OutboundResult): Extract<OutboundResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${result.failure}: ${result.detail}`);
  return result;
}

describe('URL validation', () => {
  it.each([
    'https://user:hunter2@127.0.0.1/',
    'https://user@example.com/',
    'http://:hunter2@example.com/',
    'file:///etc/passwd',
    'ftp://example.com/file',
    'gopher://example.com/',
    'ws://example.com/',
    'javascript:alert(1)',
    '/relative/path',
    'not a url',
    'http://[::1/',
  ])('refuses %s as invalid_url without connecting', async (url) => {
    const result = await client().request({ method: 'GET', url });
    const detail = expectFailure(result, 'invalid_url');
    expect(detail).not.toContain('hunter2');
    expect(connectSpy).not.toHaveBeenCalled();
  });
});

describe('IP literals', () => {
  const forbiddenLiterals = [
    '127.0.0.1',
    '2130706433',
    '0177.0.0.1',
    '0x7f000001',
    '0x7f.0.0.1',
    '127.1',
    '127.0.0.1.',
    '[::1]',
    '[::]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:7f00:1]',
    '[::ffff:a9fe:a9fe]',
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::]',
    '169.254.169.254',
    '10.0.0.5',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '0.0.0.0',
    '0',
    '[fe80::1]',
    '[fc00::1]',
    '224.0.0.1',
    '255.255.255.255',
  ];

  it('refuses every forbidden notation as blocked_destination before opening any connection', async () => {
    // A dual-stack listener on :: catches connections to 127.0.0.0/8, ::1, 0.0.0.0 and :: alike.
    const trap = await canary('::');
    const guarded = client();
    for (const host of forbiddenLiterals) {
      for (const scheme of ['http', 'https']) {
        const url = `${scheme}://${host}:${trap.port}/path?token=SECRET`;
        const detail = expectFailure(await guarded.request({ method: 'GET', url }), 'blocked_destination');
        expect(detail, url).not.toContain('SECRET');
      }
    }
    expect(trap.connections()).toBe(0);
    expect(connectSpy).not.toHaveBeenCalled();
    expect(tlsConnectSpy).not.toHaveBeenCalled();
  });

  it('names the address and the reason in the detail', async () => {
    const result = await client().request({ method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' });
    const detail = expectFailure(result, 'blocked_destination');
    expect(detail).toContain('169.254.169.254');
    expect(detail).toContain('link-local');
  });

  it('refuses plain http to a public address as insecure_destination without connecting', async () => {
    const guarded = client();
    expectFailure(
      await guarded.request({ method: 'GET', url: `http://${PUBLIC_V4}/` }),
      'insecure_destination',
    );
    expectFailure(
      await guarded.request({ method: 'GET', url: 'http://[2606:4700::1111]/' }),
      'insecure_destination',
    );
    expect(connectSpy).not.toHaveBeenCalled();
  });

  it('connects to an allowed loopback literal over plain http, in any notation', async () => {
    const server = await httpServer(hello);
    const guarded = client({ egressAllow: LOOPBACK_ALLOWED });
    for (const host of ['127.0.0.1', '2130706433', '0x7f.0.0.1', '127.1']) {
      const result = expectOk(
        await guarded.request({ method: 'GET', url: `http://${host}:${server.port}/` }),
      );
      expect(result.body).toBe('hello');
      expect(result.remoteAddress).toBe('127.0.0.1');
    }
  });

  it('connects to an allowed ::1 literal and an allowed IPv4-mapped literal', async () => {
    const v6 = await httpServer(hello, '::1');
    const v4 = await httpServer(hello, '127.0.0.1');
    const guarded = client({ egressAllow: LOOPBACK_ALLOWED });
    const viaV6 = expectOk(await guarded.request({ method: 'GET', url: `http://[::1]:${v6.port}/` }));
    expect(viaV6.remoteAddress).toBe('::1');
    const mapped = expectOk(
      await guarded.request({ method: 'GET', url: `http://[::ffff:127.0.0.1]:${v4.port}/` }),
    );
    expect(mapped.body).toBe('hello');
  });

  it('keeps refusing addresses outside the allowed ranges', async () => {
    const trap = await canary('::');
    const guarded = client({ egressAllow: ['127.0.0.0/8'] });
    expectFailure(
      await guarded.request({ method: 'GET', url: `http://[::1]:${trap.port}/` }),
      'blocked_destination',
    );
    expectFailure(
      await guarded.request({ method: 'GET', url: `http://10.0.0.1:${trap.port}/` }),
      'blocked_destination',
    );
    expect(trap.connections()).toBe(0);
    expect(connectSpy).not.toHaveBeenCalled();
  });
});

describe('names', () => {
  it('refuses a name that resolves to a private address', async () => {
    const resolver = tableResolver({ 'evil.test': ['10.0.0.5'] });
    const result = await client({ resolver }).request({
      method: 'GET',
      url: 'https://evil.test/?token=SECRET',
    });
    const detail = expectFailure(result, 'blocked_destination');
    expect(detail).toContain('evil.test');
    expect(detail).toContain('10.0.0.5');
    expect(detail).not.toContain('SECRET');
    expect(resolver.calls).toEqual(['evil.test']);
  });

  it('refuses a name that resolves to loopback, and the listener on that address sees nothing', async () => {
    const trap = await canary('127.0.0.1');
    const resolver = tableResolver({ 'loop.test': ['127.0.0.1'], 'meta.test': ['169.254.169.254'] });
    const guarded = client({ resolver });
    for (const scheme of ['http', 'https']) {
      const url = `${scheme}://loop.test:${trap.port}/`;
      expectFailure(await guarded.request({ method: 'GET', url }), 'blocked_destination');
    }
    expectFailure(await guarded.request({ method: 'GET', url: 'http://meta.test/' }), 'blocked_destination');
    expect(trap.connections()).toBe(0);
  });

  it('refuses a DNS answer that mixes public and private addresses', async () => {
    const trap = await canary('127.0.0.1');
    const resolver = tableResolver({ 'mixed.test': [PUBLIC_V4, '127.0.0.1'] });
    const result = await client({ resolver }).request({
      method: 'GET',
      url: `http://mixed.test:${trap.port}/`,
    });
    // blocked, not merely insecure: the private member decides, whatever its position.
    expectFailure(result, 'blocked_destination');
    expect(trap.connections()).toBe(0);
  });

  it('refuses a name that rebinds from public to loopback on the next call', async () => {
    const trap = await canary('127.0.0.1');
    const resolver = tableResolver({ 'rebind.test': [[PUBLIC_V4], ['127.0.0.1']] });
    const guarded = client({ resolver });
    const url = `http://rebind.test:${trap.port}/`;
    expectFailure(await guarded.request({ method: 'GET', url }), 'insecure_destination');
    expectFailure(await guarded.request({ method: 'GET', url }), 'blocked_destination');
    expect(resolver.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(trap.connections()).toBe(0);
  });

  it('checks again on every new connection, so a rebind after an allowed call is refused', async () => {
    // The allowed server closes each connection, so the second call must open (and check) a new one.
    const server = await httpServer((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('allowed');
    }, '127.0.0.2');
    const trap = await canary('127.0.0.1', server.port);
    const resolver = tableResolver({ 'rebind.test': [['127.0.0.2'], ['127.0.0.1']] });
    const guarded = client({ resolver, egressAllow: ['127.0.0.2/32'] });
    const url = `http://rebind.test:${server.port}/`;
    const first = expectOk(await guarded.request({ method: 'GET', url }));
    expect(first.body).toBe('allowed');
    expect(first.remoteAddress).toBe('127.0.0.2');
    expectFailure(await guarded.request({ method: 'GET', url }), 'blocked_destination');
    expect(trap.connections()).toBe(0);
  });

  it('refuses localhost through the system resolver unless loopback is allowed', async () => {
    const trap = await canary('::');
    expectFailure(
      await client().request({ method: 'GET', url: `http://localhost:${trap.port}/` }),
      'blocked_destination',
    );
    expect(trap.connections()).toBe(0);

    const server = await httpServer(hello, '::');
    const allowed = expectOk(
      await client({ egressAllow: LOOPBACK_ALLOWED }).request({
        method: 'GET',
        url: `http://localhost:${server.port}/`,
      }),
    );
    expect(allowed.body).toBe('hello');
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1']).toContain(allowed.remoteAddress);
  });

  it.each(['localhost', 'localhost.', 'LocalHost', 'x.localhost', 'a.b.localhost.'])(
    'refuses %s as loopback before any lookup, whatever a resolver would answer',
    async (name) => {
      const resolver = tableResolver({ [name.toLowerCase()]: [PUBLIC_V4] });
      for (const scheme of ['http', 'https']) {
        const detail = expectFailure(
          await client({ resolver }).request({ method: 'GET', url: `${scheme}://${name}/` }),
          'blocked_destination',
        );
        expect(detail).toMatch(/loopback/);
      }
      expect(resolver.calls).toEqual([]);
    },
  );

  it('lets a name under localhost through to the lookup only when loopback is allowed', async () => {
    const server = await httpServer(hello);
    const resolver = tableResolver({ 'app.localhost': ['127.0.0.1'] });
    const allowed = expectOk(
      await client({ resolver, egressAllow: LOOPBACK_ALLOWED }).request({
        method: 'GET',
        url: `http://app.localhost:${server.port}/`,
      }),
    );
    expect(allowed.body).toBe('hello');
    expect(resolver.calls).toEqual(['app.localhost']);
  });

  it('connects to the checked address of an allowed name and reports it', async () => {
    const server = await httpServer(hello, '::1');
    const resolver = tableResolver({ 'v6.test': ['::1'] });
    const guarded = client({ resolver, egressAllow: LOOPBACK_ALLOWED });
    const result = expectOk(await guarded.request({ method: 'GET', url: `http://v6.test:${server.port}/` }));
    expect(result.remoteAddress).toBe('::1');
    expect(server.requests[0]?.headers.host).toBe(`v6.test:${server.port}`);
  });

  it('reports the address the socket reached when a name has several checked addresses', async () => {
    // Nothing listens on ::1 at this port, so the connection falls through to 127.0.0.1.
    const server = await httpServer(hello, '127.0.0.1');
    const resolver = tableResolver({ 'two.test': ['::1', '127.0.0.1'] });
    const guarded = client({ resolver, egressAllow: LOOPBACK_ALLOWED });
    const result = expectOk(await guarded.request({ method: 'GET', url: `http://two.test:${server.port}/` }));
    expect(result.remoteAddress).toBe('127.0.0.1');
  });

  it('reports a name that does not resolve, or resolves to nothing, as endpoint_unreachable', async () => {
    const resolver = tableResolver({ 'empty.test': [] });
    const guarded = client({ resolver });
    const detail = expectFailure(
      await guarded.request({ method: 'GET', url: 'https://missing.test/' }),
      'endpoint_unreachable',
    );
    expect(detail).toContain('missing.test');
    expectFailure(
      await guarded.request({ method: 'GET', url: 'https://empty.test/' }),
      'endpoint_unreachable',
    );
  });
});

describe('responses from an allowed server', () => {
  it('returns status, lower-cased headers, the body and the remote address', async () => {
    const server = await httpServer((req, res) => {
      res.setHeader('X-Custom', 'yes');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.statusCode = 201;
      res.end(`accept-encoding=${req.headers['accept-encoding']}`);
    });
    const result = expectOk(
      await client({ egressAllow: LOOPBACK_ALLOWED }).request({
        method: 'GET',
        url: `http://127.0.0.1:${server.port}/x?y=1`,
      }),
    );
    expect(result.status).toBe(201);
    expect(result.headers['x-custom']).toBe('yes');
    expect(result.headers['set-cookie']).toBe('a=1, b=2');
    expect(result.body).toBe('accept-encoding=gzip, deflate, br');
    expect(result.remoteAddress).toBe('127.0.0.1');
    expect(result.ms).toBeGreaterThanOrEqual(0);
    expect(server.requests[0]?.url).toBe('/x?y=1');
  });

  it('sends the method, headers and body, and keeps a caller-chosen accept-encoding', async () => {
    const server = await httpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        res.end(
          JSON.stringify({
            method: req.method,
            body,
            ae: req.headers['accept-encoding'],
            h: req.headers['x-api'],
          }),
        );
      });
    });
    const result = expectOk(
      await client({ egressAllow: LOOPBACK_ALLOWED }).request({
        method: 'POST',
        url: `http://127.0.0.1:${server.port}/rpc`,
        headers: { 'Accept-Encoding': 'identity', 'X-Api': 'k' },
        body: '{"a":1}',
      }),
    );
    expect(JSON.parse(result.body)).toEqual({ method: 'POST', body: '{"a":1}', ae: 'identity', h: 'k' });
  });

  it('answers a HEAD request with an empty body', async () => {
    const server = await httpServer((_req, res) => {
      res.setHeader('content-length', String(50 * 1024 * 1024));
      res.end();
    });
    const result = expectOk(
      await client({ egressAllow: LOOPBACK_ALLOWED }).request({
        method: 'HEAD',
        url: `http://127.0.0.1:${server.port}/`,
      }),
    );
    expect(result.status).toBe(200);
    expect(result.body).toBe('');
  });

  it('reuses a pooled keep-alive connection for the next call', async () => {
    const server = await httpServer(hello);
    const resolver = tableResolver({ 'pool.test': ['127.0.0.1'] });
    const guarded = client({ egressAllow: LOOPBACK_ALLOWED, resolver });
    const url = `http://pool.test:${server.port}/`;
    const first = expectOk(await guarded.request({ method: 'GET', url }));
    const second = expectOk(await guarded.request({ method: 'GET', url }));
    expect([first.body, second.body]).toEqual(['hello', 'hello']);
    expect(second.remoteAddress).toBe('127.0.0.1');
    expect(server.connections()).toBe(1);
    expect(resolver.calls).toEqual(['pool.test']);
  });

  it('returns a redirect as it is and does not follow it', async () => {
    const target = await httpServer(hello);
    const redirector = await httpServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/next` });
      res.end();
    });
    const result = expectOk(
      await client({ egressAllow: LOOPBACK_ALLOWED }).request({
        method: 'GET',
        url: `http://127.0.0.1:${redirector.port}/`,
        headers: { authorization: 'Bearer secret' },
      }),
    );
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe(`http://127.0.0.1:${target.port}/next`);
    expect(target.connections()).toBe(0);
  });

  it.each([
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['deflate', (b: Buffer) => deflateSync(b)],
    ['deflate', (b: Buffer) => deflateRawSync(b)],
    ['br', (b: Buffer) => brotliCompressSync(b)],
  ])('decompresses a %s body', async (encoding, compress) => {
    const text = 'compressed body '.repeat(100);
    const server = await httpServer((_req, res) => {
      res.setHeader('content-encoding', encoding);
      res.end(compress(Buffer.from(text)));
    });
    const result = expectOk(
      await client({ egressAllow: LOOPBACK_ALLOWED }).request({
        method: 'GET',
        url: `http://127.0.0.1:${server.port}/`,
      }),
    );
    expect(result.body).toBe(text);
  });

  it('reports a body that cannot be decoded as endpoint_unreachable', async () => {
    const server = await httpServer((_req, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.end('this is not gzip');
    });
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
    });
    expect(expectFailure(result, 'endpoint_unreachable')).toContain('decode');
  });

  it('accepts a body of exactly the cap', async () => {
    const server = await httpServer((_req, res) => res.end('x'.repeat(1000)));
    const result = expectOk(
      await client({ egressAllow: LOOPBACK_ALLOWED, maxResponseBytes: 1000 }).request({
        method: 'GET',
        url: `http://127.0.0.1:${server.port}/`,
      }),
    );
    expect(result.body).toHaveLength(1000);
  });
});

describe('size limits', () => {
  it('stops reading an endless body at the cap', async () => {
    const total = 20 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let reportServer: (outcome: { written: number; finished: boolean }) => void = () => {};
    const serverOutcome = new Promise<{ written: number; finished: boolean }>((resolve) => {
      reportServer = resolve;
    });
    const server = await httpServer(async (_req, res) => {
      res.setHeader('content-type', 'text/plain'); // chunked: no content-length to refuse early
      let written = 0;
      while (written < total && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) {
          await new Promise<void>((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
        }
      }
      const finished = !res.destroyed;
      if (finished) res.end();
      reportServer({ written, finished });
    });
    const started = Date.now();
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
    });
    expectFailure(result, 'response_too_large');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The client hung up early, so the server could not hand over the whole 20 MB.
    const { written, finished } = await serverOutcome;
    expect(finished).toBe(false);
    expect(written).toBeLessThan(total);
  });

  it('refuses a declared content-length over the cap without reading the body', async () => {
    const server = await httpServer((_req, res) => {
      res.setHeader('content-length', String(3 * 1024 * 1024));
      res.write('partial');
    });
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
    });
    expectFailure(result, 'response_too_large');
  });

  it.each([
    ['gzip', () => gzipSync(Buffer.alloc(50 * 1024 * 1024))],
    [
      'br',
      () =>
        brotliCompressSync(Buffer.alloc(50 * 1024 * 1024), {
          params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1 },
        }),
    ],
  ])('stops a %s decompression bomb at the cap', async (encoding, makeBomb) => {
    const bomb = makeBomb();
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const server = await httpServer((_req, res) => {
      res.setHeader('content-encoding', encoding);
      res.end(bomb);
    });
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
    });
    expectFailure(result, 'response_too_large');
  });
});

describe("the caller's signal (a check's deadline)", () => {
  it('cuts off a call in flight as a timeout, and sends nothing when it has already aborted', async () => {
    const server = await httpServer(() => {
      // never answers
    });
    const controller = new AbortController();
    const guarded = client({ egressAllow: LOOPBACK_ALLOWED, timeoutMs: 60_000 });
    const url = `http://127.0.0.1:${server.port}/`;
    const pending = guarded.request({ method: 'GET', url, signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(expectFailure(await pending, 'timeout')).toMatch(/deadline/);
    expectFailure(await guarded.request({ method: 'GET', url, signal: controller.signal }), 'timeout');
    expect(server.requests).toHaveLength(1);
  });

  it('holds a call while the host has no free slot, and gives up without sending when the signal aborts', async () => {
    const { HostLimiter } = await import('../../shared/net/host-limiter.ts');
    const hostLimiter = new HostLimiter(1);
    const server = await httpServer(() => {
      // never answers
    });
    const guarded = client({ egressAllow: LOOPBACK_ALLOWED, hostLimiter, timeoutMs: 60_000 });
    const url = `http://127.0.0.1:${server.port}/`;
    const first = new AbortController();
    const second = new AbortController();
    const holding = guarded.request({ method: 'GET', url, signal: first.signal });
    const queued = guarded.request({ method: 'GET', url, signal: second.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    second.abort();
    expectFailure(await queued, 'timeout');
    first.abort();
    expectFailure(await holding, 'timeout');
    expect(server.requests).toHaveLength(1);
    expect(hostLimiter.inFlight(`127.0.0.1:${server.port}`)).toBe(0);
  });
});

describe('timeouts and broken connections', () => {
  it('times out near the deadline when the headers never come', async () => {
    const server = await httpServer(() => {
      // never answers
    });
    const started = Date.now();
    const result = await client({ egressAllow: LOOPBACK_ALLOWED, timeoutMs: 800 }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
    });
    const elapsed = Date.now() - started;
    expectFailure(result, 'timeout');
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });

  it('times out when the body stalls, honouring the per-call deadline', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const started = Date.now();
    const result = await client({ egressAllow: LOOPBACK_ALLOWED, timeoutMs: 60_000 }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
      timeoutMs: 800,
    });
    const elapsed = Date.now() - started;
    expectFailure(result, 'timeout');
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('applies the connect timeout, which includes name resolution', async () => {
    const hanging: Resolver = () => new Promise(() => {});
    const started = Date.now();
    const result = await client({ resolver: hanging, connectTimeoutMs: 300, timeoutMs: 10_000 }).request({
      method: 'GET',
      url: 'https://slow-dns.test/',
    });
    expect(expectFailure(result, 'timeout')).toContain('connect');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a reset connection as endpoint_unreachable', async () => {
    const server = await httpServer((req) => req.socket.resetAndDestroy());
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
    });
    expectFailure(result, 'endpoint_unreachable');
  });

  it('reports a connection closed before any answer as endpoint_unreachable', async () => {
    const server = await httpServer((req) => req.socket.destroy());
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${server.port}/`,
    });
    expectFailure(result, 'endpoint_unreachable');
  });

  it('reports a refused connection as endpoint_unreachable', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${port}/`,
    });
    expect(expectFailure(result, 'endpoint_unreachable')).toContain('ECONNREFUSED');
  });

  it('reports a reply that is not HTTP as endpoint_unreachable', async () => {
    const raw = net.createServer((socket) => socket.resume().end('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => raw.close(() => resolve())));
    const { port } = raw.address() as net.AddressInfo;
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `http://127.0.0.1:${port}/`,
    });
    expectFailure(result, 'endpoint_unreachable');
  });

  it('answers endpoint_unreachable once closed', async () => {
    const guarded = createGuardedClient({ egressAllow: LOOPBACK_ALLOWED });
    await guarded.close();
    const result = await guarded.request({ method: 'GET', url: 'http://127.0.0.1:9/' });
    expectFailure(result, 'endpoint_unreachable');
  });
});

describe('https', () => {
  const ca = readTlsFixture('caCert');

  it('accepts a certificate signed by an extra trusted CA, by IP and by name', async () => {
    const server = await httpsServer(hello, 'leaf');
    const resolver = tableResolver({ 'api.credval.test': ['127.0.0.1'] });
    const guarded = client({ egressAllow: LOOPBACK_ALLOWED, ca, resolver });
    const byIp = expectOk(await guarded.request({ method: 'GET', url: `https://127.0.0.1:${server.port}/` }));
    expect(byIp.body).toBe('hello');
    const byName = expectOk(
      await guarded.request({ method: 'GET', url: `https://api.credval.test:${server.port}/` }),
    );
    expect(byName.body).toBe('hello');
    expect(byName.remoteAddress).toBe('127.0.0.1');
  });

  it('refuses the same certificate when its CA is not trusted', async () => {
    const server = await httpsServer(hello, 'leaf');
    const result = await client({ egressAllow: LOOPBACK_ALLOWED }).request({
      method: 'GET',
      url: `https://127.0.0.1:${server.port}/`,
    });
    expectFailure(result, 'tls_error');
  });

  it('refuses a self-signed certificate', async () => {
    const server = await httpsServer(hello, 'selfSigned');
    const result = await client({ egressAllow: LOOPBACK_ALLOWED, ca }).request({
      method: 'GET',
      url: `https://127.0.0.1:${server.port}/`,
    });
    expect(expectFailure(result, 'tls_error')).toContain('self-signed');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses an expired certificate', async () => {
    const server = await httpsServer(hello, 'expired');
    const result = await client({ egressAllow: LOOPBACK_ALLOWED, ca }).request({
      method: 'GET',
      url: `https://127.0.0.1:${server.port}/`,
    });
    expect(expectFailure(result, 'tls_error')).toContain('CERT_HAS_EXPIRED');
  });

  it('refuses a certificate for another host name', async () => {
    const server = await httpsServer(hello, 'leaf');
    const resolver = tableResolver({ 'wrong.example': ['127.0.0.1'] });
    const result = await client({ egressAllow: LOOPBACK_ALLOWED, ca, resolver }).request({
      method: 'GET',
      url: `https://wrong.example:${server.port}/`,
    });
    expect(expectFailure(result, 'tls_error')).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(server.requests).toHaveLength(0);
  });

  it('reports https to a plain http server as tls_error', async () => {
    const server = await httpServer(hello);
    const result = await client({ egressAllow: LOOPBACK_ALLOWED, ca }).request({
      method: 'GET',
      url: `https://127.0.0.1:${server.port}/`,
    });
    expectFailure(result, 'tls_error');
  });
});

describe('createGuardedLookup', () => {
  type LookupOutcome = { error: NodeJS.ErrnoException | null; address: unknown; family?: number };
  function lookup(hook: net.LookupFunction, hostname: string, options: object): Promise<LookupOutcome> {
    return new Promise((resolve) =>
      hook(hostname, options, (error, address, family) => resolve({ error, address, family })),
    );
  }
  const resolver = tableResolver({ 'both.test': ['::1', '127.0.0.1'], 'private.test': ['10.0.0.5'] });
  const allow = compileAllowList(LOOPBACK_ALLOWED);

  it('answers the all:true form with every checked address', async () => {
    const outcome = await lookup(createGuardedLookup('http', allow, resolver), 'both.test', { all: true });
    expect(outcome.error).toBeNull();
    expect(outcome.address).toEqual([
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ]);
  });

  it('answers the single-address form, honouring a family hint', async () => {
    const hook = createGuardedLookup('http', allow, resolver);
    expect(await lookup(hook, 'both.test', {})).toMatchObject({ error: null, address: '::1', family: 6 });
    expect(await lookup(hook, 'both.test', { family: 4 })).toMatchObject({ address: '127.0.0.1', family: 4 });
  });

  it('fails with a refusal error that names the host and address', async () => {
    const outcome = await lookup(createGuardedLookup('https', allow, resolver), 'private.test', {
      all: true,
    });
    expect(outcome.error?.code).toBe('ERR_CREDVAL_EGRESS_REFUSED');
    expect(outcome.error?.message).toContain('private.test');
    expect(outcome.error?.message).toContain('10.0.0.5');
  });
});
