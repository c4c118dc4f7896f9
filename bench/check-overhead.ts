// Part 1: how much a full credval check costs on top of the vendor calls it makes. Each vendor simulator
// answers at once; the same calls are made directly with undici against the same simulator in the same run,
// and credval is measured (a) as a library (`runCheck`) and (b) through the local server (POST /validations,
// the server in a child process built by startLocalServer). Ratios are of medians.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { prepareCheck, runCheck } from '../shared/connectors/check.ts';
import { PrecoroLedger } from '../shared/connectors/precoro/request-ledger.ts';
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
import { startChild } from './lib/child.ts';
import { SIZES } from './lib/config.ts';
import { quantile, round, table, timeRounds, yesNo } from './lib/stats.ts';

/** The goal the first version of this benchmark set for the library path. */
export const LIBRARY_RATIO_GOAL = 1.1;

interface Timing {
  p50Ms: number;
  p95Ms: number;
}

export interface OverheadRow {
  name: string;
  vendorCalls: number;
  direct: Timing;
  /** `addedMs`: credval p50 minus direct p50, what credval adds to one check in absolute terms. */
  library: Timing & { ratio: number; addedMs: number };
  server: Timing & { ratio: number; addedMs: number };
}

export interface OverheadResult {
  rounds: number;
  libraryRatioGoal: number;
  rows: OverheadRow[];
}

type Call = { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string };

/**
 * Replays a check's vendor calls directly with undici: same method, URL, headers and body, no checks, in the same
 * rounds (the calls of one round at once, as the check sends them). The body is read as received (still
 * compressed when the vendor compressed it) and not parsed: the floor of any client.
 */
function directReplay(agent: Agent, rounds: Call[][]) {
  return async () => {
    for (const round of rounds) {
      await Promise.all(
        round.map(async (call) => {
          const res = await request(call.url, {
            method: call.method,
            headers: call.headers,
            body: call.body,
            dispatcher: agent,
          });
          await res.body.text();
        }),
      );
    }
  };
}

const timing = (times: number[]): Timing => ({
  p50Ms: round(quantile(times, 0.5), 3),
  p95Ms: round(quantile(times, 0.95), 3),
});

export async function benchCheckOverhead(): Promise<OverheadResult> {
  const { overheadRounds: rounds, overheadWarmup: warmup } = SIZES;
  const client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  const agent = new Agent();
  const token = randomBytes(24).toString('base64url');
  const dataDir = await mkdtemp(join(tmpdir(), 'credval-bench-overhead-'));
  const server = await startChild<{ url: string }>('server', {
    env: { BENCH_DATA_DIR: dataDir, BENCH_TOKEN: token },
  });
  const rows: OverheadRow[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  const viaServer = (body: () => unknown) => async () => {
    const res = await request(`${server.ready.url}/validations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body()),
      dispatcher: agent,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`POST /validations answered ${res.statusCode}: ${text}`);
    const report = JSON.parse(text) as { verdict: string };
    if (report.verdict !== 'valid') throw new Error(`expected a valid verdict, got ${text}`);
  };
  const record = async (
    name: string,
    calls: Call[][],
    library: () => Promise<{ verdict: string }>,
    serverBody: () => unknown,
  ) => {
    const first = await library();
    if (first.verdict !== 'valid') throw new Error(`${name}: the library check is not valid`);
    const lib = await timeRounds(library, rounds, warmup);
    const direct = await timeRounds(directReplay(agent, calls), rounds, warmup);
    const srv = await timeRounds(viaServer(serverBody), rounds, warmup);
    const d = timing(direct);
    const l = timing(lib);
    const s = timing(srv);
    rows.push({
      name,
      vendorCalls: calls.flat().length,
      direct: d,
      library: { ...l, ratio: round(l.p50Ms / d.p50Ms), addedMs: round(l.p50Ms - d.p50Ms, 3) },
      server: { ...s, ratio: round(s.p50Ms / d.p50Ms), addedMs: round(s.p50Ms - d.p50Ms, 3) },
    });
  };

  try {
    const dolibarr = await startDolibarrSimulator(dolibarrRecordedConfig());
    closers.push(() => dolibarr.close());
    const dolibarrFields = { baseUrl: dolibarr.url, apiKey: DOLIBARR_KEYS.admin };
    const dolibarrCheck = prepareCheck({ connector: 'dolibarr', fields: dolibarrFields });
    const dolibarrHeaders = {
      DOLAPIKEY: DOLIBARR_KEYS.admin,
      accept: 'application/json',
      'accept-encoding': 'gzip, deflate, br',
    };
    await record(
      'dolibarr (admin key)',
      [
        [{ method: 'GET', url: `${dolibarr.url}/api/index.php/status`, headers: dolibarrHeaders }],
        [
          {
            method: 'GET',
            url: `${dolibarr.url}/api/index.php/users/info?includepermissions=1`,
            headers: dolibarrHeaders,
          },
          {
            method: 'GET',
            url: `${dolibarr.url}/api/index.php/thirdparties?limit=1`,
            headers: dolibarrHeaders,
          },
        ],
      ],
      () => runCheck(dolibarrCheck, { client }),
      () => ({ connector: 'dolibarr', fields: dolibarrFields }),
    );

    const odoo = await startOdooSimulator(odooRecordedConfig('19.0'));
    closers.push(() => odoo.close());
    const key = ODOO_SECRETS['<KEY:ADMIN>'] ?? '';
    const odooFields = { serverUrl: odoo.url, database: 'acme', username: 'admin', password: key };
    const odooCheck = prepareCheck({ connector: 'odoo', fields: odooFields });
    const json2 = (path: string, body: unknown): Call => ({
      method: 'POST',
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
      [
        [
          {
            method: 'POST',
            url: `${odoo.url}/web/webclient/version_info`,
            headers: { 'content-type': 'application/json' },
            body: '{"jsonrpc":"2.0","method":"call","params":{},"id":1}',
          },
        ],
        [json2('res.users/context_get', {})],
        [
          json2('res.users/read', { ids: [2], fields: ['login', 'name', 'company_id', 'share'] }),
          json2('ir.config_parameter/check_access_rights', { operation: 'write', raise_exception: false }),
          ...['res.partner', 'purchase.order'].flatMap((m) =>
            ['read', 'write'].map((op) =>
              json2(`${m}/check_access_rights`, { operation: op, raise_exception: false }),
            ),
          ),
        ],
      ],
      () => runCheck(odooCheck, { client }),
      () => ({ connector: 'odoo', fields: odooFields }),
    );

    // Precoro allows one request a second and never the same GET twice in a minute: the simulator's limits
    // are lifted, the library path gets a fresh ledger per round, and the server (whose process-wide ledger
    // would answer a repeated GET from memory) gets a token of its own per request, so every round really
    // calls the vendor. This measures credval's work, not Precoro's pacing.
    const serverTokens = rounds + warmup + 1;
    const precoro = await startPrecoroSimulator({
      accounts: [
        { token: 'bench-token', email: 'b@example.com' },
        ...Array.from({ length: serverTokens }, (_, i) => ({
          token: `bench-token-${i}`,
          email: 'b@example.com',
        })),
      ],
      minIntervalMs: 0,
      duplicateWindowMs: 0,
    });
    closers.push(() => precoro.close());
    const precoroCheck = prepareCheck({
      connector: 'precoro',
      fields: { apiToken: 'bench-token', email: 'b@example.com', apiUrl: precoro.url },
    });
    let nextToken = 0;
    await record(
      'precoro (token)',
      [
        [
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
        ],
      ],
      () => runCheck(precoroCheck, { client, precoroLedger: new PrecoroLedger() }),
      () => ({
        connector: 'precoro',
        fields: { apiToken: `bench-token-${nextToken++}`, email: 'b@example.com', apiUrl: precoro.url },
      }),
    );
  } finally {
    for (const close of closers) await close();
    await server.stop();
    await client.close();
    await agent.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return { rounds, libraryRatioGoal: LIBRARY_RATIO_GOAL, rows };
}

export function printCheckOverhead(r: OverheadResult): string {
  const f = (n: number) => n.toFixed(2);
  const worst = Math.max(...r.rows.map((row) => row.library.ratio));
  return [
    `Check overhead per vendor, ${r.rounds} rounds each (ms; ratio = credval p50 / direct p50; +ms = credval p50 - direct p50)`,
    table(
      [
        'vendor',
        'calls',
        'direct p50',
        'p95',
        'runCheck p50',
        'p95',
        'ratio',
        '+ms',
        'POST /validations p50',
        'p95',
        'ratio',
        '+ms',
      ],
      r.rows.map((row) => [
        row.name,
        row.vendorCalls,
        f(row.direct.p50Ms),
        f(row.direct.p95Ms),
        f(row.library.p50Ms),
        f(row.library.p95Ms),
        f(row.library.ratio),
        f(row.library.addedMs),
        f(row.server.p50Ms),
        f(row.server.p95Ms),
        f(row.server.ratio),
        f(row.server.addedMs),
      ]),
    ),
    `goal runCheck ratio <= ${r.libraryRatioGoal}: ${yesNo(worst <= r.libraryRatioGoal)} (worst ${worst.toFixed(2)}); the server path has no goal`,
  ].join('\n');
}
