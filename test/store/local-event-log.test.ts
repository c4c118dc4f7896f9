import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../shared/domain/errors.ts';
import type { CredentialEvent } from '../../shared/domain/events.ts';
import {
  LocalEventLog,
  type LocalEventLogOptions,
  signWebhookBody,
  verifyWebhookSignature,
} from '../../shared/store/local-event-log.ts';

const SECRET = 'whsec-test-2f8a1c';
const CANARY = `canary-${randomUUID()}`;
const NOW = new Date('2025-03-11T09:14:02.123Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const roots: string[] = [];
async function tempFile(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'credval-events-'));
  roots.push(root);
  return join(root, 'data', 'nested', 'events.ndjson');
}
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

function checked(n: number, connector = 'odoo'): CredentialEvent {
  return {
    detailType: 'CredentialChecked',
    detail: {
      tenantId: 'tenant-a',
      credentialId: `cred-${n}`,
      connector,
      checkId: `check-${n}`,
      verdict: 'invalid',
      reason: 'invalid_credentials',
      status: 'valid',
      checkedAt: '2025-03-11T09:14:01.000Z',
    },
  };
}

const changed: CredentialEvent = {
  detailType: 'CredentialStatusChanged',
  detail: {
    tenantId: 'tenant-a',
    credentialId: 'cred-1',
    connector: 'precoro',
    from: 'valid',
    to: 'invalid',
    reason: 'invalid_credentials',
    checkedAt: '2025-03-11T09:14:01.000Z',
    checkId: 'check-1',
  },
};

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** A loopback webhook receiver answering with the given statuses in turn (the last one repeats). */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  method: string | undefined;
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});
async function receiver(statuses: number[], hold?: Promise<void>) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        method: req.method,
      });
      if (hold) await hold;
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/credval`, received };
}

async function log(options: Partial<LocalEventLogOptions> & { file?: string } = {}) {
  return new LocalEventLog({ file: options.file ?? (await tempFile()), now: () => NOW, ...options });
}

describe('LocalEventLog: the NDJSON file', () => {
  it('appends one JSON line { id, time, source, detailType, detail } per event, in order', async () => {
    const file = await tempFile();
    const events = await log({ file });
    await events.publish([checked(1), changed]);
    await events.publish([checked(2)]);
    const written = await lines(file);
    expect(written).toHaveLength(3);
    expect(written.map((l) => Object.keys(l))).toEqual(
      Array(3).fill(['id', 'time', 'source', 'detailType', 'detail']),
    );
    expect(written.map((l) => [l.source, l.time, l.detailType, l.detail])).toEqual([
      ['credval', NOW.toISOString(), 'CredentialChecked', checked(1).detail],
      ['credval', NOW.toISOString(), 'CredentialStatusChanged', changed.detail],
      ['credval', NOW.toISOString(), 'CredentialChecked', checked(2).detail],
    ]);
    for (const line of written) expect(line.id).toMatch(UUID);
    expect(new Set(written.map((l) => l.id)).size).toBe(3);
  });

  it('keeps lines whole under concurrent publishes', async () => {
    const file = await tempFile();
    const events = await log({ file });
    await Promise.all(Array.from({ length: 40 }, (_, i) => events.publish([checked(i, 'x'.repeat(2000))])));
    const written = await lines(file);
    expect(written).toHaveLength(40);
    expect(written.map((l) => (l.detail as { credentialId: string }).credentialId)).toEqual(
      Array.from({ length: 40 }, (_, i) => `cred-${i}`),
    );
  });

  it.skipIf(process.platform === 'win32')(
    'creates the directories and a 0600 file; tightens an existing file',
    async () => {
      const file = await tempFile();
      await (await log({ file })).publish([checked(1)]);
      expect((await stat(file)).mode & 0o777).toBe(0o600);

      const other = await tempFile();
      await mkdir(join(other, '..'), { recursive: true });
      await writeFile(other, '', { mode: 0o644 });
      await (await log({ file: other })).publish([checked(1)]);
      expect((await stat(other)).mode & 0o777).toBe(0o600);
    },
  );

  it('writes nothing for no events', async () => {
    const file = await tempFile();
    await (await log({ file })).publish([]);
    await expect(stat(file)).rejects.toThrow();
  });

  it('drops fields outside the schema, so nothing attached by mistake is recorded', async () => {
    const file = await tempFile();
    const event = checked(1);
    (event.detail as Record<string, unknown>).apiKey = CANARY;
    await (await log({ file })).publish([event]);
    expect(await readFile(file, 'utf8')).not.toContain(CANARY);
  });

  it('a file that cannot be written is a StorageError without any event content', async () => {
    const file = await tempFile();
    await mkdir(file, { recursive: true }); // a directory where the file should be
    const events = await log({ file });
    const error = await events.publish([checked(1, CANARY)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe('Could not append to the event log (EISDIR).');
    expect(inspect(error, { depth: 10 })).not.toContain(CANARY);
    // The next publish is not blocked by the failed one.
    await expect(events.publish([checked(2)])).rejects.toBeInstanceOf(StorageError);
  });

  it('an event that does not match its schema is a plain Error without its values, and nothing is written', async () => {
    const file = await tempFile();
    const bad = checked(1);
    (bad.detail as Record<string, unknown>).status = CANARY;
    const error = await (await log({ file })).publish([bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StorageError);
    expect(inspect(error, { depth: 10 })).not.toContain(CANARY);
    await expect(stat(file)).rejects.toThrow();
  });
});

describe('LocalEventLog: the webhook', () => {
  it('needs a secret, and an http(s) URL', () => {
    expect(() => new LocalEventLog({ file: '/tmp/x', webhookUrl: 'http://127.0.0.1:1/' })).toThrow(
      /webhook secret/,
    );
    expect(
      () => new LocalEventLog({ file: '/tmp/x', webhookUrl: 'ftp://127.0.0.1/', webhookSecret: SECRET }),
    ).toThrow(/http or https/);
    expect(
      () => new LocalEventLog({ file: '/tmp/x', webhookUrl: 'not a url', webhookSecret: SECRET }),
    ).toThrow(/not a valid URL/);
  });

  it('POSTs each event as the JSON of its log line, signed with the secret', async () => {
    const hook = await receiver([200]);
    const file = await tempFile();
    const events = await log({ file, webhookUrl: hook.url, webhookSecret: SECRET });
    await events.publish([checked(1), changed]);
    await events.flush();

    const written = await readFile(file, 'utf8');
    expect(hook.received.map((r) => r.body)).toEqual(written.trimEnd().split('\n'));
    const [first, second] = hook.received;
    expect(first?.method).toBe('POST');
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['x-credval-event']).toBe('CredentialChecked');
    expect(second?.headers['x-credval-event']).toBe('CredentialStatusChanged');
    expect(first?.headers['x-credval-timestamp']).toBe(String(Math.floor(NOW.getTime() / 1000)));
    for (const r of hook.received) {
      const header = r.headers['x-credval-signature'] as string;
      expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(header).toBe(signWebhookBody(r.body, SECRET));
      expect(verifyWebhookSignature(r.body, header, SECRET)).toBe(true);
      expect(verifyWebhookSignature(Buffer.from(r.body), header, SECRET)).toBe(true);
      expect(verifyWebhookSignature(r.body, header, 'another-secret')).toBe(false);
      expect(verifyWebhookSignature(`${r.body} `, header, SECRET)).toBe(false);
    }
  });

  it('retries a 500 with back-off, then succeeds', async () => {
    const hook = await receiver([500, 502, 204]);
    const failures: unknown[] = [];
    const events = await log({
      webhookUrl: hook.url,
      webhookSecret: SECRET,
      backoffMs: 5,
      onDeliveryFailure: (...args) => failures.push(args),
    });
    await events.publish([checked(1)]);
    await events.flush();
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
    expect(failures).toEqual([]);
  });

  it('gives up after the retries without failing publish, and reports the event id and attempts', async () => {
    const hook = await receiver([503]);
    const file = await tempFile();
    const failures: [string, number][] = [];
    const events = await log({
      file,
      webhookUrl: hook.url,
      webhookSecret: SECRET,
      retries: 2,
      backoffMs: 1,
      onDeliveryFailure: (id, attempts) => failures.push([id, attempts]),
    });
    await expect(events.publish([checked(1, CANARY)])).resolves.toBeUndefined();
    await events.flush();
    expect(hook.received).toHaveLength(3);
    const [line] = await lines(file);
    expect(failures).toEqual([[line?.id, 3]]);
  });

  it('treats network errors like failed answers', async () => {
    const hook = await receiver([200]);
    await new Promise((resolve) => servers.pop()?.close(resolve)); // nothing listens there any more
    const failures: [string, number][] = [];
    const events = await log({
      webhookUrl: hook.url,
      webhookSecret: SECRET,
      retries: 1,
      backoffMs: 1,
      onDeliveryFailure: (id, attempts) => failures.push([id, attempts]),
    });
    await events.publish([checked(1)]);
    await events.flush();
    expect(failures).toHaveLength(1);
    expect(failures[0]?.[1]).toBe(2);
  });

  it('does not make publish wait for a slow webhook, and delivers in publish order', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hook = await receiver([200], held);
    const events = await log({ webhookUrl: hook.url, webhookSecret: SECRET });
    await events.publish([checked(1)]);
    await events.publish([checked(2), checked(3)]);
    // The first delivery is still waiting for its answer; publish has long returned.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hook.received).toHaveLength(1);
    release();
    await events.flush();
    expect(hook.received.map((r) => JSON.parse(r.body).detail.credentialId)).toEqual([
      'cred-1',
      'cred-2',
      'cred-3',
    ]);
  });

  it('a throwing onDeliveryFailure does not stop later deliveries', async () => {
    const hook = await receiver([500, 200]);
    const events = await log({
      webhookUrl: hook.url,
      webhookSecret: SECRET,
      retries: 0,
      onDeliveryFailure: () => {
        throw new Error('callback bug');
      },
    });
    await events.publish([checked(1)]);
    await events.publish([checked(2)]);
    await events.flush();
    expect(hook.received).toHaveLength(2);
  });
});

describe('verifyWebhookSignature', () => {
  it('is false for a missing, malformed or truncated header, or an empty secret', () => {
    const body = '{"a":1}';
    const good = signWebhookBody(body, SECRET);
    expect(verifyWebhookSignature(body, good, SECRET)).toBe(true);
    expect(verifyWebhookSignature(body, good.toUpperCase().replace('SHA256=', 'sha256='), SECRET)).toBe(true);
    for (const header of [
      undefined,
      null,
      '',
      'sha256=',
      good.slice(0, -2),
      good.replace('sha256=', 'sha1='),
      `${good}00`,
    ]) {
      expect(verifyWebhookSignature(body, header, SECRET)).toBe(false);
    }
    expect(verifyWebhookSignature(body, signWebhookBody(body, ''), '')).toBe(false);
  });
});
