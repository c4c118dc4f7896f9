import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local-server.ts';
import { parseEnvironment } from '../../shared/app/environment.ts';
import { verifyWebhookSignature } from '../../shared/store/local-event-log.ts';
import { type ApiRequest, api } from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';

const KEY = 'local-sweep-canary-key-7c1d9e';
const TOKEN = 'local-revalidation-token';
const SECRET = 'webhook-hmac-secret';

describe('local mode runs the same sweep and worker as AWS, with events in a file and a signed webhook', () => {
  let sim: DolibarrSimulator;
  let server: LocalServer;
  let hook: Server;
  const deliveries: Array<{ body: string; signature: string | undefined; event: string | undefined }> = [];
  let dataDir: string;

  beforeAll(async () => {
    sim = await startDolibarrSimulator({
      users: [{ id: 1, login: 'svc', apiKey: KEY, rights: ['societe.lire'] }],
      failureDelayMs: 10,
    });
    hook = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      deliveries.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: req.headers['x-credval-signature'] as string | undefined,
        event: req.headers['x-credval-event'] as string | undefined,
      });
      res.writeHead(deliveries.length === 1 ? 500 : 204).end(); // the first delivery fails and is retried
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    dataDir = mkdtempSync(join(tmpdir(), 'credval-local-sweep-'));
    server = await startLocalServer(
      parseEnvironment({
        PORT: '0',
        DATA_DIR: dataDir,
        LOCAL_API_TOKENS: `${TOKEN}:tenant-a`,
        EGRESS_ALLOW: '127.0.0.0/8',
        CHECK_INTERVAL: '1s',
        INVALID_CONFIRM_AFTER: '1s',
        SWEEP_INTERVAL: '1h', // the test drives the rounds itself
        LOG_LEVEL: 'SILENT',
        LOCAL_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
        LOCAL_WEBHOOK_SECRET: SECRET,
      }),
    );
  });
  afterAll(async () => {
    await server.close();
    await sim.close();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  });

  // The shared helper, so that these answers are checked against the OpenAPI document too.
  const call = (path: string, request?: ApiRequest) => api(server.url, TOKEN)(path, request);
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('re-checks due credentials, confirms a revoked key, flips it once and announces it', async () => {
    const created = await call('/credentials', {
      body: { connector: 'dolibarr', name: 'ERP', fields: { baseUrl: sim.url, apiKey: KEY } },
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;

    await wait(1300); // due (CHECK_INTERVAL 1 s, plus at most 10 % jitter)
    expect(await server.sweep()).toMatchObject({ queued: 1, processed: 1, failed: 0 });

    sim.revokeKey('svc');
    await wait(1300);
    expect(await server.sweep()).toMatchObject({ queued: 1, processed: 1 });
    expect((await call(`/credentials/${id}`)).json.status).toBe('valid'); // one rejection is not enough
    await wait(1300);
    expect(await server.sweep()).toMatchObject({ queued: 1, processed: 1 });
    expect((await call(`/credentials/${id}`)).json.status).toBe('invalid');

    const lines = readFileSync(join(dataDir, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const changes = lines.filter((l) => l.detailType === 'CredentialStatusChanged');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      source: 'credval',
      detail: { credentialId: id, from: 'valid', to: 'invalid', reason: 'invalid_credentials' },
    });
    expect(lines.filter((l) => l.detailType === 'CredentialChecked').length).toBeGreaterThanOrEqual(4);
    expect(readFileSync(join(dataDir, 'events.ndjson'), 'utf8')).not.toContain(KEY);

    // The webhook got every event, signed with the shared secret; the failed first delivery was retried.
    for (let i = 0; i < 50 && deliveries.length < lines.length + 1; i++) await wait(100);
    const delivered = deliveries.filter(
      (d) => d.signature && verifyWebhookSignature(d.body, d.signature, SECRET),
    );
    expect(delivered.length).toBe(deliveries.length);
    expect(deliveries.some((d) => !verifyWebhookSignature(d.body, d.signature, 'another-secret'))).toBe(true);
    expect(new Set(deliveries.map((d) => JSON.parse(d.body).id)).size).toBe(lines.length);
    expect(deliveries.some((d) => d.event === 'CredentialStatusChanged')).toBe(true);
  }, 30_000);
});
