// End to end through `credval serve`: a check answers within its deadline whatever the vendor does, and the
// report it stores carries no echo of the secret. The HTTP layer never turns a slow vendor into a 5xx.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretForms } from '../../shared/connectors/scrub.ts';
import { startStubServer } from '../helpers/check.ts';
import { type HoldingProxy, startHoldingProxy } from '../helpers/holding-proxy.ts';
import { type Api, api, HOOK_TIMEOUT_MS, startServerProcess } from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { ODOO_SECRETS, odooRecordedConfig } from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const ECHOED_KEY = `echo-${randomBytes(12).toString('hex')}/Key+`;
const WATCH_AFTER_MS = 500;

type Server = Awaited<ReturnType<typeof startServerProcess>>;
let dataDir: string;
let server: Server;
let call: Api;
let odoo: OdooSimulator;
let slowOdoo: HoldingProxy;
let dolibarr: DolibarrSimulator;
let echo: Awaited<ReturnType<typeof startStubServer>>;

/** A Dolibarr look-alike that echoes the key back in every way a careless vendor might. */
function echoingDolibarr(): Promise<Awaited<ReturnType<typeof startStubServer>>> {
  const b64 = Buffer.from(ECHOED_KEY).toString('base64');
  return startStubServer((req, res) => {
    const json = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url?.startsWith('/api/index.php/status')) {
      json({ success: { code: 200, dolibarr_version: `20.0.2 (${b64})`, access_locked: '0' } });
    } else if (req.url?.startsWith('/api/index.php/users/info')) {
      json({
        id: '7',
        login: ECHOED_KEY.toUpperCase(),
        firstname: encodeURIComponent(ECHOED_KEY),
        lastname: Buffer.from(`svc:${ECHOED_KEY}`).toString('base64url'),
        email: `${ECHOED_KEY.toLowerCase()}@example.com`,
        admin: '0',
        rights: { societe: { lire: '1', creer: '0' } },
      });
    } else {
      json([]);
    }
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'credval-bounded-'));
  odoo = await startOdooSimulator(odooRecordedConfig('19.0'));
  // Answers version and login at once, and never the access checks.
  slowOdoo = await startHoldingProxy(odoo.url, (r) => r.path.includes('check_access_rights'));
  dolibarr = await startDolibarrSimulator({
    users: [
      { id: 1, login: 'admin', apiKey: 'admin', admin: true, rights: [] },
      { id: 2, login: 'svc-valid', apiKey: 'valid', rights: ['societe.lire'] },
      { id: 3, login: 'svc-http', apiKey: 'http', rights: ['societe.lire'] },
    ],
  });
  echo = await echoingDolibarr();
  server = await startServerProcess({
    dataDir,
    env: { LOCAL_API_TOKENS: `${TOKEN}:tenant-bounded`, CHECK_DEADLINE: '2s', LOG_LEVEL: 'WARN' },
  });
  call = api(server.url, TOKEN);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await Promise.all([slowOdoo?.close(), odoo?.close(), dolibarr?.close(), echo?.close()]);
  await rm(dataDir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe('a check bounded by CHECK_DEADLINE, through the HTTP API', () => {
  it('answers 200 with an inconclusive timeout report when the vendor is too slow, and calls nothing after', async () => {
    const answer = await call('/validations', {
      body: {
        connector: 'odoo',
        fields: {
          serverUrl: slowOdoo.url,
          database: 'acme',
          username: 'admin',
          password: ODOO_SECRETS['<KEY:ADMIN>'],
        },
        requirements: [{ resource: 'purchase.order', access: ['read', 'write'] }],
      },
    });
    const atAnswer = slowOdoo.arrivals();
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ verdict: 'inconclusive', reason: 'timeout', retryable: true });
    expect(answer.json.permissions).toEqual([{ resource: 'purchase.order', read: null, write: null }]);
    await new Promise((resolve) => setTimeout(resolve, WATCH_AFTER_MS));
    expect(slowOdoo.arrivals()).toBe(atAnswer);
  });

  it('refuses more Precoro requirements than its pace allows with a 400 naming the limit, calling nobody', async () => {
    const answer = await call('/validations', {
      body: {
        connector: 'precoro',
        fields: { apiToken: 'tok-bounded-1234', email: 'b@example.com', apiUrl: 'http://127.0.0.1:9' },
        requirements: Array.from({ length: 35 }, (_, i) => ({ resource: `resource-${i}`, access: ['read'] })),
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 'invalid_input' });
    expect(JSON.stringify(answer.json)).toMatch(/at most 10 resources/);
  });
});

describe('secrets in reports', () => {
  it.each(['valid', 'http', 'admin'])(
    'classifies a key that spells part of a report code (%s) like any other',
    async (key) => {
      const answer = await call('/validations', {
        body: { connector: 'dolibarr', fields: { baseUrl: dolibarr.url, apiKey: key } },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ verdict: 'valid', reason: null });
    },
  );

  it('keeps a key the vendor echoes (encoded, upper-cased) out of the answer, the stored last check and history', async () => {
    const created = await call('/credentials', {
      body: { connector: 'dolibarr', name: 'echo', fields: { baseUrl: echo.url, apiKey: ECHOED_KEY } },
    });
    expect(created.status).toBe(201);
    expect(created.json.lastCheck).toMatchObject({ verdict: 'valid' });
    const stored = await call(`/credentials/${created.json.id}`);
    const checks = await call(`/credentials/${created.json.id}/checks`);
    expect(checks.json.items).toHaveLength(1);
    for (const text of [created.text, stored.text, checks.text]) {
      for (const form of secretForms(ECHOED_KEY)) expect(text).not.toContain(form);
      expect(text).not.toContain(ECHOED_KEY.slice(0, 12));
    }
  });
});
