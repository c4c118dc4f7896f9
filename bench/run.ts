// Benchmarks (not part of `npm test`): how much a full credval check costs on top of the vendor calls it
// makes. Each vendor simulator answers at once; the same calls are then made directly with undici against
// the same simulator in the same run, and the ratio of medians is reported. Writes bench/results.json.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { prepareCheck, runCheck } from '../shared/connectors/check.ts';
import { PrecoroLedger } from '../shared/connectors/precoro/request-ledger.ts';
import type { Report } from '../shared/domain/report.ts';
import { createGuardedClient } from '../shared/net/guarded-client.ts';
import { startDolibarrSimulator } from '../test/simulators/dolibarr.ts';
import {
  DOLIBARR_KEYS,
  dolibarrRecordedConfig,
  ODOO_SECRETS,
  odooRecordedConfig,
} from '../test/simulators/fixtures.ts';
import { startOdooSimulator } from '../test/simulators/odoo.ts';
import { startPrecoroSimulator } from '../test/simulators/precoro.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const WARMUP = 20;

interface Row {
  name: string;
  credvalMedianMs: number;
  credvalP95Ms: number;
  directMedianMs: number;
  directP95Ms: number;
  ratio: number;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

async function measure(run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times;
}

/** Replays a report's calls directly with undici: same method, URL, headers and body, no checks. */
function directReplay(
  agent: Agent,
  calls: Array<{ method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string }>,
) {
  return async () => {
    for (const call of calls) {
      const res = await request(call.url, {
        method: call.method,
        headers: call.headers,
        body: call.body,
        dispatcher: agent,
      });
      await res.body.text();
    }
  };
}

async function main() {
  const rows: Row[] = [];
  const client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  const agent = new Agent();
  const record = async (name: string, check: () => Promise<Report>, direct: () => Promise<unknown>) => {
    const credval = await measure(check);
    const plain = await measure(direct);
    const row: Row = {
      name,
      credvalMedianMs: quantile(credval, 0.5),
      credvalP95Ms: quantile(credval, 0.95),
      directMedianMs: quantile(plain, 0.5),
      directP95Ms: quantile(plain, 0.95),
      ratio: quantile(credval, 0.5) / quantile(plain, 0.5),
    };
    rows.push(row);
  };

  const dolibarr = await startDolibarrSimulator(dolibarrRecordedConfig());
  const dolibarrCheck = prepareCheck({
    connector: 'dolibarr',
    fields: { baseUrl: dolibarr.url, apiKey: DOLIBARR_KEYS.admin },
  });
  const dolibarrHeaders = {
    DOLAPIKEY: DOLIBARR_KEYS.admin,
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
  };
  await record(
    'dolibarr (admin key)',
    () => runCheck(dolibarrCheck, { client }),
    directReplay(agent, [
      { method: 'GET', url: `${dolibarr.url}/api/index.php/status`, headers: dolibarrHeaders },
      {
        method: 'GET',
        url: `${dolibarr.url}/api/index.php/users/info?includepermissions=1`,
        headers: dolibarrHeaders,
      },
    ]),
  );
  await dolibarr.close();

  const odoo = await startOdooSimulator(odooRecordedConfig('19.0'));
  const key = ODOO_SECRETS['<KEY:ADMIN>'] ?? '';
  const odooCheck = prepareCheck({
    connector: 'odoo',
    fields: { serverUrl: odoo.url, database: 'acme', username: 'admin', password: key },
  });
  const json2 = (path: string, body: unknown) => ({
    method: 'POST' as const,
    url: `${odoo.url}/json/2/${path}`,
    headers: {
      authorization: `bearer ${key}`,
      'x-odoo-database': 'acme',
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  await record(
    'odoo 19 (API key, JSON-2)',
    () => runCheck(odooCheck, { client }),
    directReplay(agent, [
      {
        method: 'POST',
        url: `${odoo.url}/web/webclient/version_info`,
        headers: { 'content-type': 'application/json' },
        body: '{"jsonrpc":"2.0","method":"call","params":{},"id":1}',
      },
      json2('res.users/context_get', {}),
      json2('res.users/read', { ids: [2], fields: ['login', 'name', 'company_id', 'share'] }),
      json2('ir.config_parameter/check_access_rights', { operation: 'write', raise_exception: false }),
      ...['res.partner', 'purchase.order'].flatMap((m) =>
        ['read', 'write'].map((op) =>
          json2(`${m}/check_access_rights`, { operation: op, raise_exception: false }),
        ),
      ),
    ]),
  );
  await odoo.close();

  // Precoro allows one request a second, so the limits are lifted in the simulator and a fresh ledger is used
  // per round: this measures credval's work, not Precoro's pacing.
  const precoro = await startPrecoroSimulator({
    accounts: [{ token: 'bench-token', email: 'b@example.com' }],
    minIntervalMs: 0,
    duplicateWindowMs: 0,
  });
  const precoroCheck = prepareCheck({
    connector: 'precoro',
    fields: { apiToken: 'bench-token', email: 'b@example.com', apiUrl: precoro.url },
  });
  await record(
    'precoro (token)',
    () => runCheck(precoroCheck, { client, precoroLedger: new PrecoroLedger() }),
    directReplay(agent, [
      {
        method: 'GET',
        url: `${precoro.url}/users?per_page=10`,
        headers: {
          'X-AUTH-TOKEN': 'bench-token',
          email: 'b@example.com',
          accept: 'application/json',
          'accept-encoding': 'gzip, deflate, br',
        },
      },
    ]),
  );
  await precoro.close();

  await client.close();
  await agent.close();

  const fmt = (n: number) => n.toFixed(2).padStart(8);
  console.log(`check overhead, ${ROUNDS} rounds each (ms; goal: ratio <= 1.10)`);
  console.log(
    `${'vendor'.padEnd(28)}${'credval p50'.padStart(12)}${'p95'.padStart(9)}${'direct p50'.padStart(12)}${'p95'.padStart(9)}${'ratio'.padStart(8)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(28)}${fmt(r.credvalMedianMs).padStart(12)}${fmt(r.credvalP95Ms)}${fmt(r.directMedianMs).padStart(12)}${fmt(r.directP95Ms)}${r.ratio.toFixed(2).padStart(8)}`,
    );
  }
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, rounds: ROUNDS, checkOverhead: rows }, null, 2)}\n`,
  );
}

await main();
