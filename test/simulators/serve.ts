// Starts the three vendor simulators with the recorded demo data, for manual trials:
//   node --import tsx test/simulators/serve.ts
// Ports come from DOLIBARR_SIM_PORT, ODOO18_SIM_PORT, ODOO19_SIM_PORT and PRECORO_SIM_PORT (defaults: the
// capture peers' ports 18080, 18069, 19069, and 18090). Stop with Ctrl-C.
import { startDolibarrSimulator } from './dolibarr.ts';
import {
  DOLIBARR_READONLY_PASSWORD,
  DOLIBARR_RECORDED_USERS,
  ODOO_SECRETS,
  odooRecordedConfig,
} from './fixtures.ts';
import { startOdooSimulator } from './odoo.ts';
import { startPrecoroSimulator } from './precoro.ts';

const port = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65_535)
    throw new Error(`${name} must be a port number`);
  return value;
};

const PRECORO_TOKEN = 'demo-precoro-token-0123456789';
const PRECORO_EMAIL = 'buyer@example.com';

const dolibarr = await startDolibarrSimulator({
  users: DOLIBARR_RECORDED_USERS,
  port: port('DOLIBARR_SIM_PORT', 18080),
});
const odoo18 = await startOdooSimulator(odooRecordedConfig('18.0', { port: port('ODOO18_SIM_PORT', 18069) }));
const odoo19 = await startOdooSimulator(odooRecordedConfig('19.0', { port: port('ODOO19_SIM_PORT', 19069) }));
const precoro = await startPrecoroSimulator({
  accounts: [
    {
      token: PRECORO_TOKEN,
      email: PRECORO_EMAIL,
      users: [{ id: 1, email: PRECORO_EMAIL, firstName: 'Bea', lastName: 'Buyer' }],
    },
  ],
  port: port('PRECORO_SIM_PORT', 18090),
});

const lines = [
  `Dolibarr 20.0.2  ${dolibarr.url}/api/index.php/status`,
  ...DOLIBARR_RECORDED_USERS.map(
    (u) => `  ${u.login.padEnd(13)} DOLAPIKEY ${u.apiKey}${u.enabled === false ? ' (disabled user)' : ''}`,
  ),
  `  readonly /login password: ${DOLIBARR_READONLY_PASSWORD}`,
  `Odoo 18.0        ${odoo18.url}   databases acme, other`,
  `Odoo 19.0        ${odoo19.url}   databases acme, other (uids differ: reader 5, portal 6)`,
  ...Object.entries(ODOO_SECRETS).map(([slot, secret]) => `  ${slot.padEnd(26)} ${secret}`),
  '  logins: admin, reader@example.com, portal@example.com, archived@example.com, totp@example.com',
  `Precoro          ${precoro.url}/users?per_page=10`,
  `  X-AUTH-TOKEN ${PRECORO_TOKEN}   email ${PRECORO_EMAIL}   (1 request/s, same GET once a minute)`,
];
process.stdout.write(`${lines.join('\n')}\n`);

const shutdown = async (): Promise<void> => {
  await Promise.all([dolibarr.close(), odoo18.close(), odoo19.close(), precoro.close()]);
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
