// End to end: what `credval serve` stores under DATA_DIR survives a restart of the process: credentials,
// their history, their secrets (a re-check still authenticates), Idempotency-Key records, and the generated
// API token (printed only at the first start).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  api,
  HOOK_TIMEOUT_MS,
  type ServerProcess,
  startServerProcess,
} from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { dolibarrRecordedConfig } from '../simulators/fixtures.ts';

const RUN = randomBytes(6).toString('hex');
const CANARY = `canary-e2e-${RUN}`;
const KEY_ADMIN = `${CANARY}-admin`;
const KEY_CLERK = `${CANARY}-clerk`;

let dataDir: string;
let dol: DolibarrSimulator;
const servers: ServerProcess[] = [];

async function start(): Promise<ServerProcess> {
  const server = await startServerProcess({ dataDir });
  servers.push(server);
  return server;
}

async function allFiles(dir: string): Promise<Array<{ path: string; bytes: Buffer }>> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else if (entry.isFile()) out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

beforeAll(async () => {
  const config = dolibarrRecordedConfig({ failureDelayMs: 20 });
  config.users.push(
    { id: 31, login: 'restart-admin', apiKey: KEY_ADMIN, admin: true },
    { id: 32, login: 'restart-clerk', apiKey: KEY_CLERK, rights: ['user.self.creer', 'societe.lire'] },
  );
  [dol, dataDir] = await Promise.all([
    startDolibarrSimulator(config),
    mkdtemp(join(tmpdir(), 'credval-e2e-restart-')),
  ]);
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const server of servers) await server.stop();
  await dol?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe('credval serve restarted on the same DATA_DIR', () => {
  it('keeps credentials, history, secrets, idempotency records and the generated token', async () => {
    // First start: a token is generated, printed once and kept (0600) in the data dir.
    const first = await start();
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const token = first.token as string;
    expect(first.stderr()).toContain(
      `token:   ${token}   (tenant "local"; shown once, kept in the data dir)`,
    );
    const tokenFile = join(dataDir, 'api-token.json');
    expect(JSON.parse(await readFile(tokenFile, 'utf8'))).toEqual({ token, tenant: 'local' });
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);

    const v1: Api = api(first.url, token);
    const create = (name: string, apiKey: string, key: string) =>
      v1('/credentials', {
        body: { connector: 'dolibarr', name, fields: { baseUrl: dol.url, apiKey } },
        headers: { 'idempotency-key': key },
      });
    const admin = await create('admin before restart', KEY_ADMIN, `restart-${RUN}-1`);
    const clerk = await create('clerk before restart', KEY_CLERK, `restart-${RUN}-2`);
    expect([admin.status, clerk.status]).toEqual([201, 201]);
    const recheck = await v1(`/credentials/${admin.json.id}/validate`, { method: 'POST' });
    expect(recheck.json).toMatchObject({ status: 'valid', version: 2 });
    const listBefore = await v1('/credentials');
    const historyBefore = await v1(`/credentials/${admin.json.id}/checks`);
    expect(historyBefore.json.items.map((h: { trigger: string }) => h.trigger)).toEqual(['manual', 'create']);
    expect(listBefore.json.items).toHaveLength(2);

    await first.stop();
    expect(await first.exited).toBe(0);
    // The old port no longer answers.
    await expect(fetch(`${first.url}/health`)).rejects.toThrow();

    // Second start on the same directory: the same token, not printed again.
    const second = await start();
    expect(second.url).not.toBe('');
    expect(second.token).toBe(token);
    expect(second.stderr()).not.toContain(token);
    expect(second.stderr()).toContain(`the one printed at the first start (in ${dataDir}/api-token.json)`);
    expect(JSON.parse(await readFile(tokenFile, 'utf8'))).toEqual({ token, tenant: 'local' });

    const v2: Api = api(second.url, token);
    expectAuthorized(await v2('/connectors'));
    expectUnauthorized(await api(second.url, `${token}x`)('/connectors'));

    // Credentials and history, exactly as they were.
    expect((await v2('/credentials')).json).toEqual(listBefore.json);
    expect((await v2(`/credentials/${admin.json.id}`)).json).toEqual(recheck.json);
    expect((await v2(`/credentials/${admin.json.id}/checks`)).json).toEqual(historyBefore.json);

    // The secrets: a re-check sends the stored keys to the vendor and still works.
    dol.reset();
    const adminAgain = await v2(`/credentials/${admin.json.id}/validate`, { method: 'POST' });
    const clerkAgain = await v2(`/credentials/${clerk.json.id}/validate`, { method: 'POST' });
    expect(adminAgain.json).toMatchObject({
      status: 'valid',
      version: 3,
      lastCheck: { verdict: 'valid', identity: { login: 'restart-admin' } },
    });
    expect(clerkAgain.json).toMatchObject({ status: 'valid', version: 2, lastCheck: { verdict: 'valid' } });
    expect(new Set(dol.requests.map((r) => r.headers.dolapikey))).toEqual(new Set([KEY_ADMIN, KEY_CLERK]));
    expect(
      (await v2(`/credentials/${admin.json.id}/checks`)).json.items.map(
        (h: { trigger: string }) => h.trigger,
      ),
    ).toEqual(['manual', 'manual', 'create']);

    // An Idempotency-Key used before the restart still replays the first answer.
    dol.reset();
    const replay = await v2('/credentials', {
      body: {
        connector: 'dolibarr',
        name: 'admin before restart',
        fields: { baseUrl: dol.url, apiKey: KEY_ADMIN },
      },
      headers: { 'idempotency-key': `restart-${RUN}-1` },
    });
    expect(replay.status).toBe(201);
    expect(replay.json.id).toBe(admin.json.id);
    expect(dol.requests).toEqual([]);
    expect((await v2('/credentials')).json.items).toHaveLength(2);

    await second.stop();
    expect(await second.exited).toBe(0);

    // A third start prints no token either.
    const third = await start();
    expect(third.token).toBe(token);
    expect(third.stderr()).not.toContain(token);
    expect((await api(third.url, token)('/credentials')).json.items).toHaveLength(2);
    await third.stop();

    // No secret in any output of the three processes, nor in any file.
    for (const server of servers) {
      // Each process logged its requests (the access log), so there was output to leak into.
      expect(server.stdout()).toMatch(/ GET \/credentials 200 [\d.]+ ms correlation-id=/);
      expect(server.stdout()).not.toContain(CANARY);
      expect(server.stderr()).not.toContain(CANARY);
    }
    const files = await allFiles(dataDir);
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => f.bytes.includes(CANARY)).map((f) => f.path)).toEqual([]);
  }, 90_000);
});

function expectAuthorized(answer: { status: number }) {
  expect(answer.status).toBe(200);
}

function expectUnauthorized(answer: { status: number; json: { code: string } }) {
  expect(answer.status).toBe(401);
  expect(answer.json.code).toBe('unauthorized');
}
