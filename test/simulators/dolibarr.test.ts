// Behaviour of the Dolibarr simulator beyond the recorded exchanges: runtime controls, faults, list endpoints,
// rights, stats and https.
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type DolibarrConfig, type DolibarrSimulator, startDolibarrSimulator } from './dolibarr.ts';
import { DOLIBARR_KEYS, dolibarrRecordedConfig } from './fixtures.ts';
import { SELF_SIGNED_TLS } from './tls.ts';

const ADMIN = DOLIBARR_KEYS.admin;
const READONLY = DOLIBARR_KEYS.readOnly;

let sim: DolibarrSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(overrides: Partial<DolibarrConfig> = {}): Promise<DolibarrSimulator> {
  sim = await startDolibarrSimulator(dolibarrRecordedConfig({ failureDelayMs: 20, ...overrides }));
  return sim;
}

async function get(s: DolibarrSimulator, path: string, key?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/api/index.php/${path}`, {
    headers: { Accept: 'application/json', ...(key === undefined ? {} : { DOLAPIKEY: key }), ...headers },
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

describe('Dolibarr simulator', () => {
  it('answers /status for a valid key and counts requests', async () => {
    const s = await start();
    const res = await get(s, 'status', ADMIN);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-powered-by')).toBe('Luracast Restler v3.1.0');
    expect(res.json()).toEqual({ success: { code: 200, dolibarr_version: '20.0.2', access_locked: '0' } });
    expect(s.stats.total).toBe(1);
    expect(s.requests[0]).toMatchObject({ method: 'GET', path: '/api/index.php/status', body: '' });
    expect(s.requests[0]?.headers.dolapikey).toBe(ADMIN);
  });

  it('switches the API module off and on at run time', async () => {
    const s = await start();
    s.setApiModuleEnabled(false);
    const off = await get(s, 'status', 'anything');
    expect(off.status).toBe(200);
    expect(off.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(off.text).toContain('Module <b>Api</b> must be enabled.');
    s.setApiModuleEnabled(true);
    expect((await get(s, 'status', ADMIN)).status).toBe(200);
  });

  it('refuses a revoked key and a disabled user with the generic 401', async () => {
    const s = await start();
    s.revokeKey('admin');
    const revoked = await get(s, 'status', ADMIN);
    expect(revoked.status).toBe(401);
    expect(revoked.json().error).toEqual({
      code: 401,
      message:
        'Unauthorized: Error user not valid (not found with api key or bad status or bad validity dates) (conf->entity=1)',
    });
    s.setUserEnabled('readonly', false);
    expect((await get(s, 'status', READONLY)).status).toBe(401);
    s.setUserEnabled('readonly', true);
    expect((await get(s, 'status', READONLY)).status).toBe(200);
  });

  it('checks the read right of each list endpoint', async () => {
    const s = await start({
      users: [
        { id: 1, login: 'boss', apiKey: ADMIN, admin: true },
        ...dolibarrRecordedConfig().users.slice(2),
      ],
      records: { products: 3 },
    });
    expect((await get(s, 'supplierorders?limit=1', READONLY)).status).toBe(403);
    expect((await get(s, 'supplierorders?limit=1', READONLY)).json().error).toEqual({
      code: 403,
      message: 'Forbidden',
    });
    // An admin without explicit rights has every right; supplier orders answer [] when empty (v20 source).
    const orders = await get(s, 'supplierorders?limit=1', ADMIN);
    expect(orders.status).toBe(200);
    expect(orders.json()).toEqual([]);
    const products = await get(s, 'products?limit=2', ADMIN);
    expect(products.status).toBe(200);
    expect(products.json()).toHaveLength(2);
    const invoices = await get(s, 'invoices?limit=1', ADMIN);
    expect(invoices.status).toBe(404);
    expect(invoices.json().error).toEqual({ code: 404, message: 'Not Found: No invoice found' });
    const customers = await get(s, 'thirdparties?mode=1', READONLY);
    expect(customers.json()).toEqual([expect.objectContaining({ name: 'Peer Customer One', client: '1' })]);
  });

  it('builds the rights tree of /users/info?includepermissions=1 from dotted rights', async () => {
    const s = await start({
      users: [
        {
          id: 7,
          login: 'svc',
          apiKey: READONLY,
          rights: ['user.self.creer', 'societe.lire', 'fournisseur.commande.lire'],
        },
      ],
    });
    const res = await get(s, 'users/info?includepermissions=1', READONLY);
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ login: 'svc', admin: '0', id: '7' });
    expect(body.rights).toEqual({
      user: { user: {}, self: { creer: 1 }, user_advance: {}, self_advance: {}, group_advance: {} },
      societe: { lire: 1 },
      fournisseur: { commande: { lire: 1 } },
    });
  });

  it.each([
    ['ip_restricted', 503, 'APIs are not allowed from the IP 127.0.0.1'],
    ['endpoint_rules', 501, 'The API with endpoint /status is forbidden by config API_ENDPOINT_RULES'],
    ['database_down', 202, 'Dolibarr has detected a technical error'],
    ['server_error', 500, ''],
  ] as const)('reproduces the %s fault', async (fault, status, text) => {
    const s = await start({ fault });
    const res = await get(s, 'status', ADMIN);
    expect(res.status).toBe(status);
    expect(res.text).toContain(text);
  });

  it('redirects to the installer when not installed', async () => {
    const s = await start({ fault: 'install_redirect' });
    const res = await fetch(`${s.url}/api/index.php/status`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/install/index.php');
  });

  it('drops the debug block in production mode and reports non-production fields when asked', async () => {
    const s = await start({ production: true, nonProductionInstance: true });
    expect((await get(s, 'status')).json()).toEqual({
      error: {
        code: 401,
        message:
          "Unauthorized: Failed to login to API. No parameter 'HTTP_DOLAPIKEY' on HTTP header (and no parameter DOLAPIKEY in URL).",
      },
    });
    const status = (await get(s, 'status', ADMIN)).json() as { success?: Record<string, unknown> };
    expect(status.success?.environment).toBe('non-production');
  });

  it('tracks concurrency and adds latency', async () => {
    const s = await start({ latencyMs: 100 });
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => get(s, 'status', ADMIN)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(s.stats).toMatchObject({ total: 3, inFlight: 0, maxConcurrent: 3 });
    s.reset();
    expect(s.stats).toMatchObject({ total: 0, maxConcurrent: 0 });
    expect(s.requests).toHaveLength(0);
  });

  it('serves https with the given certificate', async () => {
    const s = await start({ tls: SELF_SIGNED_TLS });
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: SELF_SIGNED_TLS.cert } });
    try {
      const res = await undiciFetch(`${s.url}/api/index.php/status`, {
        headers: { DOLAPIKEY: ADMIN },
        dispatcher,
      });
      expect(res.status).toBe(200);
      await expect(fetch(`${s.url}/api/index.php/status`)).rejects.toThrow();
    } finally {
      await dispatcher.close();
    }
  });
});
