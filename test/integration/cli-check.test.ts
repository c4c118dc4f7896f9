import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { odooRecordedConfig } from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';
import { type PrecoroSimulator, startPrecoroSimulator } from '../simulators/precoro.ts';

/** One secret per vendor; every CLI path below must keep it out of stdout and stderr. */
const DOLIBARR_CANARY = 'cli-canary-dolibarr-4d5e6f7a8b9c';
const ODOO_CANARY = 'cli-canary-odoo-0f1e2d3c4b5a69788796a5b4';
const PRECORO_CANARY = 'cli-canary-precoro-1a2b3c4d5e';
const CANARIES = [DOLIBARR_CANARY, ODOO_CANARY, PRECORO_CANARY];
const ENV = { EGRESS_ALLOW: '127.0.0.0/8' };

function expectNoCanary(run: { stdout: string; stderr: string }) {
  for (const canary of CANARIES) expect(run.stdout + run.stderr).not.toContain(canary);
}

describe('credval check through every verdict, with canary secrets', () => {
  let dolibarr: DolibarrSimulator;
  let odoo: OdooSimulator;
  let precoro: PrecoroSimulator;

  beforeAll(async () => {
    dolibarr = await startDolibarrSimulator({
      users: [
        {
          id: 7,
          login: 'svc',
          apiKey: DOLIBARR_CANARY,
          firstname: 'Service',
          lastname: 'Account',
          rights: ['user.self.creer', 'societe.lire'],
        },
      ],
      failureDelayMs: 50,
    });
    const config = odooRecordedConfig('19.0');
    config.databases.acme?.users[1]?.apiKeys?.push({ key: ODOO_CANARY });
    odoo = await startOdooSimulator(config);
    precoro = await startPrecoroSimulator({ accounts: [{ token: PRECORO_CANARY, email: 'p@example.com' }] });
  });
  afterAll(async () => {
    await Promise.all([dolibarr.close(), odoo.close(), precoro.close()]);
  });

  const dolibarrInput = (apiKey = DOLIBARR_CANARY) => JSON.stringify({ baseUrl: dolibarr.url, apiKey });
  const odooInput = (password = ODOO_CANARY) =>
    JSON.stringify({ serverUrl: odoo.url, database: 'acme', username: 'reader@example.com', password });

  it('valid: exit 0 and a readable summary', async () => {
    const run = await runCli(['check', 'dolibarr'], dolibarrInput(), ENV);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^VALID {2}The API key works on Dolibarr 20\.0\.2 as svc\./);
    expect(run.stdout).toContain('Identity      svc (Service Account)');
    expect(run.stdout).toContain('thirdparties: read yes, write no');
    expect(run.stdout).toContain('insecure_http');
    expectNoCanary(run);
  });

  it('names vendor facts in words and each Odoo call by what it asked', async () => {
    const run = await runCli(['check', 'odoo'], odooInput(), ENV);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Vendor {8}Product Odoo, Odoo version 19\.0, Release series 19\.0/);
    expect(run.stdout).toMatch(/API used JSON-2 API \(API key\), Portal \(external\) user no/);
    expect(run.stdout).toContain(
      '/json/2/res.partner/check_access_rights [check_access_rights res.partner write]',
    );
    expectNoCanary(run);
  });

  it('valid with --json: exactly the report', async () => {
    const run = await runCli(['check', 'odoo', '--json', '--require', 'res.partner:read'], odooInput(), ENV);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report).sort()).toEqual(
      [
        'checkedAt',
        'durationMs',
        'field',
        'identity',
        'message',
        'permissions',
        'probes',
        'reason',
        'retryAfterSeconds',
        'retryable',
        'vendor',
        'verdict',
        'warnings',
      ].sort(),
    );
    expect(report).toMatchObject({ verdict: 'valid', identity: { login: 'reader@example.com' } });
    expectNoCanary(run);
  });

  it('invalid: exit 1, the reason and the field to fix', async () => {
    const run = await runCli(['check', 'dolibarr'], dolibarrInput(`${DOLIBARR_CANARY}x`), ENV);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^INVALID \(invalid_credentials\)/);
    expect(run.stdout).toContain('Field to fix  apiKey');
    expectNoCanary(run);
  });

  it('invalid for a missing right named with --require', async () => {
    const run = await runCli(['check', 'odoo', '--require', 'purchase.order:read,write'], odooInput(), ENV);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^INVALID \(insufficient_permissions\)/);
    expectNoCanary(run);
  });

  it('inconclusive: exit 2 when the vendor is too slow for --timeout', async () => {
    const slow = await startDolibarrSimulator({
      users: [{ id: 1, login: 'a', apiKey: DOLIBARR_CANARY }],
      latencyMs: 2000,
    });
    try {
      const run = await runCli(
        ['check', 'dolibarr', '--timeout', '300'],
        JSON.stringify({ baseUrl: slow.url, apiKey: DOLIBARR_CANARY }),
        ENV,
      );
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(/^INCONCLUSIVE \(timeout\)/);
      expectNoCanary(run);
    } finally {
      await slow.close();
    }
  });

  it('--timeout bounds the whole check, not each call: many calls that each fit still end in timeout', async () => {
    // Every answer takes 400 ms: each call fits 1000 ms, the three rounds of an Odoo check do not.
    const config = odooRecordedConfig('19.0', { latencyMs: 400 });
    config.databases.acme?.users[1]?.apiKeys?.push({ key: ODOO_CANARY });
    const slowOdoo = await startOdooSimulator(config);
    try {
      const run = await runCli(
        ['check', 'odoo', '--json', '--timeout', '1000', '--require', 'res.partner:read'],
        JSON.stringify({
          serverUrl: slowOdoo.url,
          database: 'acme',
          username: 'reader@example.com',
          password: ODOO_CANARY,
        }),
        ENV,
      );
      expect(run.code).toBe(2);
      expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'inconclusive', reason: 'timeout' });
      expectNoCanary(run);
    } finally {
      await slowOdoo.close();
    }
  });

  it('classifies a key that spells part of a report code like any other (exit 0, not a crash)', async () => {
    dolibarr.setApiKey('svc', 'valid');
    try {
      const run = await runCli(['check', 'dolibarr', '--json'], dolibarrInput('valid'), ENV);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'valid', reason: null });
    } finally {
      dolibarr.setApiKey('svc', DOLIBARR_CANARY);
    }
  });

  it('--egress-allow lets one check reach a private range without EGRESS_ALLOW', async () => {
    const blocked = await runCli(['check', 'dolibarr'], dolibarrInput(), {});
    expect(blocked.code).toBe(2);
    const allowed = await runCli(
      ['check', 'dolibarr', '--egress-allow', '127.0.0.1/32'],
      dolibarrInput(),
      {},
    );
    expect(allowed.code).toBe(0);
  });

  it('precoro: valid, then the same check again is answered from memory', async () => {
    const input = JSON.stringify({ apiToken: PRECORO_CANARY, email: 'p@example.com', apiUrl: precoro.url });
    const first = await runCli(['check', 'precoro', '--json'], input, ENV);
    const second = await runCli(['check', 'precoro', '--json'], input, ENV);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(JSON.parse(second.stdout).probes[0].outcome).toBe('cached');
    expect(precoro.violations).toEqual([]);
    expectNoCanary(first);
    expectNoCanary(second);
  });

  it('the real executable prints the same and exits 0', async () => {
    const run = await runCliProcess(['check', 'dolibarr', '--json'], dolibarrInput(), ENV);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).verdict).toBe('valid');
    expectNoCanary(run);
  });
});
