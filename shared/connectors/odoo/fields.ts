import type { FieldSpec } from '../types.ts';

export const ODOO_FIELDS: readonly FieldSpec[] = [
  {
    key: 'serverUrl',
    label: 'Odoo URL',
    help: 'The address you open Odoo at, e.g. https://mycompany.odoo.com or https://odoo.example.com (without /web or /odoo).',
    secret: false,
    required: true,
    format: 'url',
    placeholder: 'https://mycompany.odoo.com',
  },
  {
    key: 'database',
    label: 'Database',
    help: "The Odoo database name. On Odoo Online it is the subdomain (mycompany for mycompany.odoo.com); self-hosted, it is shown on the login page's database selector or under Settings > Activate the developer mode > the database name in the top bar.",
    secret: false,
    required: true,
    format: 'text',
  },
  {
    key: 'username',
    label: 'Username',
    help: "The user's login, usually the e-mail address used to sign in to Odoo (case-sensitive).",
    secret: false,
    required: true,
    format: 'text',
  },
  {
    key: 'password',
    label: 'API key or password',
    help: 'An API key is strongly advised: in Odoo open your avatar > My Profile (Preferences) > Account Security > "New API Key". Users with two-factor login must use an API key; Odoo 19 and later accept only API keys on the JSON-2 API.',
    secret: true,
    required: true,
    format: 'text',
  },
];

/** Paths users paste after the Odoo address: the web client, the Odoo 17+ app paths and the RPC endpoints. */
export const ODOO_URL_SUFFIXES: readonly RegExp[] = [
  /\/[a-z]{2}(_[A-Z]{2})?\/(web|odoo)(\/.*)?$/,
  /\/(web|odoo|xmlrpc|jsonrpc|json)(\/.*)?$/i,
];
