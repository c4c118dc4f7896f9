import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, outcome, startStubServer, unlabelledFacts, warningCodes } from '../helpers/check.ts';
import { startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { dolibarrRecordedConfig, ODOO_SECRETS, odooRecordedConfig } from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';

const secret = (name: string) => ODOO_SECRETS[name] ?? '';

describe.each(['18.0', '19.0'] as const)('Odoo %s probe against the simulator', (version) => {
  let sim: OdooSimulator;
  beforeAll(async () => {
    sim = await startOdooSimulator(odooRecordedConfig(version));
  });
  afterAll(() => sim.close());

  const login = (username: string, password: string, database = 'acme') => ({
    serverUrl: sim.url,
    database,
    username,
    password,
  });
  const isJson2 = version === '19.0';

  it('accepts the admin API key: identity, company, administrator warning', async () => {
    const report = await check('odoo', login('admin', secret('<KEY:ADMIN>')));
    expect(outcome(report)).toBe('valid:none');
    expect(report.identity).toMatchObject({ userId: 2, login: 'admin', name: 'Administrator', admin: true });
    expect(report.identity?.company).toBeTruthy();
    expect(report.vendor).toMatchObject({ product: 'odoo', version, major: Number.parseInt(version, 10) });
    expect(report.vendor.transport).toBe(isJson2 ? 'json2' : 'xmlrpc');
    expect(unlabelledFacts('odoo', report.vendor)).toEqual([]);
    expect(warningCodes(report)).toContain('admin_credential');
    expect(warningCodes(report)).not.toContain('xmlrpc_deprecated');
    expect(report.permissions).toEqual([
      { resource: 'res.partner', read: true, write: true },
      { resource: 'purchase.order', read: true, write: true },
    ]);
  });

  it('names every RPC call by what it asked, since the URLs alone do not tell them apart', async () => {
    const report = await check('odoo', login('admin', secret('<PASSWORD:ADMIN>')));
    const asked = report.probes.filter((p) => p.url.endsWith('/xmlrpc/2/object'));
    expect(asked.map((p) => p.description)).toEqual([
      'read res.users 2',
      'check_access_rights ir.config_parameter write',
      'check_access_rights res.partner read',
      'check_access_rights res.partner write',
      'check_access_rights purchase.order read',
      'check_access_rights purchase.order write',
    ]);
    expect(report.probes.find((p) => p.name === 'xmlrpc authenticate')?.description).toBe(
      'common.authenticate acme admin',
    );
    // The password is in every XML-RPC body, never in a description.
    expect(JSON.stringify(report.probes)).not.toContain(secret('<PASSWORD:ADMIN>'));
  });

  it('accepts a password, and on 19 warns that XML-RPC is deprecated', async () => {
    const report = await check('odoo', login('admin', secret('<PASSWORD:ADMIN>')));
    expect(outcome(report)).toBe('valid:none');
    expect(report.vendor.transport).toBe('xmlrpc');
    expect(warningCodes(report).includes('xmlrpc_deprecated')).toBe(isJson2);
  });

  it("reports a limited user's rights model by model", async () => {
    const report = await check('odoo', login('reader@example.com', secret('<KEY:READER>')), {
      requirements: [{ resource: 'res.partner', access: ['read'] }],
    });
    expect(outcome(report)).toBe('valid:none');
    expect(report.identity).toMatchObject({
      login: 'reader@example.com',
      admin: false,
      email: 'reader@example.com',
    });
    expect(report.permissions).toEqual([{ resource: 'res.partner', read: true, write: false }]);
    expect(warningCodes(report)).not.toContain('admin_credential');
  });

  it('fails a requirement the user lacks: insufficient_permissions', async () => {
    const report = await check('odoo', login('reader@example.com', secret('<KEY:READER>')), {
      requirements: [{ resource: 'purchase.order', access: ['read', 'write'] }],
    });
    expect(outcome(report)).toBe('invalid:insufficient_permissions');
    expect(report.permissions).toEqual([{ resource: 'purchase.order', read: false, write: false }]);
    expect(report.message).toMatch(/read purchase\.order, write purchase\.order/);
  });

  it('counts a model that is not installed as no access', async () => {
    const report = await check('odoo', login('admin', secret('<KEY:ADMIN>')), {
      requirements: [{ resource: 'no.such.model', access: ['read'] }],
    });
    expect(outcome(report)).toBe('invalid:insufficient_permissions');
    expect(report.permissions).toEqual([{ resource: 'no.such.model', read: false, write: false }]);
  });

  it('warns about a portal user', async () => {
    const report = await check('odoo', login('portal@example.com', secret('<PASSWORD:PORTAL>')));
    expect(outcome(report)).toBe('valid:none');
    expect(warningCodes(report)).toContain('portal_user');
    expect(report.vendor.portalUser).toBe(true);
  });

  it.each([
    ['a wrong password', 'admin', 'not-the-password'],
    ['an unknown login', 'nobody@example.com', 'whatever-password'],
    ['a login in another case', 'READER@EXAMPLE.COM', '<PASSWORD:READER>'],
    ['an archived user', 'archived@example.com', '<PASSWORD:ARCHIVED>'],
    ["an archived user's key", 'archived@example.com', '<KEY:ARCHIVED>'],
    ['an expired key', 'reader@example.com', '<EXPIRED-KEY:READER>'],
    ["a two-factor user's password", 'totp@example.com', '<PASSWORD:TOTP>'],
  ])('refuses %s as invalid_credentials with the two-factor hint', async (_case, username, password) => {
    const report = await check('odoo', login(username, secret(password) || password));
    expect(outcome(report)).toBe('invalid:invalid_credentials');
    expect(report.field).toBe('password');
    expect(report.message).toMatch(/two-factor/);
  });

  it("accepts a two-factor user's API key", async () => {
    expect(outcome(await check('odoo', login('totp@example.com', secret('<KEY:TOTP>'))))).toBe('valid:none');
  });

  it('says database_not_found for an unknown database, with no traceback or database host', async () => {
    const report = await check('odoo', login('admin', secret('<KEY:ADMIN>'), 'nosuchdb'));
    expect(outcome(report)).toBe('invalid:database_not_found');
    expect(report.field).toBe('database');
    expect(JSON.stringify(report)).not.toMatch(/Traceback|psycopg2|5419|OperationalError|\/opt\/odoo/);
  });

  it('refuses credentials valid on another database', async () => {
    const report = await check('odoo', login('admin', secret('<PASSWORD:ADMIN>'), 'other'));
    expect(outcome(report)).toBe('invalid:invalid_credentials');
  });

  it('turns a revoked key from valid to invalid', async () => {
    const key = 'e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3';
    sim.addApiKey('acme', 'reader@example.com', key);
    expect(outcome(await check('odoo', login('reader@example.com', key)))).toBe('valid:none');
    sim.revokeApiKey('acme', key);
    expect(outcome(await check('odoo', login('reader@example.com', key)))).toBe(
      'invalid:invalid_credentials',
    );
  });
});

describe('Odoo 19 specifics', () => {
  let sim: OdooSimulator;
  beforeAll(async () => {
    sim = await startOdooSimulator(odooRecordedConfig('19.0'));
  });
  afterAll(() => sim.close());

  it('authenticates with the key as bearer on JSON-2 and never falls back to XML-RPC', async () => {
    sim.reset();
    const report = await check('odoo', {
      serverUrl: sim.url,
      database: 'acme',
      username: 'admin',
      password: secret('<KEY:ADMIN>'),
    });
    expect(outcome(report)).toBe('valid:none');
    expect(sim.requests.some((r) => r.path.startsWith('/xmlrpc'))).toBe(false);
    const json2 = sim.requests.filter((r) => r.path.startsWith('/json/2/'));
    expect(json2.length).toBeGreaterThan(0);
    for (const r of json2) {
      expect(r.headers.authorization).toBe(`bearer ${secret('<KEY:ADMIN>')}`);
      expect(r.headers['x-odoo-database']).toBe('acme');
    }
  });

  it('passes raise_exception false to check_access_rights', async () => {
    sim.reset();
    await check('odoo', {
      serverUrl: sim.url,
      database: 'acme',
      username: 'admin',
      password: secret('<PASSWORD:ADMIN>'),
    });
    const calls = sim.requests.filter((r) => r.body.includes('check_access_rights'));
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls)
      expect(call.body).toMatch(/raise_exception<\/name>\s*<value><boolean>0<\/boolean>/);
  });

  it("refuses another user's key under this username, naming the field", async () => {
    const report = await check('odoo', {
      serverUrl: sim.url,
      database: 'acme',
      username: 'admin',
      password: secret('<KEY:READER>'),
    });
    expect(outcome(report)).toBe('invalid:invalid_credentials');
    expect(report.field).toBe('username');
    expect(report.message).toContain('reader@example.com');
  });

  it('refuses a random key as invalid_credentials', async () => {
    const report = await check('odoo', {
      serverUrl: sim.url,
      database: 'acme',
      username: 'admin',
      password: 'f'.repeat(40),
    });
    expect(outcome(report)).toBe('invalid:invalid_credentials');
  });
});

describe('Odoo probe: other servers and failures', () => {
  it('says api_disabled when an Odoo 19 runs without its rpc addon (no JSON-2, no XML-RPC)', async () => {
    const sim = await startOdooSimulator(odooRecordedConfig('19.0', { xmlrpcEnabled: false }));
    try {
      for (const password of [secret('<KEY:ADMIN>'), secret('<PASSWORD:ADMIN>')]) {
        const report = await check('odoo', {
          serverUrl: sim.url,
          database: 'acme',
          username: 'admin',
          password,
        });
        expect(outcome(report)).toBe('invalid:api_disabled');
        expect(report.vendor).toMatchObject({ product: 'odoo', version: '19.0' });
      }
    } finally {
      await sim.close();
    }
  });

  it('says not_the_vendor when the URL is a Dolibarr', async () => {
    const dolibarr = await startDolibarrSimulator(dolibarrRecordedConfig());
    try {
      const report = await check('odoo', {
        serverUrl: dolibarr.url,
        database: 'acme',
        username: 'admin',
        password: 'pw-pw-pw',
      });
      expect(outcome(report)).toBe('invalid:not_the_vendor');
      expect(report.field).toBe('serverUrl');
    } finally {
      await dolibarr.close();
    }
  });

  it('says vendor_error, inconclusive, for a gateway error', async () => {
    const gateway = await startStubServer((_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'),
    );
    try {
      const report = await check('odoo', {
        serverUrl: gateway.url,
        database: 'acme',
        username: 'admin',
        password: 'pw-pw-pw',
      });
      expect(outcome(report)).toBe('inconclusive:vendor_error');
      expect(report.retryable).toBe(true);
    } finally {
      await gateway.close();
    }
  });

  it('falls back to XML-RPC common.version when the web client is not served', async () => {
    const sim = await startOdooSimulator(odooRecordedConfig('18.0'));
    const proxy = await startStubServer(async (req, res) => {
      if (req.url === '/web/webclient/version_info') return void res.writeHead(404).end();
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const upstream = await fetch(`${sim.url}${req.url}`, {
        method: req.method,
        body: Buffer.concat(chunks),
        headers: { 'content-type': 'text/xml' },
      });
      res
        .writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? '' })
        .end(await upstream.text());
    });
    try {
      const report = await check('odoo', {
        serverUrl: proxy.url,
        database: 'acme',
        username: 'admin',
        password: secret('<PASSWORD:ADMIN>'),
      });
      expect(outcome(report)).toBe('valid:none');
      expect(report.probes.map((p) => p.name).slice(0, 2)).toEqual(['version_info', 'xmlrpc version']);
    } finally {
      await proxy.close();
      await sim.close();
    }
  });
});
