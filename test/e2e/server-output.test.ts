// End to end: what `credval serve` prints for a person, and one server per DATA_DIR.
//  - At LOG_LEVEL=INFO: the start-up message, then one access line per request (never a query, token or
//    body), without the EMF metric lines and without the AWS SDK's Node-version notice.
//  - At LOG_LEVEL=DEBUG: the metrics and the notice are back.
//  - A second server on a DATA_DIR in use exits at once with a message naming DATA_DIR; a lock left by a
//    process that is gone is taken over.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliProcess } from '../helpers/cli.ts';
import { api, HOOK_TIMEOUT_MS, type ServerProcess, startServerProcess } from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';

const TOKEN = 'output-test-token-3c4d5e6f';
const CANARY = 'output-canary-key-8a7b6c5d4e';
const QUERY_SECRET = 'query-canary-1f2e3d';
const ACCESS_LINE =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ([A-Z]+) (\S+) (\d{3}) \d+(?:\.\d)? ms correlation-id=(\S+)$/;
/** The SDK prints its notice only on Node before 22 (Lambda runs 22). */
const SDK_NOTICE_EXPECTED = Number(process.versions.node.split('.')[0]) < 22;

let dol: DolibarrSimulator;
const dirs: string[] = [];
const servers: ServerProcess[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'credval-e2e-output-'));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({ dataDir, env: { LOCAL_API_TOKENS: `${TOKEN}:t1`, ...env } });
  servers.push(server);
  return server;
}

const accessLines = (server: ServerProcess) =>
  server
    .stdout()
    .split('\n')
    .filter((line) => ACCESS_LINE.test(line));

/** A few requests of every kind: public, refused, with a query, with a body that holds a secret. */
async function exercise(server: ServerProcess) {
  const call = api(server.url, TOKEN);
  return [
    await call('/health', { token: null }),
    await call(`/connectors?secret=${QUERY_SECRET}`),
    await call('/credentials', { token: 'wrong-token-0000' }),
    await call('/validations', {
      body: { connector: 'dolibarr', fields: { baseUrl: dol.url, apiKey: CANARY } },
    }),
    await call('/no-such-route'),
  ];
}

beforeAll(async () => {
  dol = await startDolibarrSimulator({ users: [], failureDelayMs: 10 });
}, HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const server of servers) await server.stop();
  await dol?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT_MS);

describe('credval serve output', () => {
  it('at LOG_LEVEL=INFO: one access line per request, no metrics, no SDK notice, no secret', async () => {
    const server = await start(await tempDir(), { LOG_LEVEL: 'INFO' });
    const answers = await exercise(server);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 401, 200, 404]);
    // Each line is written once its answer is sent and comes through a pipe: allow it a moment.
    await vi.waitFor(() => expect(accessLines(server)).toHaveLength(answers.length), { timeout: 5_000 });
    await server.stop();

    const lines = server.stdout().split('\n').filter(Boolean);
    const access = accessLines(server);
    expect(
      access.map((line) => {
        const [, method, path, status] = ACCESS_LINE.exec(line) ?? [];
        return `${method} ${path} ${status}`;
      }),
    ).toEqual([
      'GET /health 200',
      'GET /connectors 200',
      'GET /credentials 401',
      'POST /validations 200',
      'GET /no-such-route 404',
    ]);
    expect(access.map((line) => ACCESS_LINE.exec(line)?.[4])).toEqual(
      answers.map((a) => a.headers.get('x-correlation-id')),
    );
    // Everything else on stdout is a structured log line (the refusals), never a metric.
    for (const line of lines.filter((l) => !ACCESS_LINE.test(l))) {
      expect(JSON.parse(line)).toHaveProperty('level');
    }
    expect(server.stdout()).not.toContain('CloudWatchMetrics');
    expect(server.stderr()).not.toContain('NodeVersionSupportWarning');
    expect(server.stderr()).toMatch(/^credval is serving /);
    for (const text of [server.stdout(), server.stderr()]) {
      for (const secret of [TOKEN, 'wrong-token-0000', CANARY, QUERY_SECRET])
        expect(text).not.toContain(secret);
    }
  });

  it('at LOG_LEVEL=DEBUG: the EMF metrics and the SDK notice are shown as well', async () => {
    const server = await start(await tempDir(), { LOG_LEVEL: 'DEBUG' });
    await exercise(server);
    await vi.waitFor(() => expect(server.stdout()).toMatch(/ GET \/no-such-route 404 /), { timeout: 5_000 });
    await server.stop();
    expect(server.stdout()).toContain('"CloudWatchMetrics"');
    if (SDK_NOTICE_EXPECTED) expect(server.stderr()).toContain('NodeVersionSupportWarning');
    for (const text of [server.stdout(), server.stderr()]) {
      for (const secret of [TOKEN, CANARY, QUERY_SECRET]) expect(text).not.toContain(secret);
    }
  });

  it('at LOG_LEVEL=WARN: no access log either', async () => {
    const server = await start(await tempDir(), { LOG_LEVEL: 'WARN' });
    expect((await exercise(server))[0]?.status).toBe(200);
    await server.stop();
    expect(
      server
        .stdout()
        .split('\n')
        .filter((line) => ACCESS_LINE.test(line)),
    ).toEqual([]);
  });
});

describe('one server per DATA_DIR', () => {
  it('a second server on a DATA_DIR in use exits with a message naming it; the first keeps serving', async () => {
    const dataDir = await tempDir();
    const first = await start(dataDir);
    // It must exit on its own: one that keeps serving is killed at runCliProcess's timeout and fails here.
    const second = await runCliProcess(['serve'], '', {
      PORT: '0',
      DATA_DIR: dataDir,
      LOCAL_API_TOKENS: `${TOKEN}:t1`,
    });
    expect(second.code).toBe(70);
    expect(second.stderr).toBe(
      `credval: the server could not start: DATA_DIR ${dataDir} is in use by another credval server (pid ${first.pid}; lock file ${dataDir}/server.lock). Stop that server first, or give this one another DATA_DIR.\n`,
    );
    expect(second.stdout).toBe('');
    expect((await api(first.url, TOKEN)('/credentials')).status).toBe(200);

    // Stopped, the first server removes its lock, and the data dir can be served again.
    await first.stop();
    await expect(readFile(join(dataDir, 'server.lock'), 'utf8')).rejects.toThrow(/ENOENT/);
    const again = await start(dataDir);
    expect((await api(again.url, TOKEN)('/credentials')).status).toBe(200);
    await again.stop();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dataDir = await tempDir();
    const gone = spawn(process.execPath, ['-e', '0']);
    const pid = gone.pid as number;
    await new Promise((resolve) => gone.once('exit', resolve));
    await writeFile(join(dataDir, 'server.lock'), JSON.stringify({ pid, startedAt: '2026-01-01T00:00:00Z' }));
    const server = await start(dataDir);
    expect(JSON.parse(await readFile(join(dataDir, 'server.lock'), 'utf8')).pid).toBe(server.pid);
    expect((await api(server.url, TOKEN)('/health', { token: null })).status).toBe(200);
    await server.stop();
  });
});
