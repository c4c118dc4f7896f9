import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { check, outcome } from '../helpers/check.ts';
import { readTlsFixture } from '../helpers/tls.ts';

/**
 * Vendors that misbehave: every case must end in a classified verdict (never a throw), within the call
 * timeout, with memory bounded. The checks run through the real probes and the guarded client.
 */
const TIMEOUT_MS = 1500;
const servers: Array<{ close(cb?: () => void): unknown; closeAllConnections?: () => void }> = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: 'self-signed' | 'expired',
): Promise<string> {
  const server: Server =
    tls === undefined
      ? createServer(handler)
      : (createHttpsServer(
          tls === 'self-signed'
            ? { key: readTlsFixture('selfSignedKey'), cert: readTlsFixture('selfSignedCert') }
            : { key: readTlsFixture('expiredKey'), cert: readTlsFixture('expiredCert') },
          handler,
        ) as unknown as Server);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `${tls ? 'https' : 'http'}://localhost:${port}`;
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>
<methodResponse><params><param><value><string>&lol6;</string></value></param></params></methodResponse>`;
const DEEP_XML = `<?xml version="1.0"?><methodResponse><params><param>${'<value><array><data>'.repeat(20_000)}${'</data></array></value>'.repeat(20_000)}</param></params></methodResponse>`;
const HUGE_STRING_XML = `<?xml version="1.0"?><methodResponse><params><param><value><string>${'A'.repeat(1_900_000)}</string></value></param></params></methodResponse>`;

/** An Odoo that answers version_info properly and then hostile XML on every XML-RPC call. */
const odooWith = (xml: string) => (req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/web/webclient/version_info') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        result: {
          server_version: '18.0',
          server_version_info: [18, 0, 0, 'final', 0, ''],
          server_serie: '18.0',
          protocol_version: 1,
        },
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/xml' });
  res.end(xml);
};

type Case = [string, 'dolibarr' | 'odoo', () => Promise<string>, RegExp];
const CASES: Case[] = [
  [
    'an endless body',
    'dolibarr',
    () =>
      serve((_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 32);
        const pump = () => {
          while (res.write(chunk)) {
            /* until back-pressure */
          }
          res.once('drain', pump);
        };
        pump();
      }),
    /^inconclusive:(vendor_error|timeout)$/,
  ],
  [
    'a 50 MB body',
    'dolibarr',
    () =>
      serve((_q, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(50 * 1024 * 1024),
        });
        const chunk = Buffer.alloc(1024 * 1024, 32);
        let sent = 0;
        const pump = () => {
          while (sent < 50 && res.write(chunk)) sent += 1;
          if (sent < 50) res.once('drain', pump);
          else res.end();
        };
        pump();
      }),
    /^inconclusive:vendor_error$/,
  ],
  [
    'a gzip bomb',
    'dolibarr',
    () => {
      const bomb = gzipSync(Buffer.alloc(60 * 1024 * 1024, 0));
      return serve((_q, res) =>
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb),
      );
    },
    /^inconclusive:vendor_error$/,
  ],
  ['headers that never come', 'dolibarr', () => serve(() => undefined), /^inconclusive:timeout$/],
  [
    'a body that stalls',
    'dolibarr',
    () =>
      serve((_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"success":');
      }),
    /^inconclusive:timeout$/,
  ],
  [
    'HTML where JSON was expected',
    'dolibarr',
    () =>
      serve((_q, res) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome</body></html>'),
      ),
    /^invalid:not_the_vendor$/,
  ],
  [
    'JSON with a lying content type',
    'dolibarr',
    () =>
      serve((_q, res) =>
        res
          .writeHead(200, { 'content-type': 'image/png' })
          .end('{"success":{"code":200,"dolibarr_version":"20.0.2"}}'),
      ),
    /^invalid:not_the_vendor$/,
  ],
  [
    'broken JSON',
    'dolibarr',
    () => serve((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"success": {')),
    /^invalid:not_the_vendor$/,
  ],
  [
    'a redirect loop',
    'dolibarr',
    () => serve((req, res) => res.writeHead(302, { location: req.url ?? '/' }).end()),
    /^invalid:not_the_vendor$/,
  ],
  [
    // Only an upgrade to the default https port is followed: another port is another service.
    'a redirect to https on a non-default port (its own, where it speaks http)',
    'dolibarr',
    async () => {
      const url = await serve((req, res) =>
        res
          .writeHead(301, {
            location: `https://localhost:${new URL(`http://${req.headers.host}`).port}${req.url}`,
          })
          .end(),
      );
      return url;
    },
    /^invalid:not_the_vendor$/,
  ],
  [
    'a self-signed certificate',
    'dolibarr',
    () => serve((_q, res) => res.end('{}'), 'self-signed'),
    /^inconclusive:tls_error$/,
  ],
  [
    'an expired certificate',
    'dolibarr',
    () => serve((_q, res) => res.end('{}'), 'expired'),
    /^inconclusive:tls_error$/,
  ],
  [
    'a connection reset',
    'dolibarr',
    async () => {
      const tcp = createTcpServer((socket) => socket.resetAndDestroy());
      servers.push(tcp);
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
    },
    /^inconclusive:endpoint_unreachable$/,
  ],
  [
    'garbage instead of HTTP',
    'dolibarr',
    async () => {
      const tcp = createTcpServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n', () => socket.destroy()));
      servers.push(tcp);
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
    },
    /^inconclusive:endpoint_unreachable$/,
  ],
  [
    'XML entity expansion (billion laughs)',
    'odoo',
    () => serve(odooWith(BILLION_LAUGHS)),
    /^(invalid:not_the_vendor|inconclusive:vendor_error)$/,
  ],
  [
    '20,000 levels of XML nesting',
    'odoo',
    () => serve(odooWith(DEEP_XML)),
    /^(invalid:not_the_vendor|inconclusive:vendor_error)$/,
  ],
  [
    'a 1.9 MB XML string',
    'odoo',
    () => serve(odooWith(HUGE_STRING_XML)),
    /^(invalid:\w+|inconclusive:vendor_error)$/,
  ],
  [
    'XML-RPC over a 500',
    'odoo',
    () =>
      serve((req, res) =>
        req.url?.startsWith('/web')
          ? odooWith('')(req, res)
          : res.writeHead(500, { 'content-type': 'text/xml' }).end('<methodResponse/>'),
      ),
    /^inconclusive:vendor_error$/,
  ],
];

describe('vendor misbehaviour ends in a classified verdict, in time, with bounded memory', () => {
  it.each(CASES)(
    '%s',
    async (_name, connector, start, expected) => {
      const url = await start();
      const fields: Record<string, string> =
        connector === 'dolibarr'
          ? { baseUrl: url, apiKey: 'misbehaviour-key-1234' }
          : { serverUrl: url, database: 'acme', username: 'admin', password: 'misbehaviour-pw-1234' };
      const rssBefore = process.memoryUsage().rss;
      const started = Date.now();
      const report = await check(connector, fields, {
        client: { timeoutMs: TIMEOUT_MS, ca: undefined },
      });
      const elapsed = Date.now() - started;
      expect(outcome(report)).toMatch(expected);
      // Each probe step has its own deadline; a check makes a handful of calls at most.
      expect(elapsed).toBeLessThan(TIMEOUT_MS * 4 + 2000);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
      expect(JSON.stringify(report)).not.toMatch(/lol|AAAAAAAA|SSH-2\.0/);
    },
    20_000,
  );
});
