import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local-server.ts';
import { parseEnvironment } from '../../shared/app/environment.ts';
import type { Resolver } from '../../shared/net/types.ts';
import { runCli } from '../helpers/cli.ts';

/**
 * SSRF corpus: every way to name a forbidden address, through the HTTP API and the CLI. Canary sockets listen
 * on 127.0.0.2 and ::1 (loopback addresses nobody allowed) on one port; the operator allows only 127.0.0.1
 * (where a redirector lives). No case may ever open a connection to a canary.
 */
const TOKEN = 'ssrf-corpus-token';
const CANARY_SECRET = 'ssrf-canary-secret-4f2a';

describe('SSRF corpus: no connection ever reaches a forbidden address', () => {
  const canaries: Server[] = [];
  let port = 0;
  let connections = 0;
  let server: LocalServer;
  let redirector: HttpServer;
  let redirectorUrl = '';
  let lookups = 0;

  beforeAll(async () => {
    const listen = (host: string, p: number) =>
      new Promise<Server>((resolve, reject) => {
        const canary = createServer((socket) => {
          connections += 1;
          socket.destroy();
        });
        canary.once('error', reject);
        canary.listen(p, host, () => resolve(canary));
      });
    const first = await listen('127.0.0.2', 0);
    port = (first.address() as { port: number }).port;
    canaries.push(first, await listen('::1', port), await listen('127.0.0.3', port));

    // An allowed server that answers with redirects towards the forbidden addresses.
    redirector = createHttpServer((req, res) => {
      const target =
        new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? `http://127.0.0.2:${port}/`;
      res.writeHead(302, { location: target }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorUrl = `http://127.0.0.1:${(redirector.address() as { port: number }).port}`;

    // Names for the server's resolver: hostile DNS answers, including one that is public first and private next.
    const table: Record<string, string[][]> = {
      'private.credval.test': [['10.0.0.5']],
      'loopback.credval.test': [['127.0.0.2']],
      'metadata.credval.test': [['169.254.169.254']],
      'v6loop.credval.test': [['::1']],
      'mapped.credval.test': [['::ffff:127.0.0.2']],
      'mixed.credval.test': [['93.184.215.14', '127.0.0.2']],
      'cgnat.credval.test': [['100.64.0.1']],
      'rebind.credval.test': [['93.184.215.14'], ['127.0.0.2']],
      // What /etc/hosts gives for localhost, so no case here ever sends a DNS query off the machine.
      localhost: [['127.0.0.1', '::1']],
      'localhost.': [['127.0.0.1', '::1']],
    };
    const calls = new Map<string, number>();
    const resolver: Resolver = async (name) => {
      lookups += 1;
      const answers = table[name];
      if (!answers) throw Object.assign(new Error(`no such name ${name}`), { code: 'ENOTFOUND' });
      const n = calls.get(name) ?? 0;
      calls.set(name, n + 1);
      return (answers[Math.min(n, answers.length - 1)] ?? []).map((address) => ({
        address,
        family: address.includes(':') ? 6 : 4,
      }));
    };
    server = await startLocalServer(
      parseEnvironment({
        PORT: '0',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'credval-ssrf-')),
        LOCAL_API_TOKENS: `${TOKEN}:tenant-a`,
        EGRESS_ALLOW: '127.0.0.1/32',
        LOG_LEVEL: 'SILENT',
        SWEEP_INTERVAL: '1h',
      }),
      { resolver },
    );
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => redirector.close(() => resolve()));
    for (const canary of canaries) canary.close();
  });

  const P = () => port;
  const literalCases = (): Array<[string, string]> => [
    ['dotted', `http://127.0.0.2:${P()}`],
    ['dotted, other loopback', `http://127.0.0.3:${P()}`],
    ['decimal', `http://2130706434:${P()}`],
    ['hex', `http://0x7f000002:${P()}`],
    ['hex dotted', `http://0x7f.0x0.0x0.0x2:${P()}`],
    ['octal', `http://0177.0.0.2:${P()}`],
    ['octal padded', `http://00000177.0000.0000.0002:${P()}`],
    ['short form', `http://127.2:${P()}`],
    ['short form 3 parts', `http://127.0.2:${P()}`],
    ['mixed radix', `http://0x7f.0.0.02:${P()}`],
    ['IPv6 loopback', `http://[::1]:${P()}`],
    ['IPv6 loopback long', `http://[0:0:0:0:0:0:0:1]:${P()}`],
    ['IPv4-mapped dotted', `http://[::ffff:127.0.0.2]:${P()}`],
    ['IPv4-mapped hex', `http://[::ffff:7f00:2]:${P()}`],
    ['IPv4-mapped long', `http://[0:0:0:0:0:ffff:7f00:2]:${P()}`],
    ['IPv4-compatible', `http://[::127.0.0.2]:${P()}`],
    ['NAT64', `http://[64:ff9b::7f00:2]:${P()}`],
    ['6to4', `http://[2002:7f00:2::]:${P()}`],
    ['unspecified v4', `http://0.0.0.0:${P()}`],
    ['zero short', `http://0:${P()}`],
    ['unspecified v6', `http://[::]:${P()}`],
    ['localhost', `http://localhost:${P()}`],
    ['localhost trailing dot', `http://localhost.:${P()}`],
    ['LOCALHOST upper case', `http://LOCALHOST:${P()}`],
    ['metadata', `http://169.254.169.254:${P()}`],
    ['metadata decimal', `http://2852039166:${P()}`],
    ['private 10/8', `http://10.0.0.1:${P()}`],
    ['private 172.16/12', `http://172.16.0.1:${P()}`],
    ['private 192.168/16', `http://192.168.1.1:${P()}`],
    ['CGNAT', `http://100.64.0.1:${P()}`],
    ['multicast', `http://224.0.0.1:${P()}`],
    ['broadcast', `http://255.255.255.255:${P()}`],
    ['link-local v6', `http://[fe80::1]:${P()}`],
    ['unique local v6', `http://[fd00::1]:${P()}`],
    ['https to loopback', `https://127.0.0.2:${P()}`],
    ['user info before host', `http://evil.example@127.0.0.2:${P()}`],
  ];
  const nameCases = (): Array<[string, string]> => [
    ['name → 10/8', `https://private.credval.test:${P()}`],
    ['name → 127.0.0.2', `https://loopback.credval.test:${P()}`],
    ['name → metadata', `https://metadata.credval.test:${P()}`],
    ['name → ::1', `https://v6loop.credval.test:${P()}`],
    ['name → mapped', `https://mapped.credval.test:${P()}`],
    ['name → public and private', `https://mixed.credval.test:${P()}`],
    ['name → CGNAT', `https://cgnat.credval.test:${P()}`],
  ];

  const validate = async (baseUrl: string) => {
    const res = await fetch(`${server.url}/validations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connector: 'dolibarr', fields: { baseUrl, apiKey: CANARY_SECRET } }),
    });
    const text = await res.text();
    expect(text).not.toContain(CANARY_SECRET);
    return { status: res.status, report: JSON.parse(text) };
  };

  it('has at least 40 cases', () => {
    expect(literalCases().length + nameCases().length + 3).toBeGreaterThanOrEqual(40);
  });

  it.each([...Array(36).keys()])('HTTP API refuses literal case %i', async (i) => {
    const [, url] = literalCases()[i] as [string, string];
    const { status, report } = await validate(url);
    expect(status).toBe(200);
    expect([`${report.verdict}:${report.reason}`]).toContainEqual(
      expect.stringMatching(/^(inconclusive:blocked_destination|invalid:invalid_input)$/),
    );
    expect(connections).toBe(0);
  });

  it.each([...Array(7).keys()])('HTTP API refuses name case %i (hostile DNS)', async (i) => {
    const [, url] = nameCases()[i] as [string, string];
    const { report } = await validate(url);
    expect(`${report.verdict}:${report.reason}`).toBe('inconclusive:blocked_destination');
    expect(connections).toBe(0);
  });

  it('refuses a name that resolves public first and private next, on the second check', async () => {
    const url = `http://rebind.credval.test:${P()}`;
    // The public answer is refused too (plain http to a public address), so nothing is sent either time.
    for (let i = 0; i < 2; i++) {
      const { report } = await validate(url);
      expect(report.reason).toBe('blocked_destination');
    }
    expect(lookups).toBeGreaterThan(0);
    expect(connections).toBe(0);
  });

  it.each([
    ['to a forbidden literal', (p: number) => `http://127.0.0.2:${p}/`],
    ['to the metadata address', (p: number) => `http://169.254.169.254:${p}/latest/meta-data/`],
    ['to IPv6 loopback over https', (p: number) => `https://[::1]:${p}/`],
  ])('does not follow a redirect %s', async (_name, target) => {
    const { report } = await validate(`${redirectorUrl}/?to=${encodeURIComponent(target(P()))}`);
    expect(report.verdict).not.toBe('valid');
    expect(connections).toBe(0);
  });

  it.each([...Array(36).keys()])('the CLI refuses literal case %i', async (i) => {
    const [name, url] = literalCases()[i] as [string, string];
    // The CLI uses the system resolver; a name with a trailing dot could leave /etc/hosts for real DNS.
    if (name === 'localhost trailing dot') return;
    const run = await runCli(
      ['check', 'dolibarr', '--json', '--egress-allow', '127.0.0.1/32'],
      JSON.stringify({ baseUrl: url, apiKey: CANARY_SECRET }),
    );
    expect([1, 2]).toContain(run.code);
    expect(run.stdout + run.stderr).not.toContain(CANARY_SECRET);
    expect(JSON.parse(run.stdout).verdict).not.toBe('valid');
    expect(connections).toBe(0);
  });
});
