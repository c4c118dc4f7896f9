// `STORAGE=aws` on the local server: the table belongs to a deployed stack, whose stream consumer, sweep and
// reconciliation do the background work, so the server serves the API only, unless LOCAL_REVALIDATION=on says
// otherwise. DynamoDB is dynalite behind AWS_ENDPOINT_URL; no Secrets Manager call is made here.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../bin/local-server.ts';
import { parseEnvironment } from '../../shared/app/environment.ts';
import {
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';

const TABLE = 'credval-aws-mode';

describe('credval serve with STORAGE=aws', () => {
  let dynamo: LocalDynamo;
  let dataDir: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    const admin = createDynamoClient(dynamo.endpoint);
    await ensureCredentialsTable(admin, TABLE);
    admin.destroy();
    dataDir = await mkdtemp(join(tmpdir(), 'credval-aws-mode-'));
    // The SDK's credential chain: dummy keys, never a real account.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_REGION: 'eu-west-1',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await dynamo.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const serve = (extra: Record<string, string> = {}) =>
    startLocalServer(
      parseEnvironment({
        STORAGE: 'aws',
        AWS_ENDPOINT_URL: dynamo.endpoint,
        AWS_REGION: 'eu-west-1',
        TABLE_NAME: TABLE,
        PORT: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'SILENT',
        LOCAL_API_TOKENS: 'aws-mode-token-0123:tenant-a',
        ...extra,
      }),
      { accessLog: null },
    );

  it('serves the API on the AWS table but runs no sweep, change feed or reconciliation of its own', async () => {
    const server = await serve();
    try {
      const answer = await fetch(`${server.url}/credentials`, {
        headers: { authorization: 'Bearer aws-mode-token-0123' },
      });
      expect(answer.status).toBe(200);
      expect(await server.sweep()).toEqual({ queued: 0, processed: 0, failed: 0 });
      // No local event log: announcing is the deployed stream consumer's job.
      expect(await readdir(dataDir)).not.toContain('events.ndjson');
    } finally {
      await server.close();
    }
  });

  it('does the background work in process when LOCAL_REVALIDATION=on says so (a table no stack serves)', async () => {
    const server = await serve({ LOCAL_REVALIDATION: 'on', SWEEP_INTERVAL: '1h' });
    try {
      // The sweep queries the table's due index (empty here) and, with its reconciliation, would list secrets:
      // Secrets Manager cannot run here, so that round fails, which shows it ran.
      await expect(server.sweep()).rejects.toThrow(/Secrets Manager ListSecrets failed/);
    } finally {
      await server.close();
    }
  });
});
