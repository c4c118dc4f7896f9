// `credval secrets migrate` end to end on local storage: the encrypted file store (Secrets Manager's stand-in)
// to the envelope store with the local key file, and back, through the real server before and after, which must
// read every credential from where it now is. A dry run changes nothing; a rerun writes nothing twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local-server.ts';
import { progressBar } from '../../bin/secrets-command.ts';
import { parseEnvironment } from '../../shared/app/environment.ts';
import { openStorage, type SecretStoreKind } from '../../shared/app/storage.ts';
import { runCli } from '../helpers/cli.ts';
import { api } from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { dolibarrClerks } from '../simulators/fixtures.ts';

const TOKEN = 'migrate-token-0123456789';
const TENANT = 'movers';
const KEYS = Array.from({ length: 4 }, (_, i) => `migrate-key-${i}-0a1b2c3d4e5f6789`);

describe('credval secrets migrate (local storage)', () => {
  let dolibarr: DolibarrSimulator;
  let dataDir: string;
  let env: Record<string, string>;
  const ids: { plain: string; rotated: string; deleted: string } = { plain: '', rotated: '', deleted: '' };

  const serve = (secretStore: SecretStoreKind): Promise<LocalServer> =>
    startLocalServer(
      parseEnvironment({
        ...env,
        PORT: '0',
        LOG_LEVEL: 'SILENT',
        SWEEP_INTERVAL: '1h',
        SECRET_STORE: secretStore,
      }),
      { accessLog: null },
    );
  const migrate = (...args: string[]) => runCli(['secrets', 'migrate', ...args], null, env);
  /** Logins the vendor saw for each credential's stored secret, through a running server. */
  async function loginsThrough(secretStore: SecretStoreKind): Promise<Record<string, string>> {
    const server = await serve(secretStore);
    try {
      const call = api(server.url, TOKEN);
      const logins: Record<string, string> = {};
      for (const id of [ids.plain, ids.rotated]) {
        const answer = await call(`/credentials/${id}/validate`, { method: 'POST' });
        expect(answer.status, answer.text).toBe(200);
        logins[id] = answer.json.lastCheck.identity.login;
      }
      return logins;
    } finally {
      await server.close();
    }
  }
  async function namesIn(
    kind: SecretStoreKind,
  ): Promise<Array<{ name: string; deletionScheduled: boolean }>> {
    const storage = await openStorage(parseEnvironment({ ...env, SECRET_STORE: kind }), dataDir);
    try {
      return (await storage.secrets.list('credval/', { limit: 100 })).items;
    } finally {
      await storage.close();
    }
  }

  beforeAll(async () => {
    dolibarr = await startDolibarrSimulator({
      users: dolibarrClerks(KEYS, 'Mover'),
      failureDelayMs: 0,
    });
    dataDir = await mkdtemp(join(tmpdir(), 'credval-migrate-'));
    env = {
      DATA_DIR: dataDir,
      LOCAL_API_TOKENS: `${TOKEN}:${TENANT}`,
      EGRESS_ALLOW: '127.0.0.0/8',
      LOG_LEVEL: 'SILENT',
    };
    // Three credentials in the default store: one as created, one rotated (two versions), one deleted.
    const server = await serve('secretsmanager');
    const call = api(server.url, TOKEN);
    const create = async (apiKey: string) => {
      const answer = await call('/credentials', {
        body: { connector: 'dolibarr', name: 'mover', fields: { baseUrl: dolibarr.url, apiKey } },
      });
      expect(answer.status, answer.text).toBe(201);
      return answer.json.id as string;
    };
    ids.plain = await create(KEYS[0] as string);
    ids.rotated = await create(KEYS[1] as string);
    const rotated = await call(`/credentials/${ids.rotated}`, {
      method: 'PATCH',
      body: { fields: { apiKey: KEYS[2] } },
    });
    expect(rotated.status).toBe(200);
    ids.deleted = await create(KEYS[3] as string);
    expect((await call(`/credentials/${ids.deleted}`, { method: 'DELETE' })).status).toBe(204);
    await server.close();
  }, 60_000);
  afterAll(async () => {
    await dolibarr?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists what would move on a dry run, and changes nothing', async () => {
    const run = await migrate('--to', 'envelope', '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^Dry run: nothing changed\. Secrets under credval\/ in the encrypted file store: 3/,
    );
    expect(run.stdout).toContain('would move: 2');
    expect(run.stdout).toContain(`would move: credval/${TENANT}/${ids.plain}`);
    expect(run.stdout).toContain('scheduled for deletion (left to expire): 1');
    expect(await namesIn('envelope')).toEqual([]);
    expect((await namesIn('secretsmanager')).filter((s) => !s.deletionScheduled)).toHaveLength(2);
  });

  it('moves every secret to the envelope store, which the server then reads; a rerun writes nothing', async () => {
    const before = await loginsThrough('secretsmanager');
    const run = await migrate('--to', 'envelope');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('moved: 2');
    expect(run.stdout).toContain('source copies retired: 2 (restorable for 7 days)');
    expect(run.stdout).toContain('Read back from the envelope store (local key file): 2 credentials');
    // No secret value in the output.
    for (const key of KEYS) expect(run.stdout + run.stderr).not.toContain(key);
    expect(await loginsThrough('envelope')).toEqual(before);
    // The rotated credential kept both versions, under their ids: the item's version is current.
    const storage = await openStorage(parseEnvironment({ ...env, SECRET_STORE: 'envelope' }), dataDir);
    try {
      const versions = await storage.secrets.getVersions(`credval/${TENANT}/${ids.rotated}`);
      const item = await storage.repository.get(TENANT, ids.rotated);
      expect(versions.current.id).toBe(item?.secretVersion);
      expect(versions.current.value).toEqual({ apiKey: KEYS[2] });
      expect(versions.previous?.value).toEqual({ apiKey: KEYS[1] });
    } finally {
      await storage.close();
    }
    const again = await migrate('--to', 'envelope');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/\bmoved: /);
    expect(again.stdout).toContain('scheduled for deletion (left to expire): 3');
  }, 60_000);

  it('moves them back (restoring the retired copies), rotated once more in between', async () => {
    const server = await serve('envelope');
    const rotated = await api(server.url, TOKEN)(`/credentials/${ids.plain}`, {
      method: 'PATCH',
      body: { fields: { apiKey: KEYS[3] } },
    });
    expect(rotated.status).toBe(200);
    await server.close();
    // Both at once (--concurrency 2), through the command's option.
    const run = await migrate('--to', 'secretsmanager', '--json', '--concurrency', '2');
    expect(run.code, run.stdout).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      from: 'envelope',
      to: 'secretsmanager',
      retired: 2,
      verified: 2,
      unreadable: 0,
    });
    expect(result.outcomes).toMatchObject({ moved: 2, unsettled: 0, failed: 0 });
    expect(await loginsThrough('secretsmanager')).toEqual({ [ids.plain]: 'user3', [ids.rotated]: 'user2' });
  }, 60_000);

  it('draws a progress bar on a terminal only, and refuses to run beside a server on the same data dir', async () => {
    const tty = await runCli(['secrets', 'migrate', '--to', 'envelope', '--dry-run'], null, env, {
      stderrIsTTY: true,
    });
    expect(tty.code).toBe(0);
    // Drawn only when a run outlasts 250 ms; what it draws:
    expect(progressBar('Moving secrets to envelope', 5, 10, 10)).toBe(
      'Moving secrets to envelope [#####.....] 5/10',
    );
    expect(progressBar('Moving', 0, 0, 4)).toBe('Moving [####] 0/0');
    const piped = await migrate('--to', 'envelope', '--dry-run');
    expect(piped.stderr).toBe('');
    const server = await serve('secretsmanager');
    try {
      const busy = await migrate('--to', 'envelope');
      expect(busy.code).toBe(70);
      expect(busy.stderr).toMatch(/could not be moved: DATA_DIR .* is in use by another credval server/);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('answers bad usage with 64 and its help', async () => {
    expect((await migrate()).code).toBe(64);
    expect((await migrate('--to', 'vault')).stderr).toContain('--to must be envelope or secretsmanager');
    for (const bad of ['0', '65', '2.5', 'many']) {
      const run = await migrate('--to', 'envelope', '--concurrency', bad);
      expect(run.code).toBe(64);
      expect(run.stderr).toContain('--concurrency must be a whole number from 1 to 64');
    }
    expect((await runCli(['secrets', 'rotate'], null, env)).stderr).toContain('one subcommand: migrate');
    const help = await runCli(['secrets', '--help'], null, env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: credval secrets migrate --to envelope|secretsmanager');
    expect(help.stdout).toContain('secrets moved at once, 1 to 64 (default 8)');
  });
});
