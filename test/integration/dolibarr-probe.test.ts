import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, outcome, startStubServer, unlabelledFacts, warningCodes } from '../helpers/check.ts';
import { readTlsFixture } from '../helpers/tls.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { DOLIBARR_KEYS, dolibarrRecordedConfig } from '../simulators/fixtures.ts';

const SELF_READER_KEY = 'selfreader-canary-key-0a1b2c3d4e5f';

describe('Dolibarr probe against the simulator (real client over loopback)', () => {
  let sim: DolibarrSimulator;

  beforeAll(async () => {
    const config = dolibarrRecordedConfig();
    config.users.push({
      id: 5,
      login: 'selfreader',
      apiKey: SELF_READER_KEY,
      firstname: 'Sam',
      lastname: 'Reader',
      email: 'sam@example.com',
      rights: ['user.self.creer', 'societe.lire', 'fournisseur.commande.lire'],
    });
    sim = await startDolibarrSimulator(config);
  });
  afterAll(() => sim.close());

  const fields = (apiKey: string, extra: Record<string, string> = {}) => ({
    baseUrl: sim.url,
    apiKey,
    ...extra,
  });

  it('accepts an admin key: identity, rights, admin and plain-http warnings', async () => {
    const report = await check('dolibarr', fields(DOLIBARR_KEYS.admin));
    expect(outcome(report)).toBe('valid:none');
    expect(report.identity).toMatchObject({ userId: '1', login: 'admin', admin: true });
    expect(report.vendor).toMatchObject({ product: 'dolibarr', version: '20.0.2', accessLocked: false });
    expect(unlabelledFacts('dolibarr', report.vendor)).toEqual([]);
    expect(report.permissions).toEqual([{ resource: 'thirdparties', read: true, write: true }]);
    expect(warningCodes(report)).toEqual(['admin_credential', 'insecure_http']);
    // The list call goes out with /users/info (whether a rights tree comes back is known only afterwards);
    // for an administrator the rights tree decides.
    expect(report.probes.map((p) => `${p.name} ${p.status}`)).toEqual([
      'status 200',
      'users/info 200',
      'thirdparties read 200',
    ]);
  });

  it('sends the key only in the DOLAPIKEY header, and reads gzip answers', async () => {
    sim.reset();
    await check('dolibarr', fields(DOLIBARR_KEYS.admin));
    for (const request of sim.requests) {
      expect(request.path).not.toContain(DOLIBARR_KEYS.admin);
      expect(request.headers.dolapikey).toBe(DOLIBARR_KEYS.admin);
      expect(request.headers['accept-encoding']).toMatch(/gzip/);
    }
  });

  it('accepts an ordinary user whose /users/info is refused: identity partial, rights probed by listing', async () => {
    const report = await check('dolibarr', fields(DOLIBARR_KEYS.readOnly));
    expect(outcome(report)).toBe('valid:none');
    expect(report.identity).toBeNull();
    expect(warningCodes(report)).toContain('identity_partial');
    expect(report.permissions).toEqual([{ resource: 'thirdparties', read: true, write: null }]);
    expect(report.probes.map((p) => `${p.name} ${p.status}`)).toEqual([
      'status 200',
      'users/info 403',
      'thirdparties read 200',
    ]);
  });

  it('reads rights from the rights tree when the user may read its own profile', async () => {
    const report = await check('dolibarr', fields(SELF_READER_KEY), {
      requirements: [
        { resource: 'supplierorders', access: ['read'] },
        { resource: 'supplierinvoices', access: ['read'] },
      ],
    });
    expect(report.identity).toMatchObject({
      login: 'selfreader',
      name: 'Sam Reader',
      email: 'sam@example.com',
      admin: false,
    });
    expect(report.permissions).toEqual([
      { resource: 'supplierorders', read: true, write: false },
      { resource: 'supplierinvoices', read: false, write: false },
    ]);
    expect(outcome(report)).toBe('invalid:insufficient_permissions');
    expect(report.message).toMatch(/read supplierinvoices/);
  });

  it('warns when a valid key may read none of the resources checked', async () => {
    const report = await check('dolibarr', fields(DOLIBARR_KEYS.noRights));
    expect(outcome(report)).toBe('valid:none');
    expect(report.permissions).toEqual([{ resource: 'thirdparties', read: false, write: null }]);
    expect(report.warnings).toContainEqual({
      code: 'no_read_access',
      message: expect.stringMatching(/may read none of the resources checked \(thirdparties\)/),
    });
    const readOnly = await check('dolibarr', fields(DOLIBARR_KEYS.readOnly));
    expect(warningCodes(readOnly)).not.toContain('no_read_access');
  });

  it('fails a requirement a no-rights user cannot meet, and keeps the identity it learned', async () => {
    const report = await check('dolibarr', fields(DOLIBARR_KEYS.noRights), {
      requirements: [{ resource: 'thirdparties', access: ['read'] }],
    });
    expect(outcome(report)).toBe('invalid:insufficient_permissions');
    expect(report.permissions).toEqual([{ resource: 'thirdparties', read: false, write: null }]);
    expect(report.retryable).toBe(false);
  });

  it('stays valid when a required write right cannot be known without writing, and says so', async () => {
    const report = await check('dolibarr', fields(DOLIBARR_KEYS.readOnly), {
      requirements: [{ resource: 'thirdparties', access: ['read', 'write'] }],
    });
    expect(outcome(report)).toBe('valid:none');
    expect(report.message).toMatch(/without writing.*write thirdparties/);
  });

  it("refuses a wrong key after the vendor's one-second delay, within the timeout", async () => {
    const report = await check('dolibarr', fields('0123456789abcdef0123456789abcdef'));
    expect(outcome(report)).toBe('invalid:invalid_credentials');
    expect(report.field).toBe('apiKey');
    expect(report.durationMs).toBeGreaterThanOrEqual(900);
    expect(report.probes).toHaveLength(1);
  });

  it("refuses a disabled user's key", async () => {
    expect(outcome(await check('dolibarr', fields(DOLIBARR_KEYS.disabled)))).toBe(
      'invalid:invalid_credentials',
    );
  });

  it('explains a pasted encrypted key', async () => {
    const report = await check('dolibarr', fields('dolcrypt:AES-256-CTR:abcdef'));
    expect(outcome(report)).toBe('invalid:invalid_input');
    expect(report.field).toBe('apiKey');
  });

  it('finds the base URL even when the user pasted the API path', async () => {
    const report = await check('dolibarr', {
      baseUrl: `${sim.url}/api/index.php/status/`,
      apiKey: DOLIBARR_KEYS.admin,
    });
    expect(outcome(report)).toBe('valid:none');
    expect(warningCodes(report)).toContain('url_normalized');
  });

  it('says not_the_vendor for a base URL that points at the web UI instead', async () => {
    const report = await check('dolibarr', fields(DOLIBARR_KEYS.admin, { baseUrl: `${sim.url}/htdocs` }));
    expect(outcome(report)).toBe('invalid:not_the_vendor');
    expect(report.field).toBe('baseUrl');
  });

  it('recognises the switched-off API module from its HTTP 200 page', async () => {
    sim.setApiModuleEnabled(false);
    try {
      const report = await check('dolibarr', fields(DOLIBARR_KEYS.admin));
      expect(outcome(report)).toBe('invalid:api_disabled');
      expect(report.message).toMatch(/Modules/);
    } finally {
      sim.setApiModuleEnabled(true);
    }
  });

  it.each([
    // An address block is about credval's address, not the key: never a verdict on the credential.
    ['ip_restricted', 'inconclusive:ip_not_allowed'],
    ['endpoint_rules', 'invalid:api_disabled'],
    ['database_down', 'inconclusive:vendor_error'],
    ['server_error', 'inconclusive:vendor_error'],
    ['install_redirect', 'invalid:not_the_vendor'],
  ] as const)('classifies the %s fault as %s', async (fault, expected) => {
    sim.setFault(fault);
    try {
      expect(outcome(await check('dolibarr', fields(DOLIBARR_KEYS.admin)))).toBe(expected);
    } finally {
      sim.setFault('none');
    }
  });

  it('turns a key revoked between two checks from valid to invalid', async () => {
    const key = 'revocable-key-5e6f7a8b9c0d1e2f';
    sim.setApiKey('readonly', key);
    expect(outcome(await check('dolibarr', fields(key)))).toBe('valid:none');
    sim.revokeKey('readonly');
    expect(outcome(await check('dolibarr', fields(key)))).toBe('invalid:invalid_credentials');
    sim.setApiKey('readonly', DOLIBARR_KEYS.readOnly);
  });
});

describe('Dolibarr probe: instance lock, timeouts and transport trouble', () => {
  it('warns when the instance is locked for maintenance', async () => {
    const sim = await startDolibarrSimulator(dolibarrRecordedConfig({ accessLocked: true }));
    try {
      const report = await check('dolibarr', { baseUrl: sim.url, apiKey: DOLIBARR_KEYS.admin });
      expect(outcome(report)).toBe('valid:none');
      expect(warningCodes(report)).toContain('instance_locked');
    } finally {
      await sim.close();
    }
  });

  it('ends a slow vendor in timeout, inconclusive and retryable', async () => {
    const sim = await startDolibarrSimulator(dolibarrRecordedConfig({ latencyMs: 3000 }));
    try {
      const report = await check(
        'dolibarr',
        { baseUrl: sim.url, apiKey: DOLIBARR_KEYS.admin },
        { client: { timeoutMs: 400 } },
      );
      expect(outcome(report)).toBe('inconclusive:timeout');
      expect(report.retryable).toBe(true);
      expect(report.durationMs).toBeLessThan(2500);
    } finally {
      await sim.close();
    }
  });

  it('says endpoint_unreachable when nothing listens', async () => {
    const stub = await startStubServer(() => undefined);
    const url = stub.url;
    await stub.close();
    expect(outcome(await check('dolibarr', { baseUrl: url, apiKey: DOLIBARR_KEYS.admin }))).toBe(
      'inconclusive:endpoint_unreachable',
    );
  });

  it('refuses a loopback URL unless the operator allowed it, without connecting', async () => {
    const sim = await startDolibarrSimulator(dolibarrRecordedConfig());
    try {
      const report = await check(
        'dolibarr',
        { baseUrl: sim.url, apiKey: DOLIBARR_KEYS.admin },
        { client: { egressAllow: [] } },
      );
      expect(outcome(report)).toBe('inconclusive:blocked_destination');
      expect(sim.stats.total).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it('reports tls_error for a certificate it cannot verify, and works over https with the right CA', async () => {
    const sim = await startDolibarrSimulator(
      dolibarrRecordedConfig({ tls: { key: readTlsFixture('leafKey'), cert: readTlsFixture('leafCert') } }),
    );
    try {
      const baseUrl = sim.url.replace('127.0.0.1', 'localhost');
      const refused = await check('dolibarr', { baseUrl, apiKey: DOLIBARR_KEYS.admin });
      expect(outcome(refused)).toBe('inconclusive:tls_error');
      const trusted = await check(
        'dolibarr',
        { baseUrl, apiKey: DOLIBARR_KEYS.admin },
        { client: { ca: readTlsFixture('caCert') } },
      );
      expect(outcome(trusted)).toBe('valid:none');
      expect(warningCodes(trusted)).not.toContain('insecure_http');
    } finally {
      await sim.close();
    }
  });

  it('follows a same-host http→https redirect to the default port once, without the redirect query, and says so', async () => {
    // Whatever answers on 127.0.0.1:443 here (usually nothing), the trace shows where the retry went.
    const redirector = await startStubServer((req, res) => {
      res
        .writeHead(301, {
          location: `https://127.0.0.1${req.url}?DOLAPIKEY=${DOLIBARR_KEYS.admin}&sid=s3cr3t`,
        })
        .end();
    });
    try {
      const report = await check('dolibarr', { baseUrl: redirector.url, apiKey: DOLIBARR_KEYS.admin });
      expect(redirector.hits()).toBe(1);
      expect(report.probes.map((p) => p.url)).toEqual([
        `${redirector.url}/api/index.php/status`,
        'https://127.0.0.1/api/index.php/status',
      ]);
      expect(JSON.stringify(report)).not.toContain('s3cr3t');
    } finally {
      await redirector.close();
    }
  });

  it('does not follow an http→https redirect to another port of the same host', async () => {
    const sim = await startDolibarrSimulator(
      dolibarrRecordedConfig({ tls: { key: readTlsFixture('leafKey'), cert: readTlsFixture('leafCert') } }),
    );
    const httpsPort = new URL(sim.url).port;
    const redirector = await startStubServer((req, res) => {
      res.writeHead(301, { location: `https://127.0.0.1:${httpsPort}${req.url}` }).end();
    });
    try {
      const report = await check(
        'dolibarr',
        { baseUrl: redirector.url, apiKey: DOLIBARR_KEYS.admin },
        { client: { ca: readTlsFixture('caCert') } },
      );
      expect(outcome(report)).toBe('invalid:not_the_vendor');
      expect(report.field).toBe('baseUrl');
      expect(sim.requests).toHaveLength(0);
      expect(report.probes).toHaveLength(1);
    } finally {
      await redirector.close();
      await sim.close();
    }
  });

  it('does not follow a redirect to another host, and never sends the key there', async () => {
    const elsewhere = await startStubServer((_req, res) => res.writeHead(200).end('{}'));
    const redirector = await startStubServer((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url.replace('127.0.0.1', 'localhost')}/login` }).end();
    });
    try {
      const report = await check('dolibarr', { baseUrl: redirector.url, apiKey: DOLIBARR_KEYS.admin });
      expect(outcome(report)).toBe('invalid:not_the_vendor');
      expect(elsewhere.hits()).toBe(0);
    } finally {
      await redirector.close();
      await elsewhere.close();
    }
  });

  it("treats a proxy's 429 as rate_limited with its Retry-After", async () => {
    const proxy = await startStubServer((_req, res) => res.writeHead(429, { 'retry-after': '30' }).end());
    try {
      const report = await check('dolibarr', { baseUrl: proxy.url, apiKey: DOLIBARR_KEYS.admin });
      expect(outcome(report)).toBe('inconclusive:rate_limited');
      expect(report.retryAfterSeconds).toBe(30);
    } finally {
      await proxy.close();
    }
  });
});
