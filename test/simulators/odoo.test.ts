// Behaviour of the Odoo simulator beyond the recorded exchanges: single-database hosts, the rpc addon switch,
// saas version strings, runtime controls, cooldown expiry, password-check latency and the JSON-2 methods.
import { afterEach, describe, expect, it } from 'vitest';
import { ODOO_SECRETS, odooRecordedConfig } from './fixtures.ts';
import { type OdooConfig, type OdooSimulator, startOdooSimulator } from './odoo.ts';
import { decodeMethodResponse, encodeCall, type XmlRpcAnswer } from './xmlrpc-codec.ts';

const ADMIN_PW = ODOO_SECRETS['<PASSWORD:ADMIN>'] ?? '';
const ADMIN_KEY = ODOO_SECRETS['<KEY:ADMIN>'] ?? '';
const READER_KEY = ODOO_SECRETS['<KEY:READER>'] ?? '';
const READER_PW = ODOO_SECRETS['<PASSWORD:READER>'] ?? '';

let sim: OdooSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(config: OdooConfig): Promise<OdooSimulator> {
  sim = await startOdooSimulator(config);
  return sim;
}

async function rpc(
  s: OdooSimulator,
  service: string,
  method: string,
  params: unknown[],
): Promise<XmlRpcAnswer> {
  const res = await fetch(`${s.url}/xmlrpc/2/${service}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml' },
    body: encodeCall(method, params),
  });
  expect(res.status).toBe(200);
  return decodeMethodResponse(await res.text());
}

async function json2(s: OdooSimulator, path: string, body: unknown, key = ADMIN_KEY, db?: string) {
  const res = await fetch(`${s.url}/json/2/${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `bearer ${key}`,
      ...(db ? { 'X-Odoo-Database': db } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    text,
    json: () => JSON.parse(text) as unknown,
  };
}

async function webLogin(s: OdooSimulator, db: string, login: string, password: string) {
  const res = await fetch(`${s.url}/web/session/authenticate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { db, login, password }, id: 1 }),
  });
  return (await res.json()) as {
    result?: { uid: number };
    error?: { data: { name: string; message: string } };
  };
}

const singleDb = (version: string): OdooConfig => {
  const base = odooRecordedConfig('19.0');
  return { version, databases: { acme: base.databases.acme ?? { users: [] } } };
};

describe('Odoo simulator', () => {
  it('accepts JSON-2 without X-Odoo-Database on a single-database server', async () => {
    const s = await start(singleDb('19.0'));
    const res = await json2(s, 'res.users/context_get', {});
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ lang: 'en_US', tz: false, uid: 2 });
  });

  it('answers the JSON-2 read and rights probes of the validator', async () => {
    const s = await start(odooRecordedConfig('19.0'));
    const read = await json2(
      s,
      'res.users/read',
      { ids: [5], fields: ['login', 'name', 'company_id', 'company_ids', 'share'] },
      READER_KEY,
      'acme',
    );
    expect(read.json()).toEqual([
      {
        id: 5,
        login: 'reader@example.com',
        name: 'Reader (internal, limited)',
        company_id: [1, 'My Company'],
        company_ids: [1],
        share: false,
      },
    ]);
    const rights = await json2(
      s,
      'purchase.order/check_access_rights',
      { operation: 'read', raise_exception: false },
      READER_KEY,
      'acme',
    );
    expect(rights.json()).toBe(false);
    const allowed = await json2(
      s,
      'res.partner/check_access_rights',
      { operation: 'read' },
      READER_KEY,
      'acme',
    );
    expect(allowed.status).toBe(200);
    expect(allowed.json()).toBeNull();
    const count = await json2(s, 'res.partner/search_count', { domain: [] }, READER_KEY, 'acme');
    expect(count.json()).toBe(6);
    const denied = await json2(
      s,
      'ir.config_parameter/check_access_rights',
      { operation: 'write' },
      READER_KEY,
      'acme',
    );
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ name: 'odoo.exceptions.AccessError', context: {} });
    const missing = await json2(s, 'res.users/read', { ids: [999], fields: ['login'] }, ADMIN_KEY, 'acme');
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ name: 'odoo.exceptions.MissingError' });
  });

  it('reports a model that is not installed in that database', async () => {
    const s = await start(odooRecordedConfig('19.0'));
    const otherPw = ODOO_SECRETS['<PASSWORD:OTHER-DB-ADMIN>'];
    const fault = await rpc(s, 'object', 'execute_kw', [
      'other',
      2,
      otherPw,
      'purchase.order',
      'check_access_rights',
      ['read'],
      { raise_exception: false },
    ]);
    expect(fault).toEqual({
      kind: 'fault',
      faultCode: 2,
      faultString: "Object purchase.order doesn't exist",
    });
  });

  it('answers 404 everywhere in the rpc addon when it is not loaded (19.0)', async () => {
    const s = await start(odooRecordedConfig('19.0', { xmlrpcEnabled: false }));
    const xml = await fetch(`${s.url}/xmlrpc/2/common`, { method: 'POST', body: encodeCall('version', []) });
    expect(xml.status).toBe(404);
    expect(await xml.text()).toContain('No database is selected');
    expect((await json2(s, 'res.users/context_get', {}, ADMIN_KEY, 'acme')).status).toBe(404);
    const info = await fetch(`${s.url}/web/webclient/version_info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"jsonrpc":"2.0","method":"call","params":{},"id":1}',
    });
    expect(((await info.json()) as { result: { server_serie: string } }).result.server_serie).toBe('19.0');
    s.setXmlrpcEnabled(true);
    expect(await rpc(s, 'common', 'version', [])).toMatchObject({ kind: 'result' });
  });

  it('parses saas version strings and behaves like its major', async () => {
    const s = await start(singleDb('saas~18.1+e'));
    expect(await rpc(s, 'common', 'version', [])).toEqual({
      kind: 'result',
      value: {
        server_version: 'saas~18.1+e',
        server_version_info: ['saas~18', 1, 0, 'final', 0, 'e'],
        server_serie: 'saas~18.1',
        protocol_version: 1,
      },
    });
    expect((await json2(s, 'res.users/context_get', {})).status).toBe(404);
  });

  it('applies runtime credential changes', async () => {
    const s = await start(odooRecordedConfig('18.0'));
    expect(await rpc(s, 'common', 'authenticate', ['acme', 'admin', ADMIN_KEY, {}])).toEqual({
      kind: 'result',
      value: 2,
    });
    s.revokeApiKey('acme', ADMIN_KEY);
    expect(await rpc(s, 'common', 'authenticate', ['acme', 'admin', ADMIN_KEY, {}])).toEqual({
      kind: 'result',
      value: false,
    });
    s.setPassword('acme', 'admin', 'new-password');
    expect(await rpc(s, 'common', 'authenticate', ['acme', 'admin', ADMIN_PW, {}])).toEqual({
      kind: 'result',
      value: false,
    });
    expect(await rpc(s, 'common', 'authenticate', ['acme', 'admin', 'new-password', {}])).toEqual({
      kind: 'result',
      value: 2,
    });
    s.setUserActive('acme', 'admin', false);
    expect(
      await rpc(s, 'object', 'execute_kw', ['acme', 2, 'new-password', 'res.users', 'context_get', []]),
    ).toEqual({
      kind: 'fault',
      faultCode: 3,
      faultString: 'Access Denied',
    });
  });

  it('throttles web logins per IP and database until the cooldown has passed, never XML-RPC', async () => {
    let now = 1_000_000;
    const s = await start(
      odooRecordedConfig('19.0', { cooldownAfter: 3, cooldownMs: 60_000, now: () => now }),
    );
    for (let i = 0; i < 3; i++) {
      expect((await webLogin(s, 'acme', 'reader@example.com', 'wrong')).error?.data.name).toBe(
        'odoo.exceptions.AccessDenied',
      );
    }
    const refused = await webLogin(s, 'acme', 'reader@example.com', READER_PW);
    expect(refused.error?.data).toMatchObject({
      name: 'builtins.ValueError',
      message: "invalid literal for int() with base 10: 'reader@example.com'",
    });
    expect(await rpc(s, 'common', 'authenticate', ['acme', 'reader@example.com', READER_PW, {}])).toEqual({
      kind: 'result',
      value: 5,
    });
    now += 60_001;
    expect((await webLogin(s, 'acme', 'reader@example.com', READER_PW)).result?.uid).toBe(5);
  });

  it('spends passwordCheckMs on existing users only', async () => {
    const s = await start(odooRecordedConfig('19.0', { passwordCheckMs: 150 }));
    let started = Date.now();
    await rpc(s, 'common', 'authenticate', ['acme', 'admin', 'wrong', {}]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    started = Date.now();
    await rpc(s, 'common', 'authenticate', ['acme', 'nobody', 'wrong', {}]);
    expect(Date.now() - started).toBeLessThan(140);
  });

  it('supports object.execute and the legacy /xmlrpc endpoint', async () => {
    const s = await start(odooRecordedConfig('18.0'));
    expect(
      await rpc(s, 'object', 'execute', [
        'acme',
        2,
        ADMIN_PW,
        'res.partner',
        'check_access_rights',
        'write',
        false,
      ]),
    ).toEqual({
      kind: 'result',
      value: true,
    });
    const res = await fetch(`${s.url}/xmlrpc/object`, {
      method: 'POST',
      body: encodeCall('execute_kw', ['acme', 6, READER_PW, 'ir.config_parameter', 'search_read', [[]]]),
    });
    const answer = await decodeMethodResponse(await res.text());
    expect(answer).toMatchObject({ kind: 'fault', faultString: '' });
    expect(answer.kind === 'fault' && String(answer.faultCode)).toMatch(
      /^warning -- AccessError\n\nYou are not allowed to access 'System Parameter'/,
    );
  });
});
