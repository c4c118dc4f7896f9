// End to end: `credval serve` as a real process, driven over HTTP on every route of DESIGN.md section 6,
// against the loopback vendor simulators. Every secret sent is a canary that must never come back: not in
// an answer, not in the process output (logs, EMF metrics), not in a file under DATA_DIR.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type Api,
  type ApiAnswer,
  type ApiRequest,
  api,
  HOOK_TIMEOUT_MS,
  startServerProcess,
} from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { dolibarrRecordedConfig, odooRecordedConfig } from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';
import { type PrecoroSimulator, startPrecoroSimulator } from '../simulators/precoro.ts';

const RUN = randomBytes(6).toString('hex');
/** Every secret of this file starts with it, so one search finds any of them. */
const CANARY = `canary-e2e-${RUN}`;
const KEY = {
  dolA: `${CANARY}-dol-a`,
  dolB: `${CANARY}-dol-b`,
  dolC: `${CANARY}-dol-c`,
  dolWrong: `${CANARY}-dol-wrong`,
  odoo1: `${CANARY}-odoo-1`,
  odoo2: `${CANARY}-odoo-2`,
  odooBad: `${CANARY}-odoo-bad`,
  precoro: `${CANARY}-precoro`,
  blocked: `${CANARY}-blocked`,
};
const TOKEN_A = `tokA-${RUN}-${randomBytes(12).toString('hex')}`;
const TOKEN_B = `tokB-${RUN}-${randomBytes(12).toString('hex')}`;
/** Appears in stored metadata: proves the DATA_DIR scan really reads what was stored. */
const MARKER = `e2e-marker-${RUN}`;
const BLOCKED_URL = 'http://10.0.0.1';
/** A closed port on allowed loopback: nobody answers, a passing trouble (inconclusive, endpoint_unreachable). */
const UNREACHABLE_URL = 'http://127.0.0.1:9';
const CONFIRM_AFTER_MS = 1000;
const CHECK_INTERVAL_MS = 6 * 3600_000;

type Server = Awaited<ReturnType<typeof startServerProcess>>;

let dataDir: string;
let server: Server;
let dol: DolibarrSimulator;
let dol2: DolibarrSimulator;
let odoo: OdooSimulator;
let precoro: PrecoroSimulator;
let asA: Api;
let asB: Api;
let anonymous: Api;
/** Every answer the server gave in this file, for the header and canary checks at the end. */
const answers: Array<{ what: string; answer: ApiAnswer }> = [];

function recording(client: Api): Api {
  return async (path: string, request?: ApiRequest) => {
    const answer = await client(path, request);
    const method = request?.method ?? (request?.body === undefined ? 'GET' : 'POST');
    answers.push({ what: `${method} ${path} -> ${answer.status}`, answer });
    return answer;
  };
}

function expectProblem(answer: ApiAnswer, status: number, code: string): void {
  expect({ status: answer.status, body: answer.json }).toMatchObject({ status, body: { code } });
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  expect(answer.json).toMatchObject({
    type: `https://credval.dev/problems/${code.replaceAll('_', '-')}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    correlationId: expect.any(String),
  });
}

const dolFields = (apiKey: string, baseUrl = dol.url) => ({ baseUrl, apiKey });
const odooFields = (password: string) => ({
  serverUrl: odoo.url,
  database: 'acme',
  username: 'reader@example.com',
  password,
});
const dolCreate = (name: string, apiKey: string, extra: Record<string, unknown> = {}) => ({
  connector: 'dolibarr',
  name,
  fields: dolFields(apiKey),
  ...extra,
});

async function history(client: Api, id: string) {
  const answer = await client(`/credentials/${id}/checks?limit=100`);
  expect(answer.status).toBe(200);
  return answer.json.items as Array<{
    checkId: string;
    checkedAt: string;
    trigger: string;
    statusBefore: string | null;
    statusAfter: string;
    report: { verdict: string; reason: string | null };
  }>;
}

async function listAll(client: Api, query = ''): Promise<Array<{ id: string; [k: string]: unknown }>> {
  const items: Array<{ id: string }> = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page += 1) {
    const answer: ApiAnswer = await client(
      `/credentials?limit=1${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.json.items.length).toBeLessThanOrEqual(1);
    items.push(...answer.json.items);
    cursor = answer.json.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error('pagination did not end');
}

/** The server's access log so far: the stdout lines that start with a timestamp. */
function accessLines(): string[] {
  return server
    .stdout()
    .split('\n')
    .filter((line) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(line));
}

/** Every file under a directory, recursively, with its bytes. */
async function filesUnder(dir: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

beforeAll(async () => {
  const dolUsers = () => {
    const config = dolibarrRecordedConfig({ failureDelayMs: 20 });
    config.users.push(
      { id: 21, login: 'e2e-admin', apiKey: KEY.dolA, admin: true, lastname: 'E2E Admin' },
      {
        id: 22,
        login: 'e2e-clerk',
        apiKey: KEY.dolB,
        lastname: 'Clerk',
        rights: ['user.self.creer', 'societe.lire'],
      },
      { id: 23, login: 'e2e-revoked', apiKey: KEY.dolC, admin: true },
    );
    return config;
  };
  [dol, dol2, odoo, precoro, dataDir] = await Promise.all([
    startDolibarrSimulator(dolUsers()),
    startDolibarrSimulator(dolUsers()),
    startOdooSimulator(odooRecordedConfig('19.0')),
    startPrecoroSimulator({ accounts: [{ token: KEY.precoro, email: 'buyer@example.com' }] }),
    mkdtemp(join(tmpdir(), 'credval-e2e-')),
  ]);
  odoo.addApiKey('acme', 'reader@example.com', KEY.odoo1);
  server = await startServerProcess({
    dataDir,
    env: {
      LOCAL_API_TOKENS: `${TOKEN_A}:tenant-a,${TOKEN_B}:tenant-b`,
      // A rejection becomes `invalid` only when confirmed this much later (default 5m).
      INVALID_CONFIRM_AFTER: `${CONFIRM_AFTER_MS}ms`,
      // The most output there is (debug logs, EMF metrics, access log): the most a secret could leak into.
      LOG_LEVEL: 'DEBUG',
    },
  });
  asA = recording(api(server.url, TOKEN_A));
  asB = recording(api(server.url, TOKEN_B));
  anonymous = recording(api(server.url, null));
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await Promise.all([dol?.close(), dol2?.close(), odoo?.close(), precoro?.close()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe('credval serve over HTTP', () => {
  it('starts with the tokens of LOCAL_API_TOKENS and prints no token', () => {
    expect(server.token).toBeNull();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.stderr()).toContain('tokens:  from LOCAL_API_TOKENS (2)');
    expect(server.stderr()).not.toContain(TOKEN_A);
    expect(server.stderr()).not.toContain(TOKEN_B);
  });

  it('GET /health answers without a token', async () => {
    const answer = await anonymous('/health');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(answer.json).toEqual({ status: 'ok' });
  });

  it('GET /openapi.json answers without a token: OpenAPI 3.1 with every route', async () => {
    const answer = await anonymous('/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.json.openapi).toMatch(/^3\.1\./);
    const operations = Object.entries(answer.json.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(operations).toEqual(
      [
        'GET /health',
        'GET /openapi.json',
        'GET /connectors',
        'POST /validations',
        'POST /credentials',
        'GET /credentials',
        'GET /credentials/{id}',
        'PATCH /credentials/{id}',
        'DELETE /credentials/{id}',
        'POST /credentials/{id}/validate',
        'GET /credentials/{id}/checks',
      ].sort(),
    );
    expect(Object.keys(answer.json.components.schemas)).toEqual(
      expect.arrayContaining(['Credential', 'Report', 'Problem', 'CreateBody', 'UpdateBody', 'ValidateBody']),
    );
  });

  it('GET /connectors lists the three connectors with their fields and JSON Schemas', async () => {
    const answer = await asA('/connectors');
    expect(answer.status).toBe(200);
    const items = answer.json.items as Array<{
      id: string;
      fields: Array<{ key: string; secret: boolean }>;
      jsonSchema: { type: string; properties: Record<string, unknown> };
    }>;
    expect(items.map((c) => c.id)).toEqual(['dolibarr', 'odoo', 'precoro']);
    const secretsOf = (id: string) =>
      items
        .find((c) => c.id === id)
        ?.fields.filter((f) => f.secret)
        .map((f) => f.key);
    expect(secretsOf('dolibarr')).toEqual(['apiKey']);
    expect(secretsOf('odoo')).toEqual(['password']);
    expect(secretsOf('precoro')).toEqual(['apiToken']);
    expect(items.map((c) => Object.keys(c.jsonSchema.properties))).toEqual([
      ['baseUrl', 'apiKey', 'entity'],
      ['serverUrl', 'database', 'username', 'password'],
      ['apiToken', 'email', 'region', 'apiUrl'],
    ]);
  });

  it('answers 401 problem+json without a token, with a wrong one, or with another scheme', async () => {
    const routes: Array<[string, ApiRequest]> = [
      ['/connectors', {}],
      ['/validations', { method: 'POST', body: { connector: 'dolibarr', fields: dolFields(KEY.dolA) } }],
      ['/credentials', { method: 'POST', body: dolCreate('x', KEY.dolA) }],
      ['/credentials', {}],
      ['/credentials/abc', {}],
      ['/credentials/abc', { method: 'PATCH', body: { name: 'x' } }],
      ['/credentials/abc', { method: 'DELETE' }],
      ['/credentials/abc/validate', { method: 'POST' }],
      ['/credentials/abc/checks', {}],
    ];
    const before = dol.requests.length;
    for (const [path, request] of routes) {
      expectProblem(await anonymous(path, request), 401, 'unauthorized');
      expectProblem(await anonymous(path, { ...request, token: `${TOKEN_A}x` }), 401, 'unauthorized');
      expectProblem(
        await anonymous(path, { ...request, headers: { authorization: `Basic ${TOKEN_A}` } }),
        401,
        'unauthorized',
      );
    }
    expect(dol.requests.length).toBe(before);
  });

  it('answers 404 on an unknown route and 405 on a wrong method', async () => {
    expectProblem(await asA('/nope'), 404, 'not_found');
    expectProblem(await anonymous('/credentials/a/b/c'), 404, 'not_found');
    expectProblem(await asA('/credentials', { method: 'PUT', body: {} }), 405, 'method_not_allowed');
    expectProblem(await asA('/health', { method: 'DELETE' }), 405, 'method_not_allowed');
    // A request target starting with // is a path, not an authority: no route, not a server error.
    expectProblem(await asA('//'), 404, 'not_found');
    expectProblem(await asA('//127.0.0.1/credentials'), 404, 'not_found');
    // A body over 1 MiB is refused, and the connection stays usable for the next requests.
    const huge = await asA('/validations', {
      body: { connector: 'dolibarr', fields: dolFields(`${KEY.dolA}${'x'.repeat(2 << 20)}`) },
    });
    expectProblem(huge, 413, 'body_too_large');
    for (let i = 0; i < 3; i += 1) expect((await anonymous('/health')).status).toBe(200);
    // A path that is not valid percent-encoding is bad input, not a server error.
    expectProblem(await asA('/credentials/%ZZ'), 400, 'invalid_input');
    expectProblem(await asA('/credentials/%E0%A4%A/checks'), 400, 'invalid_input');
  });

  describe('POST /validations (dry run)', () => {
    it('answers 200 with a valid report, and stores nothing', async () => {
      dol.reset();
      const answer = await asA('/validations', {
        body: {
          connector: 'dolibarr',
          fields: dolFields(KEY.dolA),
          requirements: [{ resource: 'thirdparties', access: ['read'] }],
        },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        verdict: 'valid',
        reason: null,
        field: null,
        identity: { userId: '21', login: 'e2e-admin', admin: true },
        vendor: { product: 'dolibarr', version: '20.0.2' },
        permissions: [{ resource: 'thirdparties', read: true, write: true }],
      });
      expect(answer.json.warnings.map((w: { code: string }) => w.code)).toEqual([
        'admin_credential',
        'insecure_http',
      ]);
      // status, then users/info and the thirdparties list call at once.
      expect(dol.requests.map((r) => r.headers.dolapikey)).toEqual([KEY.dolA, KEY.dolA, KEY.dolA]);
      expect((await asA('/credentials')).json).toEqual({ items: [], nextCursor: null });
    });

    it('answers 200 with an invalid report for a refused key', async () => {
      const answer = await asA('/validations', {
        body: { connector: 'dolibarr', fields: dolFields(KEY.dolWrong) },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        verdict: 'invalid',
        reason: 'invalid_credentials',
        field: 'apiKey',
        retryable: false,
        identity: null,
      });
    });

    it('answers 200 with an inconclusive report for a blocked destination, without connecting', async () => {
      const answer = await asA('/validations', {
        body: { connector: 'dolibarr', fields: dolFields(KEY.blocked, BLOCKED_URL) },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        verdict: 'inconclusive',
        reason: 'blocked_destination',
        // The URL is right: the operator's allow-list is what is missing, so no field is blamed.
        field: null,
        retryable: false,
        probes: [{ url: `${BLOCKED_URL}/api/index.php/status`, status: null, outcome: 'blocked' }],
      });
      expect(answer.json.message).toContain('EGRESS_ALLOW=10.0.0.1/32 (or 10.0.0.0/24 for its network)');
      expect(answer.json.message).toContain('--egress-allow 10.0.0.1/32');
    });

    it('blames the URL field when a public server is given as plain http', async () => {
      const answer = await asA('/validations', {
        body: { connector: 'dolibarr', fields: dolFields(KEY.blocked, 'http://93.184.215.14') },
      });
      expect(answer.json).toMatchObject({
        verdict: 'inconclusive',
        reason: 'blocked_destination',
        field: 'baseUrl',
        message: expect.stringMatching(/use an https:\/\/ URL/),
      });
    });

    it('checks Odoo 19 and Precoro credentials too', async () => {
      const odooAnswer = await asA('/validations', {
        body: { connector: 'odoo', fields: odooFields(KEY.odoo1) },
      });
      expect(odooAnswer.status).toBe(200);
      expect(odooAnswer.json).toMatchObject({
        verdict: 'valid',
        identity: { login: 'reader@example.com', admin: false },
        vendor: { product: 'odoo', version: '19.0', transport: 'json2' },
      });
      const precoroAnswer = await asA('/validations', {
        body: {
          connector: 'precoro',
          fields: { apiToken: KEY.precoro, email: 'buyer@example.com', apiUrl: precoro.url },
        },
      });
      expect(precoroAnswer.status).toBe(200);
      expect(precoroAnswer.json).toMatchObject({
        verdict: 'valid',
        identity: { email: 'buyer@example.com' },
        permissions: [{ resource: 'users', read: true, write: null }],
      });
      expect(precoro.violations).toEqual([]);
    });

    it('refuses bad input: 415, 400 malformed JSON, 400 with issues', async () => {
      const valid = { connector: 'dolibarr', fields: dolFields(KEY.dolA) };
      dol.reset();
      expectProblem(
        await asA('/validations', {
          body: JSON.stringify(valid),
          headers: { 'content-type': 'text/plain' },
        }),
        415,
        'unsupported_media_type',
      );
      expectProblem(await asA('/validations', { body: '{"connector": "dolibarr",' }), 400, 'invalid_json');

      const missing = await asA('/validations', { body: { connector: 'dolibarr' } });
      expectProblem(missing, 400, 'invalid_input');
      expect(missing.json.issues).toEqual([{ field: 'fields', message: expect.any(String) }]);

      const unknown = await asA('/validations', { body: { ...valid, color: 'blue' } });
      expectProblem(unknown, 400, 'invalid_input');
      expect(unknown.json.issues).toEqual([{ field: null, message: 'unknown field(s) color' }]);

      const noConnector = await asA('/validations', { body: { ...valid, connector: 'sap' } });
      expectProblem(noConnector, 400, 'invalid_input');
      // The connector is a top-level property of the body, not one of its fields.
      expect
        .soft(noConnector.json.issues)
        .toEqual([
          { field: 'connector', message: 'unknown connector "sap" (known: dolibarr, odoo, precoro)' },
        ]);

      const badRequirement = await asA('/validations', {
        body: { ...valid, requirements: [{ resource: 'thirdparties', access: ['delete'] }] },
      });
      expectProblem(badRequirement, 400, 'invalid_input');
      expect(badRequirement.json.issues).toEqual([
        { field: 'requirements.0.access.0', message: expect.any(String) },
      ]);

      const missingKey = await asA('/validations', {
        body: { connector: 'dolibarr', fields: { baseUrl: dol.url } },
      });
      expectProblem(missingKey, 400, 'invalid_input');
      expect(missingKey.json.issues).toEqual([{ field: 'fields.apiKey', message: expect.any(String) }]);
      expect(dol.requests).toEqual([]);
    });
  });

  // State shared by the credential tests below (they run in order).
  let credA: { id: string; version: number; [k: string]: unknown };
  let credOdoo: { id: string; version: number };
  let credRevoked: { id: string };
  let credUnverified: { id: string };

  describe('POST /credentials', () => {
    it('checks, then stores: 201 with Location, ETag and no secret', async () => {
      dol.reset();
      const answer = await asA('/credentials', {
        body: dolCreate(`Dolibarr ${MARKER}`, KEY.dolA, { description: 'main ERP' }),
      });
      expect(answer.status).toBe(201);
      credA = answer.json;
      expect(answer.headers.get('location')).toBe(`/credentials/${credA.id}`);
      expect(answer.headers.get('etag')).toBe('"1"');
      expect(answer.json).toEqual({
        id: expect.stringMatching(/^[A-Za-z0-9-]{1,64}$/),
        connector: 'dolibarr',
        name: `Dolibarr ${MARKER}`,
        description: 'main ERP',
        fields: { baseUrl: dol.url },
        requirements: [],
        status: 'valid',
        lastCheck: expect.objectContaining({
          verdict: 'valid',
          identity: expect.objectContaining({ login: 'e2e-admin' }),
        }),
        version: 1,
        createdAt: expect.any(String),
        updatedAt: answer.json.createdAt,
        nextCheckAt: expect.any(String),
      });
      // CHECK_INTERVAL defaults to 6h, spread later by up to 10% so checks do not bunch up.
      const due = Date.parse(answer.json.nextCheckAt) - Date.parse(answer.json.createdAt);
      expect(due).toBeGreaterThanOrEqual(CHECK_INTERVAL_MS);
      expect(due).toBeLessThanOrEqual(CHECK_INTERVAL_MS * 1.1);
      expect(dol.requests.length).toBe(3);
    });

    it('refuses an invalid key with 422 and the report, and stores nothing', async () => {
      const answer = await asA('/credentials', { body: dolCreate('wrong', KEY.dolWrong) });
      expectProblem(answer, 422, 'credential_invalid');
      expect(answer.json.report).toMatchObject({
        verdict: 'invalid',
        reason: 'invalid_credentials',
        field: 'apiKey',
      });
      expect((await listAll(asA)).map((c) => c.id)).toEqual([credA.id]);
    });

    it('answers 503 for an inconclusive check, and 201 unverified with allowUnverified', async () => {
      const unreachable = await asA('/credentials', {
        body: { ...dolCreate('unreachable', KEY.blocked), fields: dolFields(KEY.blocked, UNREACHABLE_URL) },
      });
      expectProblem(unreachable, 503, 'check_inconclusive');
      expect(unreachable.json.report).toMatchObject({
        verdict: 'inconclusive',
        reason: 'endpoint_unreachable',
      });

      // A refused destination is a configuration answer, not "try again": 422 naming the fix, no Retry-After.
      const refused = await asA('/credentials', {
        body: { ...dolCreate('blocked', KEY.blocked), fields: dolFields(KEY.blocked, BLOCKED_URL) },
      });
      expectProblem(refused, 422, 'destination_not_allowed');
      expect(refused.json.detail).toContain('EGRESS_ALLOW=10.0.0.1/32');
      expect(refused.headers.get('retry-after')).toBeNull();
      expect(refused.json.report).toMatchObject({
        verdict: 'inconclusive',
        reason: 'blocked_destination',
        field: null,
      });
      expect((await listAll(asA)).map((c) => c.id)).toEqual([credA.id]);

      const stored = await asA('/credentials', {
        body: {
          ...dolCreate('blocked', KEY.blocked),
          fields: dolFields(KEY.blocked, BLOCKED_URL),
          allowUnverified: true,
        },
      });
      expect(stored.status).toBe(201);
      expect(stored.json).toMatchObject({
        status: 'unverified',
        fields: { baseUrl: BLOCKED_URL },
        lastCheck: { verdict: 'inconclusive', reason: 'blocked_destination' },
        version: 1,
      });
      credUnverified = stored.json;
    });

    it('refuses missing and unknown fields with 400 and issues', async () => {
      const noName = await asA('/credentials', {
        body: { connector: 'dolibarr', fields: dolFields(KEY.dolA) },
      });
      expectProblem(noName, 400, 'invalid_input');
      expect(noName.json.issues).toEqual([{ field: 'name', message: expect.any(String) }]);

      const blankName = await asA('/credentials', { body: dolCreate('   ', KEY.dolA) });
      expectProblem(blankName, 400, 'invalid_input');
      expect(blankName.json.issues).toEqual([{ field: 'name', message: expect.any(String) }]);

      const unknown = await asA('/credentials', { body: dolCreate('x', KEY.dolA, { owner: 'me' }) });
      expectProblem(unknown, 400, 'invalid_input');
      expect(unknown.json.issues).toEqual([{ field: null, message: 'unknown field(s) owner' }]);

      const unknownField = await asA('/credentials', {
        body: { connector: 'dolibarr', name: 'x', fields: { ...dolFields(KEY.dolA), color: 'blue' } },
      });
      expectProblem(unknownField, 400, 'invalid_input');
      expect(unknownField.json.issues).toEqual([
        { field: null, message: 'unknown field(s) color for dolibarr (fields: baseUrl, apiKey, entity)' },
      ]);

      const badType = await asA('/credentials', {
        body: dolCreate('x', KEY.dolA, { allowUnverified: 'yes' }),
      });
      expectProblem(badType, 400, 'invalid_input');
      expect(badType.json.issues).toEqual([{ field: 'allowUnverified', message: expect.any(String) }]);

      expectProblem(
        await asA('/credentials', {
          body: JSON.stringify(dolCreate('x', KEY.dolA)),
          headers: { 'content-type': 'text/plain' },
        }),
        415,
        'unsupported_media_type',
      );
      expectProblem(await asA('/credentials', { body: '{' }), 400, 'invalid_json');
      expect((await listAll(asA)).map((c) => c.id).sort()).toEqual([credA.id, credUnverified.id].sort());
    });

    it('stores an Odoo credential and one that will be revoked', async () => {
      const odooAnswer = await asA('/credentials', {
        body: { connector: 'odoo', name: 'Odoo reader', fields: odooFields(KEY.odoo1) },
      });
      expect(odooAnswer.status).toBe(201);
      expect(odooAnswer.json.fields).toEqual({
        serverUrl: odoo.url,
        database: 'acme',
        username: 'reader@example.com',
      });
      credOdoo = odooAnswer.json;
      const revoked = await asA('/credentials', { body: dolCreate('soon revoked', KEY.dolC) });
      expect(revoked.status).toBe(201);
      credRevoked = revoked.json;
    });
  });

  describe('GET /credentials and GET /credentials/{id}', () => {
    it('gets one credential with its ETag', async () => {
      const answer = await asA(`/credentials/${credA.id}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('etag')).toBe('"1"');
      expect(answer.json).toEqual(credA);
      expectProblem(await asA('/credentials/00000000-0000-0000-0000-000000000000'), 404, 'not_found');
      const badId = await asA(`/credentials/${'x'.repeat(65)}`);
      expectProblem(badId, 400, 'invalid_input');
      expect(badId.json.issues).toEqual([{ field: 'id', message: 'is not a credential id' }]);
    });

    it('pages with limit=1 through every credential, once each', async () => {
      const all = await listAll(asA);
      expect(all.map((c) => c.id).sort()).toEqual(
        [credA.id, credUnverified.id, credOdoo.id, credRevoked.id].sort(),
      );
      for (const item of all) expect(JSON.stringify(item)).not.toContain(CANARY);
      const whole = await asA('/credentials');
      expect(whole.json.items.map((c: { id: string }) => c.id)).toEqual(all.map((c) => c.id));
      expect(whole.json.nextCursor).toBeNull();
    });

    it('filters by connector and status', async () => {
      expect((await listAll(asA, '&connector=odoo')).map((c) => c.id)).toEqual([credOdoo.id]);
      expect((await listAll(asA, '&connector=precoro')).map((c) => c.id)).toEqual([]);
      expect((await listAll(asA, '&status=unverified')).map((c) => c.id)).toEqual([credUnverified.id]);
      expect((await listAll(asA, '&connector=dolibarr&status=valid')).map((c) => c.id).sort()).toEqual(
        [credA.id, credRevoked.id].sort(),
      );
    });

    it('refuses a bad cursor or query with 400', async () => {
      expectProblem(await asA('/credentials?cursor=not%20a%20cursor'), 400, 'invalid_cursor');
      expectProblem(await asA('/credentials?cursor=abc'), 400, 'invalid_cursor');
      const forged = Buffer.from(JSON.stringify({ pk: 'TENANT#tenant-b', sk: 'CRED#x' })).toString(
        'base64url',
      );
      expectProblem(await asA(`/credentials?cursor=${forged}`), 400, 'invalid_cursor');
      for (const query of ['limit=0', 'limit=101', 'limit=abc', 'status=broken', 'colour=red']) {
        const answer = await asA(`/credentials?${query}`);
        expectProblem(answer, 400, 'invalid_input');
        expect(answer.json.issues[0].field).toMatch(/^query/);
      }
    });
  });

  describe('PATCH /credentials/{id}', () => {
    it('renames without calling the vendor: version + 1, same last check', async () => {
      dol.reset();
      const answer = await asA(`/credentials/${credA.id}`, {
        method: 'PATCH',
        body: { name: `Renamed ${MARKER}`, description: 'renamed' },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('etag')).toBe('"2"');
      expect(answer.json).toEqual({
        ...credA,
        name: `Renamed ${MARKER}`,
        description: 'renamed',
        version: 2,
        updatedAt: expect.any(String),
      });
      expect(dol.requests).toEqual([]);
      expect((await history(asA, credA.id)).map((h) => h.trigger)).toEqual(['create']);
      credA = answer.json;
    });

    it('honours If-Match: a stale version is 412 and changes nothing; the current one passes', async () => {
      const stale = await asA(`/credentials/${credA.id}`, {
        method: 'PATCH',
        body: { name: 'stale' },
        headers: { 'if-match': '"1"' },
      });
      expectProblem(stale, 412, 'precondition_failed');
      expectProblem(
        await asA(`/credentials/${credA.id}`, {
          method: 'PATCH',
          body: { name: 'garbage' },
          headers: { 'if-match': 'yesterday' },
        }),
        412,
        'precondition_failed',
      );
      expect((await asA(`/credentials/${credA.id}`)).json).toEqual(credA);

      const fresh = await asA(`/credentials/${credA.id}`, {
        method: 'PATCH',
        body: { name: `Dolibarr ${MARKER}` },
        headers: { 'if-match': '"2"' },
      });
      expect(fresh.status).toBe(200);
      expect(fresh.headers.get('etag')).toBe('"3"');
      expect(fresh.json).toMatchObject({ name: `Dolibarr ${MARKER}`, version: 3 });
      credA = fresh.json;
    });

    it('refuses an empty or unknown change with 400', async () => {
      expectProblem(
        await asA(`/credentials/${credA.id}`, { method: 'PATCH', body: {} }),
        400,
        'invalid_input',
      );
      expectProblem(
        await asA(`/credentials/${credA.id}`, { method: 'PATCH', body: { connector: 'odoo' } }),
        400,
        'invalid_input',
      );
      expect((await asA(`/credentials/${credA.id}`)).json.version).toBe(3);
    });

    it('re-checks an edited non-secret field with the stored secret', async () => {
      dol.reset();
      dol2.reset();
      const answer = await asA(`/credentials/${credA.id}`, {
        method: 'PATCH',
        body: { fields: { baseUrl: dol2.url } },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        fields: { baseUrl: dol2.url },
        status: 'valid',
        version: 4,
        lastCheck: { verdict: 'valid', identity: { login: 'e2e-admin' } },
      });
      expect(dol.requests).toEqual([]);
      expect(dol2.requests.map((r) => r.headers.dolapikey)).toEqual([KEY.dolA, KEY.dolA, KEY.dolA]);
      expect(answer.json.lastCheck.probes[0].url).toBe(`${dol2.url}/api/index.php/status`);
      const entries = await history(asA, credA.id);
      expect(entries.map((h) => [h.trigger, h.statusBefore, h.statusAfter])).toEqual([
        ['update', 'valid', 'valid'],
        ['create', null, 'valid'],
      ]);
      credA = answer.json;
    });

    it('refuses an edit that cannot be verified (503) or points at a refused address (422), and keeps the credential', async () => {
      const unreachable = await asA(`/credentials/${credA.id}`, {
        method: 'PATCH',
        body: { fields: { baseUrl: UNREACHABLE_URL } },
      });
      expectProblem(unreachable, 503, 'check_inconclusive');
      const blocked = await asA(`/credentials/${credA.id}`, {
        method: 'PATCH',
        body: { fields: { baseUrl: BLOCKED_URL } },
      });
      expectProblem(blocked, 422, 'destination_not_allowed');
      expect(blocked.json.detail).toContain('EGRESS_ALLOW=');
      expect((await asA(`/credentials/${credA.id}`)).json).toEqual(credA);
    });

    it('rotates the secret to a new valid key: the old key is no longer used', async () => {
      odoo.addApiKey('acme', 'reader@example.com', KEY.odoo2);
      const answer = await asA(`/credentials/${credOdoo.id}`, {
        method: 'PATCH',
        body: { fields: { password: KEY.odoo2 } },
        headers: { 'if-match': `"${credOdoo.version}"` },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({
        status: 'valid',
        version: 2,
        fields: { serverUrl: odoo.url, database: 'acme', username: 'reader@example.com' },
        lastCheck: { verdict: 'valid' },
      });
      expect(answer.json.fields).not.toHaveProperty('password');
      credOdoo = answer.json;

      // The old key stops working at the vendor; the stored credential does not care.
      odoo.revokeApiKey('acme', KEY.odoo1);
      odoo.reset();
      const recheck = await asA(`/credentials/${credOdoo.id}/validate`, { method: 'POST' });
      expect(recheck.status).toBe(200);
      expect(recheck.json).toMatchObject({ status: 'valid', version: 3, lastCheck: { verdict: 'valid' } });
      const bearers = odoo.requests.map((r) => r.headers.authorization).filter(Boolean);
      expect(bearers.length).toBeGreaterThan(0);
      expect(new Set(bearers)).toEqual(new Set([`bearer ${KEY.odoo2}`]));
      credOdoo = recheck.json;
    });

    it('refuses a rotation to an invalid key with 422 and keeps the working one', async () => {
      const answer = await asA(`/credentials/${credOdoo.id}`, {
        method: 'PATCH',
        body: { fields: { password: KEY.odooBad } },
      });
      expectProblem(answer, 422, 'credential_invalid');
      expect(answer.json.report).toMatchObject({ verdict: 'invalid', reason: 'invalid_credentials' });
      expect((await asA(`/credentials/${credOdoo.id}`)).json).toEqual(credOdoo);

      const recheck = await asA(`/credentials/${credOdoo.id}/validate`, { method: 'POST' });
      expect(recheck.status).toBe(200);
      expect(recheck.json).toMatchObject({ status: 'valid', version: 4, lastCheck: { verdict: 'valid' } });
      credOdoo = recheck.json;
    });
  });

  describe('POST /credentials/{id}/validate and GET /credentials/{id}/checks', () => {
    it('re-checks now; a key revoked at the vendor is invalid once the rejection is confirmed', async () => {
      const first = await asA(`/credentials/${credRevoked.id}/validate`, { method: 'POST' });
      expect(first.status).toBe(200);
      expect(first.headers.get('etag')).toBe('"2"');
      expect(first.json).toMatchObject({ status: 'valid', version: 2, lastCheck: { verdict: 'valid' } });

      dol.revokeKey('e2e-revoked');
      const rejected = { verdict: 'invalid', reason: 'invalid_credentials', field: 'apiKey' };
      // A first rejection is not proof yet (INVALID_CONFIRM_AFTER): the status stays, the report tells.
      const second = await asA(`/credentials/${credRevoked.id}/validate`, { method: 'POST' });
      expect(second.status).toBe(200);
      expect(second.json).toMatchObject({ status: 'valid', version: 3, lastCheck: rejected });
      const firstRejectedAt = Date.now();
      // Nor is a second one right after it.
      const third = await asA(`/credentials/${credRevoked.id}/validate`, { method: 'POST' });
      expect(third.json).toMatchObject({ status: 'valid', version: 4, lastCheck: rejected });
      expect(Date.now() - firstRejectedAt).toBeLessThan(CONFIRM_AFTER_MS);

      await new Promise((resolve) => setTimeout(resolve, CONFIRM_AFTER_MS + 50));
      const fourth = await asA(`/credentials/${credRevoked.id}/validate`, { method: 'POST' });
      expect(fourth.status).toBe(200);
      expect(fourth.headers.get('etag')).toBe('"5"');
      expect(fourth.json).toMatchObject({ status: 'invalid', version: 5, lastCheck: rejected });
      expect((await listAll(asA, '&status=invalid')).map((c) => c.id)).toEqual([credRevoked.id]);
    });

    it('lists the history newest first, with create, update, rotate and manual entries', async () => {
      const manual = await asA(`/credentials/${credA.id}/validate`, { method: 'POST' });
      expect(manual.json).toMatchObject({ status: 'valid', version: 5 });
      credA = manual.json;
      const entries = await history(asA, credA.id);
      expect(entries.map((h) => h.trigger)).toEqual(['manual', 'update', 'create']);

      const odooEntries = await history(asA, credOdoo.id);
      expect(odooEntries.map((h) => [h.trigger, h.checkId, h.statusBefore, h.statusAfter])).toEqual([
        ['manual', 'v4', 'valid', 'valid'],
        ['manual', 'v3', 'valid', 'valid'],
        ['rotate', 'v2', 'valid', 'valid'],
        ['create', 'v1', null, 'valid'],
      ]);
      const revokedEntries = await history(asA, credRevoked.id);
      expect(revokedEntries.map((h) => [h.trigger, h.statusBefore, h.statusAfter, h.report.verdict])).toEqual(
        [
          ['manual', 'valid', 'invalid', 'invalid'],
          ['manual', 'valid', 'valid', 'invalid'],
          ['manual', 'valid', 'valid', 'invalid'],
          ['manual', 'valid', 'valid', 'valid'],
          ['create', null, 'valid', 'valid'],
        ],
      );
      for (const list of [entries, odooEntries, revokedEntries]) {
        const times = list.map((h) => Date.parse(h.checkedAt));
        expect(times).toEqual([...times].sort((a, b) => b - a));
        for (const entry of list) {
          expect(Object.keys(entry).sort()).toEqual(
            ['checkId', 'checkedAt', 'report', 'statusAfter', 'statusBefore', 'trigger'].sort(),
          );
          expect(JSON.stringify(entry)).not.toContain(CANARY);
        }
      }

      // Paged one by one, the same entries in the same order.
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: ApiAnswer = await asA(
          `/credentials/${credOdoo.id}/checks?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        paged.push(...page.json.items.map((h: { checkId: string }) => h.checkId));
        cursor = page.json.nextCursor;
      } while (cursor !== null && paged.length < 10);
      expect(paged).toEqual(['v4', 'v3', 'v2', 'v1']);
      expectProblem(await asA(`/credentials/${credOdoo.id}/checks?cursor=zzz`), 400, 'invalid_cursor');
    });
  });

  describe('Idempotency-Key on POST /credentials', () => {
    it('replays the first answer for the same key and body: one credential', async () => {
      const key = `idem-${RUN}`;
      const body = dolCreate(`Idempotent ${MARKER}`, KEY.dolB);
      const before = (await listAll(asA)).length;
      dol.reset();
      const first = await asA('/credentials', { body, headers: { 'idempotency-key': key } });
      expect(first.status).toBe(201);
      const vendorCalls = dol.requests.length;
      const second = await asA('/credentials', { body, headers: { 'idempotency-key': key } });
      expect(second.status).toBe(201);
      expect(second.json).toEqual(first.json);
      expect(second.headers.get('location')).toBe(`/credentials/${first.json.id}`);
      expect(second.headers.get('etag')).toBe('"1"');
      // A replayed answer is still an answer of this API: correlation id and security headers.
      expect.soft(second.headers.get('x-correlation-id')).toMatch(/^[\w.-]{1,64}$/);
      expect.soft(second.headers.get('x-content-type-options')).toBe('nosniff');
      expect(dol.requests.length).toBe(vendorCalls);
      expect((await listAll(asA)).length).toBe(before + 1);

      const reused = await asA('/credentials', {
        body: { ...body, name: 'another body' },
        headers: { 'idempotency-key': key },
      });
      expectProblem(reused, 422, 'idempotency_key_reused');
      expect((await listAll(asA)).length).toBe(before + 1);

      // The same key from another tenant is another request.
      const other = await asB('/credentials', { body, headers: { 'idempotency-key': key } });
      expect(other.status).toBe(201);
      expect(other.json.id).not.toBe(first.json.id);
      expect((await listAll(asB)).map((c) => c.id)).toEqual([other.json.id]);
      expect((await listAll(asA)).length).toBe(before + 1);

      expectProblem(
        await asA('/credentials', { body, headers: { 'idempotency-key': 'k'.repeat(256) } }),
        400,
        'invalid_input',
      );
    });
  });

  describe('tenant isolation', () => {
    it("answers 404 to tenant B on every route of tenant A's credential, and never lists it", async () => {
      const id = credA.id;
      dol2.reset();
      expectProblem(await asB(`/credentials/${id}`), 404, 'not_found');
      expectProblem(
        await asB(`/credentials/${id}`, { method: 'PATCH', body: { name: 'mine' } }),
        404,
        'not_found',
      );
      expectProblem(
        await asB(`/credentials/${id}`, { method: 'PATCH', body: { fields: { apiKey: KEY.dolB } } }),
        404,
        'not_found',
      );
      expectProblem(await asB(`/credentials/${id}`, { method: 'DELETE' }), 404, 'not_found');
      expectProblem(await asB(`/credentials/${id}/validate`, { method: 'POST' }), 404, 'not_found');
      expectProblem(await asB(`/credentials/${id}/checks`), 404, 'not_found');
      expect(dol2.requests).toEqual([]);

      const bIds = (await listAll(asB)).map((c) => c.id);
      const aIds = (await listAll(asA)).map((c) => c.id);
      expect(bIds).toHaveLength(1);
      for (const aId of aIds) expect(bIds).not.toContain(aId);

      // A's cursor is no key to A's data.
      const aPage = await asA('/credentials?limit=1');
      expect(aPage.json.nextCursor).toEqual(expect.any(String));
      expectProblem(await asB(`/credentials?limit=1&cursor=${aPage.json.nextCursor}`), 400, 'invalid_cursor');
      const aChecks = await asA(`/credentials/${credOdoo.id}/checks?limit=1`);
      expectProblem(
        await asB(`/credentials/${bIds[0]}/checks?cursor=${aChecks.json.nextCursor}`),
        400,
        'invalid_cursor',
      );
      // And A's credential is untouched.
      expect((await asA(`/credentials/${id}`)).json).toEqual(credA);
    });
  });

  describe('DELETE /credentials/{id}', () => {
    it('deletes (204), then answers 404 everywhere but its history, kept until it expires', async () => {
      const id = credUnverified.id;
      expectProblem(
        await asA(`/credentials/${id}`, { method: 'DELETE', headers: { 'if-match': '"7"' } }),
        412,
        'precondition_failed',
      );
      const answer = await asA(`/credentials/${id}`, { method: 'DELETE', headers: { 'if-match': '"1"' } });
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
      expectProblem(await asA(`/credentials/${id}`), 404, 'not_found');
      expectProblem(
        await asA(`/credentials/${id}`, { method: 'PATCH', body: { name: 'back' } }),
        404,
        'not_found',
      );
      expectProblem(await asA(`/credentials/${id}`, { method: 'DELETE' }), 404, 'not_found');
      expectProblem(await asA(`/credentials/${id}/validate`, { method: 'POST' }), 404, 'not_found');
      const history = await asA(`/credentials/${id}/checks`);
      expect(history.status).toBe(200);
      expect(history.json.items.length).toBeGreaterThan(0);
      expectProblem(await asB(`/credentials/${id}/checks`), 404, 'not_found');
      expect((await listAll(asA)).map((c) => c.id)).not.toContain(id);
    });
  });

  describe('every answer', () => {
    it('carries a correlation id and security headers, and leaks no server header', () => {
      expect(answers.length).toBeGreaterThan(100);
      const problems: string[] = [];
      for (const { what, answer } of answers) {
        const headers = Object.fromEntries(answer.headers);
        const id = headers['x-correlation-id'];
        if (!id || !/^[\w.-]{1,64}$/.test(id)) problems.push(`${what}: no x-correlation-id`);
        if (headers['x-content-type-options'] !== 'nosniff') problems.push(`${what}: no nosniff`);
        if ('server' in headers || 'x-powered-by' in headers) problems.push(`${what}: server header`);
        if (answer.status >= 400) {
          if (headers['content-type'] !== 'application/problem+json')
            problems.push(`${what}: not problem+json`);
          if (answer.json?.correlationId !== id) problems.push(`${what}: body correlationId differs`);
          if (answer.json?.status !== answer.status) problems.push(`${what}: body status differs`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('has one access log line: method, path without the query, status, time and correlation id', async () => {
      const unlogged = () => {
        const logged = new Map<string, number>();
        for (const line of accessLines()) {
          const match = /^\S+ ([A-Z]+) (\/\S*) (\d{3}) \d+(?:\.\d)? ms correlation-id=(\S+)$/.exec(line);
          expect(match, line).not.toBeNull();
          const key = `${match?.[1]} ${match?.[3]} ${match?.[4]}`;
          logged.set(key, (logged.get(key) ?? 0) + 1);
        }
        const missing: string[] = [];
        for (const { what, answer } of answers) {
          const key = `${what.split(' ')[0]} ${answer.status} ${answer.headers.get('x-correlation-id')}`;
          const left = logged.get(key) ?? 0;
          if (left === 0) missing.push(what);
          else logged.set(key, left - 1);
        }
        return missing;
      };
      // A line is written once its answer is sent, and reaches this process through a pipe: allow it a moment.
      await vi.waitFor(() => expect(unlogged()).toEqual([]), { timeout: 5_000 });
      // Paths are logged without their query strings (cursors, filters, anything pasted there).
      expect(answers.some(({ what }) => what.includes('?'))).toBe(true);
      expect(accessLines().filter((line) => line.includes('?'))).toEqual([]);
    });

    it('echoes a well-formed X-Correlation-Id and replaces a malformed one', async () => {
      const given = `corr-${RUN}`;
      const ok = await asA('/connectors', { headers: { 'x-correlation-id': given } });
      expect(ok.headers.get('x-correlation-id')).toBe(given);
      const problem = await asA('/credentials/nope-404', { headers: { 'x-correlation-id': given } });
      expect(problem.headers.get('x-correlation-id')).toBe(given);
      expect(problem.json.correlationId).toBe(given);
      const bad = await asA('/connectors', { headers: { 'x-correlation-id': 'a b c' } });
      expect(bad.headers.get('x-correlation-id')).toMatch(/^[\w.-]{1,64}$/);
      expect(bad.headers.get('x-correlation-id')).not.toBe('a b c');
    });
  });

  describe('the canary secrets', () => {
    it('never appear in an answer, the process output or a file under DATA_DIR', async () => {
      // Positive controls: the scans below see real data.
      expect(answers.some((a) => a.answer.text.includes(MARKER))).toBe(true);
      for (const { what, answer } of answers) {
        expect({ what, leaked: answer.text.includes(CANARY) }).toEqual({ what, leaked: false });
        const headers = [...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
        expect({ what, leaked: headers.includes(CANARY) }).toEqual({ what, leaked: false });
      }

      await server.stop();
      const stdout = server.stdout();
      const stderr = server.stderr();
      // The process logged, emitted metrics (EMF, at LOG_LEVEL=DEBUG) and an access log line per request,
      // so there was output to leak into.
      expect(stdout).toContain('"CloudWatchMetrics"');
      expect(stdout).toMatch(/ POST \/credentials 201 /);
      expect(stdout).toMatch(/"Checks":1/);
      expect(stdout).toContain('request refused');
      for (const [name, text] of [
        ['stdout', stdout],
        ['stderr', stderr],
      ] as const) {
        const lines = text.split('\n').filter((line) => line.includes(CANARY));
        expect({ name, lines }).toEqual({ name, lines: [] });
      }

      const files = await filesUnder(dataDir);
      const names = files.map((f) => f.path.slice(dataDir.length + 1));
      expect(names).toContain('secrets/secret.key');
      expect(names.filter((n) => /^secrets\/[0-9a-f]{64}\.json$/.test(n)).length).toBeGreaterThanOrEqual(5);
      expect(names.some((n) => n.startsWith('dynamodb/'))).toBe(true);
      const dynamo = Buffer.concat(files.filter((f) => f.path.includes('/dynamodb/')).map((f) => f.bytes));
      expect(dynamo.includes(MARKER)).toBe(true);
      const canary = Buffer.from(CANARY);
      const leaking = files.filter((f) => f.bytes.includes(canary)).map((f) => f.path);
      expect(leaking).toEqual([]);
    });
  });
});
