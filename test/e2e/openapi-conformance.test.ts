// The OpenAPI document against `credval serve`: one request for every status and problem code the document lists
// for each operation that a local run can produce. The api() helper checks each answer against the document
// (status, headers, body: test/helpers/openapi-conformance.ts); the last test checks that nothing the document
// promises went unseen, but for the answers named in NOT_LOCAL, which only AWS or an injected fault produce.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  type ApiAnswer,
  api,
  HOOK_TIMEOUT_MS,
  startServerProcess,
} from '../helpers/local-server.ts';
import { servedDocumentConformance } from '../helpers/openapi-conformance.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { dolibarrRecordedConfig } from '../simulators/fixtures.ts';

const TOKEN = 'conformance-token-0123456789';
const KEY = 'conformance-dolibarr-key';
const WRONG_KEY = 'conformance-wrong-key';
const BLOCKED_URL = 'http://10.0.0.1';
const UNREACHABLE_URL = 'http://127.0.0.1:9';
const MISSING_ID = '00000000-0000-4000-8000-000000000000';
/** Each answer of the slow vendor waits this long: long enough for a second request to overtake the first. */
const SLOW_MS = 400;

/** Documented answers a local run cannot produce, and where they are exercised instead. */
const NOT_LOCAL: Array<[RegExp, string]> = [
  [/ 429$/, "API Gateway's throttling, on AWS only"],
  [/ 503 storage_unavailable$/, 'a failing store: test/service injects it at every storage step'],
  [/ 409 conflict$/, 'a collision inside the store: test/store and test/service'],
  [
    /^updateCredential 409 managed_externally$/,
    'a credential registered by a CredentialCheck resource (the register-credential function, on AWS only): test/service/registered-credentials.test.ts',
  ],
  [
    /^deleteCredential 409 version_conflict$/,
    'a delete whose item changed between its read and its conditional delete: a race too narrow to aim at over HTTP (test/e2e/write-path.test.ts races for it)',
  ],
];

let dataDir: string;
let server: Awaited<ReturnType<typeof startServerProcess>>;
let dol: DolibarrSimulator;
let slow: DolibarrSimulator;
let call: Api;
let anonymous: Api;

const users = () => {
  const config = dolibarrRecordedConfig({ failureDelayMs: 10 });
  config.users.push({ id: 31, login: 'conformance', apiKey: KEY, admin: false, rights: ['societe.lire'] });
  return config;
};
const fields = (baseUrl: string, apiKey = KEY) => ({ baseUrl, apiKey });
const created = (name: string, baseUrl = dol.url, apiKey = KEY) => ({
  connector: 'dolibarr',
  name,
  fields: fields(baseUrl, apiKey),
});
const tooLarge = { connector: 'dolibarr', name: 'huge', fields: fields('http://x', 'k'.repeat(2 << 20)) };

function expectAnswer(answer: ApiAnswer, status: number, code?: string): void {
  expect({ status: answer.status, code: answer.json?.code }).toEqual({ status, code });
}

/** Waits until the slow vendor has received a request: the request that sent it is now in progress. */
async function vendorReached(count: number): Promise<void> {
  for (let i = 0; i < 500 && slow.requests.length < count; i += 1)
    await new Promise((r) => setTimeout(r, 10));
  expect(slow.requests.length).toBeGreaterThanOrEqual(count);
}

beforeAll(async () => {
  [dol, slow, dataDir] = await Promise.all([
    startDolibarrSimulator(users()),
    startDolibarrSimulator({ ...users(), latencyMs: SLOW_MS }),
    mkdtemp(join(tmpdir(), 'credval-e2e-openapi-')),
  ]);
  server = await startServerProcess({ dataDir, env: { LOCAL_API_TOKENS: `${TOKEN}:conformance` } });
  call = api(server.url, TOKEN);
  anonymous = api(server.url, null);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  await Promise.all([dol?.close(), slow?.close()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe('every answer of the OpenAPI document, from the running server', () => {
  let id: string;
  let version: number;

  it('public routes, the catalogue, and 401 on every route that needs a tenant', async () => {
    expectAnswer(await anonymous('/health'), 200);
    expectAnswer(await anonymous('/openapi.json'), 200);
    expectAnswer(await call('/connectors'), 200);
    for (const [path, method, body] of [
      ['/connectors', 'GET'],
      ['/validations', 'POST', {}],
      ['/credentials', 'POST', {}],
      ['/credentials', 'GET'],
      [`/credentials/${MISSING_ID}`, 'GET'],
      [`/credentials/${MISSING_ID}`, 'PATCH', {}],
      [`/credentials/${MISSING_ID}`, 'DELETE'],
      [`/credentials/${MISSING_ID}/validate`, 'POST'],
      [`/credentials/${MISSING_ID}/checks`, 'GET'],
    ] as const) {
      expectAnswer(await anonymous(path, { method, ...(body ? { body } : {}) }), 401, 'unauthorized');
    }
  });

  it("the router's own answers, before any operation: 404, 405, and 400 for a path that is not percent-encoding", async () => {
    expectAnswer(await call('/nope'), 404, 'not_found');
    expectAnswer(await call('/credentials', { method: 'PUT', body: {} }), 405, 'method_not_allowed');
    expectAnswer(await call('/credentials/%ZZ', { method: 'PUT', body: {} }), 400, 'invalid_input');
    expectAnswer(await call('/credentials/%ZZ/checks', { method: 'DELETE' }), 400, 'invalid_input');
  });

  it('POST /validations: 200 whatever the verdict, 400, 413, 415', async () => {
    expectAnswer(
      await call('/validations', { body: { connector: 'dolibarr', fields: fields(dol.url) } }),
      200,
    );
    expectAnswer(await call('/validations', { body: { connector: 'dolibarr' } }), 400, 'invalid_input');
    expectAnswer(await call('/validations', { body: '{"connector":' }), 400, 'invalid_json');
    expectAnswer(await call('/validations', { body: tooLarge }), 413, 'body_too_large');
    expectAnswer(
      await call('/validations', { body: '{}', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
  });

  it('POST /credentials: 201, and each refusal', async () => {
    const stored = await call('/credentials', { body: created('conformance') });
    expectAnswer(stored, 201);
    id = stored.json.id;
    version = stored.json.version;

    expectAnswer(await call('/credentials', { body: { connector: 'dolibarr' } }), 400, 'invalid_input');
    expectAnswer(await call('/credentials', { body: '{' }), 400, 'invalid_json');
    expectAnswer(await call('/credentials', { body: tooLarge }), 413, 'body_too_large');
    expectAnswer(
      await call('/credentials', { body: '{}', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
    expectAnswer(
      await call('/credentials', { body: created('wrong', dol.url, WRONG_KEY) }),
      422,
      'credential_invalid',
    );
    expectAnswer(
      await call('/credentials', { body: created('blocked', BLOCKED_URL) }),
      422,
      'destination_not_allowed',
    );
    expectAnswer(
      await call('/credentials', { body: created('unreachable', UNREACHABLE_URL) }),
      503,
      'check_inconclusive',
    );

    const key = { 'idempotency-key': 'conformance-key-1' };
    const first = call('/credentials', { body: created('idempotent', slow.url), headers: key });
    await vendorReached(1);
    expectAnswer(
      await call('/credentials', { body: created('idempotent', slow.url), headers: key }),
      409,
      'idempotency_in_progress',
    );
    expectAnswer(await first, 201);
    expectAnswer(
      await call('/credentials', { body: created('another body', slow.url), headers: key }),
      422,
      'idempotency_key_reused',
    );
  });

  it('GET /credentials, /credentials/{id} and /credentials/{id}/checks: 200, 400, 404', async () => {
    expectAnswer(await call('/credentials?limit=1'), 200);
    const notANumber = await call('/credentials?limit=abc');
    expectAnswer(notANumber, 400, 'invalid_input');
    // A sentence for a person, not zod's "expected number, received NaN".
    expect(notANumber.json.issues).toEqual([
      { field: 'query.limit', message: 'must be a whole number from 1 to 100' },
    ]);
    expectAnswer(await call('/credentials?cursor=abc'), 400, 'invalid_cursor');

    expectAnswer(await call(`/credentials/${id}`), 200);
    expectAnswer(await call(`/credentials/${'x'.repeat(65)}`), 400, 'invalid_input');
    expectAnswer(await call(`/credentials/${MISSING_ID}`), 404, 'not_found');

    expectAnswer(await call(`/credentials/${id}/checks`), 200);
    expectAnswer(await call(`/credentials/${id}/checks?limit=0`), 400, 'invalid_input');
    expectAnswer(await call(`/credentials/${id}/checks?cursor=abc`), 400, 'invalid_cursor');
    expectAnswer(await call(`/credentials/${MISSING_ID}/checks`), 404, 'not_found');
  });

  it('PATCH /credentials/{id}: 200, and each refusal', async () => {
    const path = `/credentials/${id}`;
    const renamed = await call(path, {
      method: 'PATCH',
      body: { name: 'renamed' },
      headers: { 'if-match': `"${version}"` },
    });
    expectAnswer(renamed, 200);
    version = renamed.json.version;

    const patch = (body: unknown, headers: Record<string, string> = {}) =>
      call(path, { method: 'PATCH', body, headers });
    expectAnswer(await patch({ colour: 'blue' }), 400, 'invalid_input');
    expectAnswer(await patch('{"name":'), 400, 'invalid_json');
    expectAnswer(
      await call(`/credentials/${'x'.repeat(65)}`, { method: 'PATCH', body: {} }),
      400,
      'invalid_input',
    );
    expectAnswer(
      await call(`/credentials/${MISSING_ID}`, { method: 'PATCH', body: { name: 'x' } }),
      404,
      'not_found',
    );
    expectAnswer(await patch({ name: 'stale' }, { 'if-match': '"1"' }), 412, 'precondition_failed');
    expectAnswer(await patch(tooLarge), 413, 'body_too_large');
    expectAnswer(await patch('{}', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    expectAnswer(await patch({ fields: { apiKey: WRONG_KEY } }), 422, 'credential_invalid');
    expectAnswer(await patch({ fields: { baseUrl: BLOCKED_URL } }), 422, 'destination_not_allowed');
    expectAnswer(await patch({ fields: { baseUrl: UNREACHABLE_URL } }), 503, 'check_inconclusive');

    // A change that re-checks at the slow vendor, overtaken by a rename: the slower one must not win.
    const before = slow.requests.length;
    const recheck = patch({ fields: { baseUrl: slow.url } });
    await vendorReached(before + 1);
    expectAnswer(await patch({ name: 'overtaking' }), 200);
    expectAnswer(await recheck, 409, 'version_conflict');
  });

  it('POST /credentials/{id}/validate: 200, 400, 404, and 409 when overtaken', async () => {
    const moved = await call(`/credentials/${id}`, {
      method: 'PATCH',
      body: { fields: { baseUrl: slow.url } },
    });
    expectAnswer(moved, 200);
    expectAnswer(
      await call(`/credentials/${'x'.repeat(65)}/validate`, { method: 'POST' }),
      400,
      'invalid_input',
    );
    expectAnswer(await call(`/credentials/${MISSING_ID}/validate`, { method: 'POST' }), 404, 'not_found');

    const before = slow.requests.length;
    const recheck = call(`/credentials/${id}/validate`, { method: 'POST' });
    await vendorReached(before + 1);
    expectAnswer(
      await call(`/credentials/${id}`, { method: 'PATCH', body: { name: 'overtaking again' } }),
      200,
    );
    expectAnswer(await recheck, 409, 'version_conflict');
    const answer = await call(`/credentials/${id}/validate`, { method: 'POST' });
    expectAnswer(answer, 200);
    version = answer.json.version;
  });

  it('DELETE /credentials/{id}: 412, 204, 400, 404', async () => {
    const path = `/credentials/${id}`;
    expectAnswer(
      await call(path, { method: 'DELETE', headers: { 'if-match': '"1"' } }),
      412,
      'precondition_failed',
    );
    expectAnswer(await call(path, { method: 'DELETE', headers: { 'if-match': `"${version}"` } }), 204);
    expectAnswer(await call(path, { method: 'DELETE' }), 404, 'not_found');
    expectAnswer(await call(`/credentials/${'x'.repeat(65)}`, { method: 'DELETE' }), 400, 'invalid_input');
  });

  it('produced every answer the document lists, but for those only AWS or an injected fault give', () => {
    const conformance = servedDocumentConformance();
    const documented = [...conformance.documented()];
    const local = documented.filter((key) => !NOT_LOCAL.some(([pattern]) => pattern.test(key)));
    const unseen = local.filter((key) => !conformance.covered().has(key));
    expect(unseen).toEqual([]);
    // The exceptions still name documented answers, so a stale entry here shows.
    for (const [pattern, why] of NOT_LOCAL) {
      expect({ pattern: String(pattern), why, documented: documented.some((k) => pattern.test(k)) }).toEqual({
        pattern: String(pattern),
        why,
        documented: true,
      });
    }
  });
});
