// The write path over HTTP against a real `credval serve` on its embedded stores (dynalite on disk, and the
// encrypted secret files or, with SECRET_STORE=envelope, envelope items in the table under the local key file):
// concurrent requests on one credential in every order, a process killed in the middle of a burst, and what an
// Idempotency-Key leaves behind. The invariants: never a 5xx, exactly one winner, no item without its secret, and
// (once reconciled) no live secret without its item. Consistency is read with the server stopped, through the
// same storage code the server uses (the data dir is one process's at a time).
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironment } from '../../shared/app/environment.ts';
import { openStorage, type SecretStoreKind } from '../../shared/app/storage.ts';
import { createDynamoClient, startLocalDynamo } from '../../shared/store/local-dynamo.ts';
import {
  type Api,
  api,
  HOOK_TIMEOUT_MS,
  type ServerProcess,
  startServerProcess,
} from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { dolibarrClerks } from '../simulators/fixtures.ts';

const TOKEN = 'write-path-token-0123456789';
const TENANT = 'writer';
const ROUNDS = 10;
/** Keys the simulator accepts, one user each, so that two rotations can both pass their check. */
const KEYS = Array.from({ length: 4 }, (_, i) => `write-path-key-${i}-0a1b2c3d4e5f6789`);
const CANARY = 'hunter2-write-path-canary';

describe.each<SecretStoreKind>(['secretsmanager', 'envelope'])(
  'the write path, raced and crashed, over HTTP (SECRET_STORE=%s)',
  (secretStoreKind) => {
    let dolibarr: DolibarrSimulator;
    let dataDir: string;
    let server: ServerProcess;
    let call: Api;

    const start = async (env: Record<string, string> = {}) => {
      server = await startServerProcess({
        dataDir,
        env: {
          LOCAL_API_TOKENS: `${TOKEN}:${TENANT}`,
          SWEEP_INTERVAL: '1h',
          SECRET_STORE: secretStoreKind,
          ...env,
        },
      });
      call = api(server.url, TOKEN);
    };

    beforeAll(async () => {
      dolibarr = await startDolibarrSimulator({
        users: dolibarrClerks([...KEYS, CANARY], 'Writer'),
        failureDelayMs: 0,
      });
      dataDir = await mkdtemp(join(tmpdir(), 'credval-write-path-'));
      await start();
    }, HOOK_TIMEOUT_MS);

    afterAll(async () => {
      await server?.stop();
      await dolibarr?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }, HOOK_TIMEOUT_MS);

    const create = async (apiKey = KEYS[0] as string) => {
      const answer = await call('/credentials', {
        body: { connector: 'dolibarr', name: 'race', fields: { baseUrl: dolibarr.url, apiKey } },
      });
      expect(answer.status, answer.text).toBe(201);
      return answer.json as { id: string; version: number };
    };
    const rotate = (id: string, apiKey: string) =>
      call(`/credentials/${id}`, { method: 'PATCH', body: { fields: { apiKey } } });
    const remove = (id: string) => call(`/credentials/${id}`, { method: 'DELETE' });
    const recheck = (id: string) => call(`/credentials/${id}/validate`, { method: 'POST' });

    /**
     * No item without its live secret, whose value is the one the item was checked with; and no live secret
     * without its item, except `allowOrphans` ones (a crash that the reconciliation has not seen yet). Reads the
     * stores with the server stopped, through the server's own storage code; starts it again afterwards.
     */
    async function expectConsistent(
      options: { allowOrphans?: boolean } = {},
    ): Promise<{ orphans: string[] }> {
      await server.stop();
      const storage = await openStorage(
        parseEnvironment({ DATA_DIR: dataDir, SECRET_STORE: secretStoreKind }),
        dataDir,
      );
      const orphans: string[] = [];
      try {
        const store = storage.secrets;
        const secrets = [];
        let cursor: string | null = null;
        do {
          const page = await store.list('credval/', { limit: 100, cursor });
          secrets.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        for (const secret of secrets) {
          const id = secret.name.split('/').at(-1) ?? '';
          const item = await storage.repository.get(TENANT, id);
          if (item) {
            expect(secret.deletionScheduled, `${id}: item with a secret scheduled for deletion`).toBe(false);
            // The current value is the key the stored check ran with (each key is its own vendor user).
            const login = item.lastCheck?.identity?.login as string;
            const current = await store.getCurrent(secret.name);
            expect(current.apiKey, id).toBe([...KEYS, CANARY][Number(login.replace('user', ''))]);
            expect((await store.getVersions(secret.name)).current.id, id).toBe(item.secretVersion);
          } else if (!secret.deletionScheduled) {
            orphans.push(secret.name);
          }
        }
        if (!options.allowOrphans) expect(orphans, 'live secrets without an item').toEqual([]);
        const listed = await storage.repository.list(TENANT, { limit: 100 });
        for (const item of listed.items) {
          expect(secrets.map((s) => s.name)).toContain(`credval/${TENANT}/${item.id}`);
        }
      } finally {
        await storage.close();
      }
      await start();
      return { orphans };
    }

    it(`two DELETEs of one credential: 204 and 404, the secret stays scheduled for deletion (${ROUNDS} rounds)`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { id } = await create();
        const statuses = (await Promise.all([remove(id), remove(id)])).map((a) => a.status).sort();
        expect(statuses).toEqual([204, 404]);
      }
      await expectConsistent();
    });

    it(`two rotations of one credential: one wins, the other 409, and its value is never stored (${ROUNDS} rounds)`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { id } = await create(KEYS[0]);
        const answers = await Promise.all([rotate(id, KEYS[1] as string), rotate(id, KEYS[2] as string)]);
        const statuses = answers.map((a) => a.status).sort();
        expect(statuses, answers.map((a) => a.text).join('\n')).toEqual([200, 409]);
        const winner = answers.find((a) => a.status === 200)?.json;
        expect(winner.version).toBe(2);
        // The stored secret is the winner's key: a re-check acts as the winner's vendor user.
        const rechecked = await recheck(id);
        expect(rechecked.status).toBe(200);
        expect(rechecked.json.lastCheck.identity.login).toBe(winner.lastCheck.identity.login);
        expect(['user1', 'user2']).toContain(rechecked.json.lastCheck.identity.login);
      }
      await expectConsistent();
    });

    it(`a DELETE racing a rotation or a re-check answers 2xx, 404 or 409, never 5xx (${ROUNDS} rounds each)`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const a = await create(KEYS[0]);
        const [deleted, rotated] = await Promise.all([remove(a.id), rotate(a.id, KEYS[3] as string)]);
        expect([204, 409]).toContain(deleted.status);
        expect([200, 404, 409]).toContain(rotated.status);
        const b = await create(KEYS[0]);
        const [deleted2, rechecked] = await Promise.all([remove(b.id), recheck(b.id)]);
        expect([204, 409]).toContain(deleted2.status);
        expect([200, 404, 409]).toContain(rechecked.status);
      }
      await expectConsistent();
    });

    it('a process killed in the middle of a burst: the reconciliation schedules every secret left without its item', async () => {
      const burst = Array.from({ length: 30 }, (_, i) =>
        call('/credentials', {
          body: {
            connector: 'dolibarr',
            name: `burst-${i}`,
            fields: { baseUrl: dolibarr.url, apiKey: KEYS[0] },
          },
        }).catch(() => null),
      );
      // Kill it as soon as the first answers arrive: the rest are in flight, some between secret and item.
      await Promise.race(burst);
      process.kill(server.pid, 'SIGKILL');
      await server.exited;
      await Promise.all(burst);
      // The first reconciliation runs within a second of a start: run the server that way until no live secret
      // lacks its item.
      const reconciling = { RECONCILE_GRACE: '0s', SWEEP_INTERVAL: '1s' };
      await start(reconciling);
      const deadline = Date.now() + 30_000;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const { orphans } = await expectConsistent({ allowOrphans: true });
        if (orphans.length === 0 || Date.now() > deadline) break;
        await server.stop();
        await start(reconciling);
      }
      await expectConsistent();
    }, 120_000);

    it('an Idempotency-Key leaves no value derived from the secret without the server key: not in any item', async () => {
      const body = {
        connector: 'dolibarr',
        name: 'idempotent',
        fields: { baseUrl: dolibarr.url, apiKey: CANARY },
      };
      const first = await call('/credentials', { body, headers: { 'idempotency-key': 'write-path-key-1' } });
      expect(first.status).toBe(201);
      const replay = await call('/credentials', { body, headers: { 'idempotency-key': 'write-path-key-1' } });
      expect(replay.status).toBe(201);
      expect(replay.json.id).toBe(first.json.id);
      const other = await call('/credentials', {
        body: { ...body, fields: { ...body.fields, apiKey: KEYS[1] } },
        headers: { 'idempotency-key': 'write-path-key-1' },
      });
      expect(other.status).toBe(422);
      await server.stop();

      // Every item of the table, read back through DynamoDB (dynalite's files are compressed).
      const dynamo = await startLocalDynamo({ path: join(dataDir, 'dynamodb') });
      const client = createDynamoClient(dynamo.endpoint);
      try {
        const { Items } = await client.send(new ScanCommand({ TableName: 'credval-credentials' }));
        const stored = JSON.stringify(Items);
        expect(stored).toContain('IDEMPOTENCY');
        const texts = [
          CANARY,
          JSON.stringify(body),
          JSON.stringify(body.fields),
          JSON.stringify({ apiKey: CANARY }),
        ];
        const derived = texts.flatMap((text) => [
          text,
          Buffer.from(text).toString('base64'),
          ...['md5', 'sha1', 'sha256', 'sha512'].flatMap((algorithm) => {
            const hash = createHash(algorithm).update(text);
            const digest = hash.digest();
            return [digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')];
          }),
        ]);
        for (const value of derived) expect(stored.includes(value), value).toBe(false);
        // The fingerprint is keyed: without the key, the same HMAC cannot be made.
        const guess = createHmac('sha256', 'not the key').update(JSON.stringify(body)).digest('base64url');
        expect(stored.includes(guess)).toBe(false);
      } finally {
        client.destroy();
        await dynamo.close();
      }
      await start();
    }, 60_000);
  },
);
