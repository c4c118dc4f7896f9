import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { prepareCheck, runCheck } from '../../shared/connectors/check.ts';
import { PrecoroLedger } from '../../shared/connectors/precoro/request-ledger.ts';
import { findConnector } from '../../shared/connectors/registry.ts';
import type { Report, Requirement } from '../../shared/domain/report.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import type { GuardedClientOptions } from '../../shared/net/types.ts';

/** Loopback is private, so tests allow it explicitly, as an operator would with EGRESS_ALLOW. */
export const LOOPBACK_ALLOWED = ['127.0.0.0/8', '::1/128'];

/**
 * Runs one full check through the real guarded client and asserts, for every report, that no secret
 * value of the input appears anywhere in it.
 */
export async function check(
  connector: string,
  fields: Record<string, string>,
  options: {
    requirements?: Requirement[];
    client?: GuardedClientOptions;
    precoroLedger?: PrecoroLedger;
  } = {},
): Promise<Report> {
  const prepared = prepareCheck({ connector, fields, requirements: options.requirements ?? [] });
  const client = createGuardedClient({ egressAllow: LOOPBACK_ALLOWED, ...options.client });
  try {
    const report = await runCheck(prepared, {
      client,
      precoroLedger: options.precoroLedger ?? new PrecoroLedger(),
    });
    const text = JSON.stringify(report);
    for (const spec of prepared.connector.fields.filter((f) => f.secret)) {
      const secret = prepared.fields[spec.key];
      if (secret) expect(text).not.toContain(secret);
    }
    return report;
  } finally {
    await client.close();
  }
}

/** Verdict and reason in one string, for compact assertions. */
export const outcome = (report: Report) => `${report.verdict}:${report.reason ?? 'none'}`;

/** The warning codes of a report. */
export const warningCodes = (report: Report) => report.warnings.map((w) => w.code);

/** The keys of `report.vendor` that the connector's catalogue gives no human label (forms would show the key). */
export const unlabelledFacts = (connector: string, vendor: Report['vendor']) =>
  Object.keys(vendor).filter((key) => !findConnector(connector)?.vendorFacts[key]);

/** A throwaway loopback HTTP server for answers no simulator gives (proxies, redirects, strangers). */
export async function startStubServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
