// Property-based end to end: arbitrary bodies, query strings, ids, paths and headers on every route of
// `credval serve` never produce a 5xx. The only acceptable 5xx is a 503 `check_inconclusive` for a
// well-formed check whose destination is unreachable (a blocked one is a 422 `destination_not_allowed`).
//
// Safety: nothing generated here may make the server leave the machine. Every body goes through `sanitize`,
// which forces each URL-bearing field (baseUrl, serverUrl, apiUrl) to a destination the guarded client refuses
// before connecting (private, link-local, CGNAT, unspecified, IPv6 ULA: IP literals, so no DNS either) or to
// loopback port 1 (connection refused); a Precoro check always gets such an apiUrl, so the regional public host
// is never used. Each report that comes back is checked to have contacted nothing else.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  type ApiAnswer,
  api,
  HOOK_TIMEOUT_MS,
  startServerProcess,
} from '../helpers/local-server.ts';

const TOKEN = 'fuzz-token-0123456789abcdef';
const NUM_RUNS = 100;
const TIMEOUT_MS = 40_000;

/** Destinations the server refuses before connecting, or loopback port 1 (refused by the kernel). */
const BLOCKED = [
  'http://10.0.0.1',
  'http://192.168.1.20:8069',
  'https://169.254.169.254',
  'http://100.64.0.1',
  'http://[fd00::1]',
  'http://0.0.0.0',
  'http://[::ffff:10.0.0.1]',
  'http://0x0a000001',
  'http://[::1]:8069',
  '10.0.0.1',
  '  http://10.0.0.1/api/index.php/  ',
  'http://192.168.1.20:8069/web?db=acme',
  'http://127.0.0.1:1',
];
const SAFE_HOSTNAMES = new Set([
  '10.0.0.1',
  '192.168.1.20',
  '169.254.169.254',
  '100.64.0.1',
  '[fd00::1]',
  '0.0.0.0',
  '[::ffff:a00:1]',
  '[::1]',
]);
const URL_KEYS = ['baseUrl', 'serverUrl', 'apiUrl'];

/** Mirrors the server's URL tidying (trim, https:// when no scheme) and accepts only safe destinations. */
function isSafeUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let text = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  try {
    const url = new URL(text);
    return SAFE_HOSTNAMES.has(url.hostname) || url.host === '127.0.0.1:1';
  } catch {
    return false;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Forces every URL-bearing field of a body to a safe destination (see the file comment). */
function sanitize(body: unknown, pick: number): unknown {
  if (!isObject(body) || !isObject(body.fields)) return body;
  const fields: Record<string, unknown> = { ...body.fields };
  const safe = BLOCKED[pick % BLOCKED.length] as string;
  for (const key of URL_KEYS) {
    if (Object.hasOwn(fields, key) && fields[key] !== null && !isSafeUrl(fields[key])) fields[key] = safe;
  }
  if (body.connector === 'precoro' && !isSafeUrl(fields.apiUrl)) fields.apiUrl = safe;
  return { ...body, fields };
}

function parsesToObject(text: string): boolean {
  try {
    return isObject(JSON.parse(text));
  } catch {
    return false;
  }
}

/** A raw body: sanitized when it happens to be a JSON object, as the server would read it. */
function sanitizeRaw(text: string, pick: number): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) return JSON.stringify(sanitize(parsed, pick));
  } catch {
    // Not JSON: sent as it is.
  }
  return text;
}

// --- arbitraries -------------------------------------------------------------------------------------------
const text = fc.string({ maxLength: 30 });
const unicode = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constantFrom(
    '\ud800',
    'a\udfffb',
    '\u0000',
    'x'.repeat(201),
    ' \t\n ',
    '"; DROP TABLE',
    '$\u007Bx}',
    '__proto__',
  ),
);
const json = fc.jsonValue({ maxDepth: 2 });
const anything = fc.oneof(text, unicode, json);
const blockedUrl = fc.oneof(
  fc.constantFrom(...BLOCKED),
  fc
    .tuple(fc.constantFrom(...BLOCKED.filter((u) => u === u.trim())), fc.constantFrom('/', '?', '#'), text)
    .map(([base, sep, rest]) => `${base}${sep}${encodeURIComponent(rest)}`),
);
const urlValue = fc.oneof({ weight: 4, arbitrary: blockedUrl }, fc.constant(null), anything);
const secret = fc.oneof({ weight: 3, arbitrary: text.map((s) => `fuzz-secret-${s}`) }, anything);
const connectorName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('dolibarr', 'odoo', 'precoro') },
  fc.constantFrom('Dolibarr', ' odoo', 'sap', ''),
  anything,
);
/** Usually a value that fits its place, sometimes anything at all. */
const mostly = <T>(good: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: anything });
/** Now and then, unknown keys next to the known ones. */
const extraKeys = fc.oneof(
  { weight: 5, arbitrary: fc.constant(null) },
  fc.dictionary(fc.oneof(text, fc.constantFrom('__proto__', 'constructor')), json, { maxKeys: 2 }),
);
const withExtra = <T extends Record<string, unknown>>(base: fc.Arbitrary<T>) =>
  fc.tuple(base, extraKeys).map(([b, extra]) => (extra ? { ...extra, ...b } : b));
const secretText = text.map((s) => `fuzz-secret-${s}`);
const word = fc.string({ minLength: 1, maxLength: 30 });

const dolibarrFields = fc.record(
  {
    baseUrl: mostly(blockedUrl),
    apiKey: mostly(secretText),
    entity: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 1e10 }).map(String) }, fc.nat(), anything),
  },
  { requiredKeys: ['baseUrl', 'apiKey'] },
);
const odooFields = fc.record({
  serverUrl: mostly(blockedUrl),
  database: mostly(word),
  username: mostly(fc.oneof(word, fc.emailAddress())),
  password: mostly(secretText),
});
const precoroFields = fc.record(
  {
    apiToken: mostly(secretText),
    email: mostly(fc.constantFrom('buyer@example.com', 'a@b.co', 'x.y+z@sub.example.org')),
    region: mostly(fc.constantFrom('com', 'us', 'US', 'app.precoro.us', 'international', '')),
    apiUrl: urlValue,
  },
  { requiredKeys: ['apiToken', 'email'] },
);
/** Any fields at all, including the wrong connector's and missing ones. */
const looseFields = fc.oneof(
  fc.record(
    { baseUrl: urlValue, apiKey: secret, serverUrl: urlValue, password: secret, apiToken: secret },
    { requiredKeys: [] },
  ),
  json,
);
const requirement = fc.record({
  resource: mostly(fc.oneof(fc.constantFrom('thirdparties', 'res.partner', 'purchaseorders', 'users'), word)),
  access: mostly(fc.subarray(['read', 'write'] as string[], { minLength: 1 })),
});
const requirements = fc.oneof(
  { weight: 8, arbitrary: fc.array(requirement, { maxLength: 3 }) },
  fc.array(requirement, { minLength: 51, maxLength: 52 }),
  json,
);
/** A check request: mostly well-formed for one connector, sometimes mismatched or loose. */
const checkRequest = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ connector: fc.constant('dolibarr'), fields: withExtra(dolibarrFields) }),
  },
  { weight: 3, arbitrary: fc.record({ connector: fc.constant('odoo'), fields: withExtra(odooFields) }) },
  {
    weight: 3,
    arbitrary: fc.record({ connector: fc.constant('precoro'), fields: withExtra(precoroFields) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ connector: connectorName, fields: looseFields }, { requiredKeys: [] }),
  },
);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops the undefined members (absent keys). */
const present = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const validateBody = fc.oneof(
  {
    weight: 6,
    arbitrary: withExtra(
      fc
        .tuple(checkRequest, optional(requirements))
        .map(([check, reqs]) => present({ ...check, requirements: reqs })),
    ),
  },
  json,
);
const createBody = fc.oneof(
  {
    weight: 6,
    arbitrary: withExtra(
      fc
        .tuple(
          checkRequest,
          optional(requirements),
          mostly(word),
          optional(fc.oneof(text, unicode, json)),
          fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, optional(fc.oneof(fc.boolean(), json))),
        )
        .map(([check, reqs, name, description, allowUnverified]) =>
          present({ ...check, requirements: reqs, name, description, allowUnverified }),
        ),
    ),
  },
  json,
);
/** One change a PATCH may carry: rename, edit a field, rotate a secret, clear a field, change requirements. */
const patchChange = fc.oneof(
  fc.record({ name: mostly(word) }),
  fc.record({ description: fc.oneof(text, unicode, json) }),
  fc.record({
    fields: fc.oneof(
      fc.record({ baseUrl: fc.oneof(blockedUrl, fc.constant(null)) }),
      fc.record({ serverUrl: fc.oneof(blockedUrl, fc.constant(null)) }),
      fc.record({ entity: fc.oneof(fc.nat().map(String), fc.nat(), fc.constant(null), fc.constant('')) }),
      fc.record({ apiKey: fc.oneof(secretText, fc.constant(null), fc.constant('')) }),
      fc.record({ password: fc.oneof(secretText, fc.constant(null)) }),
      fc.record({ database: mostly(word), username: mostly(word) }, { requiredKeys: [] }),
      fc.record(
        { baseUrl: urlValue, serverUrl: urlValue, apiKey: secret, password: secret, apiUrl: urlValue },
        { requiredKeys: [] },
      ),
      json,
    ),
  }),
  fc.record({ requirements }),
);
const patchBody = fc.oneof(
  {
    weight: 6,
    arbitrary: withExtra(
      fc
        .tuple(
          fc.array(patchChange, { minLength: 1, maxLength: 3 }),
          optional(fc.oneof({ weight: 4, arbitrary: fc.boolean() }, json)),
        )
        .map(([changes, allowUnverified]) => present({ ...Object.assign({}, ...changes), allowUnverified })),
    ),
  },
  json,
);
/** Strings as bodies; JSON objects are left to the structured properties. */
const rawBody = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '{',
    '{"a":',
    '[1,2',
    'null',
    'true',
    '"x"',
    '1e999',
    '{"connector":"dolibarr"',
    '\u0000',
  ),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
);
/** Header values fetch can send (Latin-1, no CR/LF). */
const headerValue = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const ifMatch = fc.option(
  fc.oneof(
    headerValue,
    fc.nat({ max: 20 }).map((n) => `"${n}"`),
    fc.constantFrom('*', 'W/"1"', '"999999999999"', '"1", "2"'),
  ),
  { freq: 3 },
);
const idempotencyKey = fc.option(
  fc.oneof(headerValue, fc.constantFrom('k'.repeat(256), 'fixed-key-1', 'fixed-key-2')),
  { freq: 2 },
);
/** Path segments: mostly encoded, sometimes raw (broken percent-encoding included). */
const idSegment = fc.oneof(
  fc.uuid(),
  text.map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 10 }).map(encodeURIComponent),
  fc.constantFrom('%ZZ', '%E0%A4%A', '%00', '..', '.', '%2F', 'a%2Fb', 'x'.repeat(65), '-', '0'),
);
const queryPart = fc.oneof(
  fc
    .dictionary(
      fc.oneof(fc.constantFrom('limit', 'cursor', 'connector', 'status'), text),
      fc.oneof(
        text,
        fc.integer().map(String),
        fc.constantFrom('0', '1', '100', '101', '-1', '1.5', 'valid', 'unverified', 'dolibarr', ''),
        json.map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
        fc.record({ pk: text, sk: text }).map((k) => Buffer.from(JSON.stringify(k)).toString('base64url')),
      ),
      { maxKeys: 4 },
    )
    .map((q) => new URLSearchParams(q).toString()),
  text.map((s) => s.replace(/#/g, '%23')),
  fc.constantFrom(
    'limit=1&limit=2',
    '%ZZ=1',
    'limit=%ZZ',
    '&&&',
    '=',
    'cursor=',
    'status=valid&status=invalid',
  ),
);

// --- server ------------------------------------------------------------------------------------------------
let dataDir: string;
let server: Awaited<ReturnType<typeof startServerProcess>>;
let call: Api;
let stored: { dolibarr: string; odoo: string };
const statuses = new Map<string, Map<number, number>>();

function tally(route: string, status: number): void {
  const byStatus = statuses.get(route) ?? new Map<number, number>();
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  statuses.set(route, byStatus);
}

/** Every report contacted nothing but a blocked or refused loopback destination. */
function expectSafeReport(report: {
  verdict: string;
  reason: string | null;
  probes: Array<{ url: string; outcome: string }>;
}) {
  expect(report.verdict).toBe('inconclusive');
  expect(['blocked_destination', 'endpoint_unreachable']).toContain(report.reason);
  for (const probe of report.probes) {
    const url = new URL(probe.url);
    expect(SAFE_HOSTNAMES.has(url.hostname) || url.host === '127.0.0.1:1').toBe(true);
    if (url.host !== '127.0.0.1:1') expect(probe.outcome).toBe('blocked');
  }
}

/** The invariants of every answer; `allowed` lists the statuses this request may get. */
function expectAnswer(route: string, answer: ApiAnswer, allowed: readonly number[]): void {
  tally(route, answer.status);
  expect(allowed).toContain(answer.status);
  expect(answer.headers.get('x-correlation-id')).toMatch(/^[\w.-]{1,64}$/);
  if (answer.status === 204) {
    expect(answer.text).toBe('');
    return;
  }
  if (answer.status >= 400) {
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.json).toMatchObject({ status: answer.status, code: expect.stringMatching(/^[a-z_]+$/) });
    expect(answer.json.code).not.toBe('internal_error');
  } else if (
    route.includes('/credentials/{arbitrary id}') &&
    answer.headers.get('content-type')?.startsWith('text/html')
  ) {
    // `/credentials/..` resolves to `/`, the console page.
    expect(answer.text).toContain('<!doctype html>');
  } else {
    expect(answer.headers.get('content-type')).toBe('application/json');
  }
  if (answer.status === 503) {
    expect(answer.json.code).toBe('check_inconclusive');
    expectSafeReport(answer.json.report);
  }
  if (answer.status === 422) {
    expect(['idempotency_key_reused', 'destination_not_allowed']).toContain(answer.json.code);
    if (answer.json.code === 'destination_not_allowed') {
      expect(answer.json.report.reason).toBe('blocked_destination');
      expectSafeReport(answer.json.report);
    }
  }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'credval-e2e-fuzz-'));
  server = await startServerProcess({ dataDir, env: { LOCAL_API_TOKENS: `${TOKEN}:fuzz` } });
  call = api(server.url, TOKEN);
  const make = async (connector: string, fields: Record<string, string>) => {
    const answer = await call('/credentials', {
      body: { connector, name: `fuzz ${connector}`, fields, allowUnverified: true },
    });
    expect(answer.status).toBe(201);
    return answer.json.id as string;
  };
  stored = {
    dolibarr: await make('dolibarr', { baseUrl: 'http://10.0.0.1', apiKey: 'fuzz-dolibarr-key' }),
    odoo: await make('odoo', {
      serverUrl: 'http://127.0.0.1:1',
      database: 'acme',
      username: 'admin',
      password: 'fuzz-odoo-key',
    }),
  };
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe('arbitrary requests never make credval serve fail (5xx)', () => {
  it(
    'POST /validations with arbitrary JSON bodies',
    async () => {
      await fc.assert(
        fc.asyncProperty(validateBody, fc.nat(), async (body, pick) => {
          const answer = await call('/validations', {
            method: 'POST',
            body: JSON.stringify(sanitize(body, pick)),
          });
          expectAnswer('POST /validations', answer, [200, 400]);
          if (answer.status === 200) expectSafeReport(answer.json);
          else expect(answer.json.code).toBe('invalid_input');
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'POST /credentials with arbitrary JSON bodies and Idempotency-Keys',
    async () => {
      await fc.assert(
        fc.asyncProperty(createBody, fc.nat(), idempotencyKey, async (body, pick, key) => {
          const safe = sanitize(body, pick);
          const answer = await call('/credentials', {
            method: 'POST',
            body: JSON.stringify(safe),
            headers: key === null ? {} : { 'idempotency-key': key },
          });
          expectAnswer('POST /credentials', answer, [201, 400, 422, 503]);
          if (answer.status === 201) {
            expect((safe as { allowUnverified?: unknown }).allowUnverified).toBe(true);
            expect(answer.json).toMatchObject({ status: 'unverified', version: 1 });
            expect(answer.headers.get('location')).toBe(`/credentials/${answer.json.id}`);
            expectSafeReport(answer.json.lastCheck);
          }
          if (answer.json?.code === 'idempotency_key_reused') expect(key).not.toBeNull();
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'PATCH /credentials/{id} with arbitrary JSON bodies and If-Match headers',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          patchBody,
          fc.nat(),
          fc.constantFrom('dolibarr', 'odoo') as fc.Arbitrary<'dolibarr' | 'odoo'>,
          ifMatch,
          async (body, pick, which, match) => {
            const answer = await call(`/credentials/${stored[which]}`, {
              method: 'PATCH',
              body: JSON.stringify(sanitize(body, pick)),
              headers: match === null ? {} : { 'if-match': match },
            });
            expectAnswer('PATCH /credentials/{id}', answer, [200, 400, 412, 422, 503]);
            if (answer.status === 200) {
              expect(answer.json.id).toBe(stored[which]);
              expect(answer.json.connector).toBe(which);
              for (const key of URL_KEYS) {
                if (answer.json.fields[key] !== undefined)
                  expect(isSafeUrl(answer.json.fields[key])).toBe(true);
              }
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
      // Whatever was sent, both credentials are still there and readable.
      for (const id of Object.values(stored)) expect((await call(`/credentials/${id}`)).status).toBe(200);
    },
    TIMEOUT_MS,
  );

  it(
    'arbitrary strings as bodies, with arbitrary content types, on every route that takes a body',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          rawBody,
          contentType,
          fc.nat(),
          fc.constantFrom('POST /validations', 'POST /credentials', 'PATCH /credentials/{id}'),
          async (raw, type, pick, route) => {
            const [method, template] = route.split(' ') as [string, string];
            const path = template.replace('{id}', stored.dolibarr);
            const body = sanitizeRaw(raw, pick);
            const answer = await call(path, { method, body, headers: { 'content-type': type } });
            // A string that happens to be a JSON object may pass as a request: bound by the structured cases.
            const allowed = parsesToObject(raw) ? [200, 201, 400, 415, 422, 503] : [400, 415];
            expectAnswer(route, answer, allowed);
          },
        ),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'GET /credentials and GET /credentials/{id}/checks with arbitrary query strings',
    async () => {
      await fc.assert(
        fc.asyncProperty(queryPart, fc.boolean(), async (query, checks) => {
          const path = checks ? `/credentials/${stored.odoo}/checks` : '/credentials';
          const answer = await call(`${path}?${query}`);
          expectAnswer(checks ? 'GET /credentials/{id}/checks' : 'GET /credentials', answer, [200, 400]);
          if (answer.status === 200) {
            expect(Array.isArray(answer.json.items)).toBe(true);
            expect(answer.json.nextCursor === null || typeof answer.json.nextCursor === 'string').toBe(true);
          } else {
            expect(['invalid_input', 'invalid_cursor']).toContain(answer.json.code);
          }
        }),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'arbitrary ids on GET, PATCH, DELETE, validate and checks',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          idSegment,
          fc.constantFrom('GET', 'PATCH', 'DELETE', 'POST validate', 'GET checks'),
          ifMatch,
          async (id, what, match) => {
            const [method, suffix] = what.split(' ') as [string, string | undefined];
            const path = `/credentials/${id}${suffix ? `/${suffix}` : ''}`;
            const answer = await call(path, {
              method,
              ...(method === 'PATCH' ? { body: { name: 'renamed by fuzz' } } : {}),
              headers: match === null ? {} : { 'if-match': match },
            });
            // Fetch resolves dot segments and %2F stays encoded, so some ids reach other routes (404, 405), and
            // `/credentials/..` is the public console page at `/`.
            const lands = new URL(path, 'http://x').pathname;
            expectAnswer(
              `${what} /credentials/{arbitrary id}`,
              answer,
              lands === '/' ? [200, 405] : [400, 404, 405, 412],
            );
          },
        ),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'arbitrary methods and paths',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
          fc.array(
            fc.oneof(
              fc.constantFrom('credentials', 'validations', 'health', 'checks', 'validate'),
              idSegment,
            ),
            {
              maxLength: 4,
            },
          ),
          fc.boolean(),
          async (method, segments, authenticated) => {
            const answer = await call(`/${segments.join('/')}`, {
              method,
              ...(authenticated ? {} : { token: null }),
              ...(['POST', 'PUT', 'PATCH'].includes(method) ? { body: '{}' } : {}),
            });
            tally('any', answer.status);
            expect(answer.status).toBeLessThan(500);
            if (answer.status >= 400) {
              expect(answer.headers.get('content-type')).toBe('application/problem+json');
              expect(answer.json.status).toBe(answer.status);
            }
          },
        ),
        { numRuns: NUM_RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it('logged no failed request and is still serving', async () => {
    expect((await call('/health', { token: null })).json).toEqual({ status: 'ok' });
    const errors = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"level":"ERROR"') || line.includes('request failed'));
    expect(errors).toEqual([]);
    // The properties above really reached the checks and the store, not only the validation layer.
    expect(statuses.get('POST /validations')?.get(200)).toBeGreaterThan(5);
    expect(statuses.get('POST /credentials')?.get(201)).toBeGreaterThan(0);
    expect(statuses.get('PATCH /credentials/{id}')?.get(200)).toBeGreaterThan(0);
  });
});
