// `credval serve` with SECRET_STORE=envelope (README "Configuration"): the envelope store's own code path on
// dynalite, with the local key file standing in for KMS. A credential lives its whole life through it, and a
// ciphertext moved to another credential's item fails closed: a clear answer, no value, no internals.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretItemKey } from '../../shared/store/envelope-secret-store.ts';
import { createDocumentClient, startLocalDynamo } from '../../shared/store/local-dynamo.ts';
import {
  type Api,
  api,
  HOOK_TIMEOUT_MS,
  type ServerProcess,
  startServerProcess,
} from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { dolibarrClerks } from '../simulators/fixtures.ts';

const TOKEN = 'envelope-store-token-0123456789';
const TENANT = 'enveloped';
const CANARY = 'envelope-canary-key-0a1b2c3d4e5f';
const OTHER = 'envelope-other-key-0a1b2c3d4e5f';
const ROTATED = 'envelope-rotated-key-0a1b2c3d4e5f';

describe('the local server with SECRET_STORE=envelope', () => {
  let dolibarr: DolibarrSimulator;
  let dataDir: string;
  let server: ServerProcess;
  let call: Api;
  const start = async () => {
    server = await startServerProcess({
      dataDir,
      env: { LOCAL_API_TOKENS: `${TOKEN}:${TENANT}`, SWEEP_INTERVAL: '1h', SECRET_STORE: 'envelope' },
    });
    call = api(server.url, TOKEN);
  };
  const create = async (apiKey: string) => {
    const answer = await call('/credentials', {
      body: { connector: 'dolibarr', name: 'enveloped', fields: { baseUrl: dolibarr.url, apiKey } },
    });
    expect(answer.status, answer.text).toBe(201);
    return answer.json as { id: string };
  };

  beforeAll(async () => {
    dolibarr = await startDolibarrSimulator({
      users: dolibarrClerks([CANARY, OTHER, ROTATED], 'Env'),
      failureDelayMs: 0,
    });
    dataDir = await mkdtemp(join(tmpdir(), 'credval-envelope-'));
    await start();
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
    await dolibarr?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, HOOK_TIMEOUT_MS);

  it('creates, re-checks, rotates and deletes a credential; the stand-in for KMS is a 0600 key file', async () => {
    const { id } = await create(OTHER);
    const rechecked = await call(`/credentials/${id}/validate`, { method: 'POST' });
    expect(rechecked.status).toBe(200);
    expect(rechecked.json.lastCheck.identity.login).toBe('user1');
    const rotated = await call(`/credentials/${id}`, {
      method: 'PATCH',
      body: { fields: { apiKey: ROTATED } },
    });
    expect(rotated.status, rotated.text).toBe(200);
    const again = await call(`/credentials/${id}/validate`, { method: 'POST' });
    expect(again.json.lastCheck.identity.login).toBe('user2');
    expect((await call(`/credentials/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/credentials/${id}`)).status).toBe(404);
    expect((await stat(join(dataDir, 'kms.key'))).mode & 0o777).toBe(0o600);
    // Nothing went to the file store: the envelope store is the one in use.
    await expect(stat(join(dataDir, 'secrets'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('fails closed when a ciphertext is moved to another credential: 500 secret_unreadable, no value, no internals', async () => {
    const a = await create(CANARY);
    const b = await create(OTHER);
    await server.stop();
    // The attacker copies a's versions (ciphertext and encrypted data keys) into b's item, keeping b's ids.
    const dynamo = await startLocalDynamo({ path: join(dataDir, 'dynamodb') });
    const documents = createDocumentClient(dynamo.endpoint);
    try {
      const get = (id: string) =>
        documents.send(
          new GetCommand({
            TableName: 'credval-credentials',
            Key: secretItemKey(`credval/${TENANT}/${id}`),
          }),
        );
      const [from, to] = [(await get(a.id)).Item, (await get(b.id)).Item];
      const ids = (to?.versions ?? []) as Array<{ id: string }>;
      const versions = ((from?.versions ?? []) as Array<Record<string, unknown>>).map((v, i) => ({
        ...v,
        id: ids[i]?.id,
      }));
      await documents.send(new PutCommand({ TableName: 'credval-credentials', Item: { ...to, versions } }));
    } finally {
      documents.destroy();
      await dynamo.close();
    }
    await start();

    const answer = await call(`/credentials/${b.id}/validate`, { method: 'POST' });
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({
      code: 'secret_unreadable',
      detail: expect.stringMatching(/failed its integrity check/),
    });
    expect(answer.text).not.toContain(CANARY);
    expect(answer.text).not.toMatch(/KMS|DynamoDB|Decipher|aes|stack|at .*\.ts/i);
    // A rotation that needs the stored secret refuses too; the credential itself is unchanged.
    const rename = await call(`/credentials/${b.id}`, { method: 'PATCH', body: { fields: { entity: '2' } } });
    expect(rename.status).toBe(500);
    expect(rename.json.code).toBe('secret_unreadable');
    expect((await call(`/credentials/${b.id}`)).json.version).toBe(1);
    // The source credential still reads its own secret; nothing printed the value.
    const own = await call(`/credentials/${a.id}/validate`, { method: 'POST' });
    expect(own.status).toBe(200);
    expect(own.json.lastCheck.identity.login).toBe('user0');
    expect(server.stdout()).not.toContain(CANARY);
    expect(server.stderr()).not.toContain(CANARY);
    expect(`${server.stdout()}${server.stderr()}`).toContain('failed its integrity check');
  });
});
