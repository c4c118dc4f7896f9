import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliProcess } from '../helpers/cli.ts';

const CANARY = 'canary-7f3a9c1e-secret';

describe('credval CLI: usage and input errors exit 64 and name the problem', () => {
  it.each([
    [['check'], '{}', /exactly one connector/],
    [['check', 'sap'], '{}', /unknown connector "sap" \(known: dolibarr, odoo, precoro\)/],
    [['check', 'dolibarr'], 'not json', /stdin is not valid JSON/],
    [['check', 'dolibarr'], '', /stdin is empty/],
    [['check', 'dolibarr'], '[1,2]', /one JSON object/],
    [['check', 'dolibarr'], '{"baseUrl":"https://erp.example.com"}', /apiKey: is required/],
    [['check', 'dolibarr'], '{"baseUrl":"ftp://x","apiKey":"k"}', /baseUrl: must be an http\(s\) URL/],
    [['check', 'odoo', '--require', 'res.partner:delete'], '{}', /--require "res.partner:delete"/],
    [['check', 'odoo', '--timeout', 'soon'], '{}', /--timeout must be a number/],
    [['check', 'odoo', '--egress-allow', '10.0.0.0/99'], '{}', /10\.0\.0\.0\/99/],
    [['check', 'odoo', '--bogus'], '{}', /bogus/],
    [['frobnicate'], '{}', /unknown command "frobnicate"/],
  ])('%j with %j', async (args, stdin, message) => {
    const run = await runCli(args, stdin);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('asks for stdin instead of waiting on a terminal', async () => {
    const run = await runCli(['check', 'dolibarr'], null);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/pipe the credential fields/);
  });

  it('rejects a malformed EGRESS_ALLOW from the environment', async () => {
    const run = await runCli(['check', 'dolibarr'], '{}', { EGRESS_ALLOW: 'not-a-cidr' });
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/not-a-cidr/);
  });

  it.each([
    ['not json but holds the secret', `{"apiKey": "${CANARY}"`],
    [
      'an unknown field holding the secret',
      `{"baseUrl":"https://e.example.com","apiKey":"${CANARY}","${CANARY}":"x"}`,
    ],
    ['a secret pasted as a field name', `{"baseUrl":"https://e.example.com","apiKey":"k","${CANARY}":"x"}`],
    ['a malformed URL next to the secret', `{"baseUrl":"ftp://${CANARY}","apiKey":"${CANARY}"}`],
  ])('never echoes the secret when stdin is %s', async (_case, stdin) => {
    const run = await runCli(['check', 'dolibarr'], stdin);
    expect(run.code).toBe(64);
    expect(run.stdout + run.stderr).not.toContain(CANARY);
  });
});

describe('credval connectors', () => {
  it('lists every connector with its fields', async () => {
    const run = await runCli(['connectors'], '');
    expect(run.code).toBe(0);
    for (const text of ['dolibarr', 'odoo', 'precoro', 'apiKey', 'serverUrl', 'apiToken', 'secret']) {
      expect(run.stdout).toContain(text);
    }
  });

  it('prints the catalogue with JSON Schemas under --json', async () => {
    const run = await runCli(['connectors', '--json'], '');
    const catalogue = JSON.parse(run.stdout) as Array<{ id: string; jsonSchema: { type: string } }>;
    expect(catalogue.map((c) => c.id)).toEqual(['dolibarr', 'odoo', 'precoro']);
    expect(catalogue.every((c) => c.jsonSchema.type === 'object')).toBe(true);
  });
});

describe('credval check refuses forbidden destinations without connecting', () => {
  let canary: Server;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    canary = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    port = (canary.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => canary.close(() => resolve())));

  it.each([
    `http://127.0.0.1:PORT`,
    `http://localhost:PORT`,
    `http://2130706433:PORT`,
    `http://0x7f.0.0.1:PORT`,
    `http://[::ffff:127.0.0.1]:PORT`,
  ])('%s is inconclusive / blocked_destination, exit 2', async (url) => {
    const stdin = JSON.stringify({ baseUrl: url.replace('PORT', String(port)), apiKey: CANARY });
    const run = await runCli(['check', 'dolibarr', '--json'], stdin);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      verdict: 'inconclusive',
      reason: 'blocked_destination',
      // Not the URL's fault: the report names the allow-list entry that would let the check through.
      field: null,
      message: expect.stringContaining('--egress-allow 127.0.0.1/32'),
    });
    expect(run.stdout + run.stderr).not.toContain(CANARY);
    expect(connections).toBe(0);
  });

  it('works as the real executable, exit code and all (npx credval)', async () => {
    const stdin = JSON.stringify({ baseUrl: `http://127.0.0.1:${port}`, apiKey: CANARY });
    const run = await runCliProcess(['check', 'dolibarr'], stdin);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^INCONCLUSIVE \(blocked_destination\)/);
    expect(run.stdout).toContain('pass --egress-allow 127.0.0.1/32 to the CLI');
    expect(run.stdout).not.toContain('Field to fix');
    expect(run.stdout + run.stderr).not.toContain(CANARY);
    expect(connections).toBe(0);
  });
});
