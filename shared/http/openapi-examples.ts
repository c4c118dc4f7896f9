// Example values of the OpenAPI document (./openapi.ts). Redocly checks each against its schema (`npm run lint`).

type Json = Record<string, unknown>;

/** The id every example credential has. */
export const EXAMPLE_ID = '3f2b8c1e-5d4a-4e7b-9c6f-2a1d0e9b8c7a';
/** A valid Dolibarr check. */
export const EXAMPLE_REPORT = {
  verdict: 'valid',
  reason: null,
  message: 'The API key works: it acts as erp-bot (not an administrator) and can read third parties.',
  field: null,
  retryable: false,
  retryAfterSeconds: null,
  identity: { userId: '7', login: 'erp-bot', name: 'ERP Bot', email: null, admin: false, company: null },
  vendor: { product: 'dolibarr', version: '20.0.2' },
  permissions: [{ resource: 'thirdparties', read: true, write: false }],
  warnings: [],
  probes: [
    {
      name: 'status',
      method: 'GET',
      url: 'https://erp.example.com/api/index.php/status',
      status: 200,
      ms: 84,
      outcome: 'ok',
    },
    {
      name: 'identity',
      method: 'GET',
      url: 'https://erp.example.com/api/index.php/users/info?includepermissions=1',
      status: 200,
      ms: 97,
      outcome: 'ok',
    },
  ],
  checkedAt: '2026-11-23T09:30:00.000Z',
  durationMs: 190,
};
/** A Dolibarr key the vendor refused. */
export const EXAMPLE_REJECTED = {
  ...EXAMPLE_REPORT,
  verdict: 'invalid',
  reason: 'invalid_credentials',
  message: 'Dolibarr refused the API key (401): check the "Key for API" on the user card.',
  field: 'apiKey',
  identity: null,
  vendor: { product: 'dolibarr', version: '20.0.2' },
  permissions: [],
  probes: [{ ...EXAMPLE_REPORT.probes[1], status: 401, outcome: 'rejected' }],
};
/** A stored Dolibarr credential. */
export const EXAMPLE_CREDENTIAL = {
  id: EXAMPLE_ID,
  connector: 'dolibarr',
  name: 'ERP',
  description: 'Main ERP',
  fields: { baseUrl: 'https://erp.example.com' },
  requirements: [{ resource: 'thirdparties', access: ['read'] }],
  status: 'valid',
  lastCheck: EXAMPLE_REPORT,
  version: 1,
  createdAt: '2026-11-23T09:30:00.000Z',
  updatedAt: '2026-11-23T09:30:00.000Z',
  nextCheckAt: '2026-11-23T15:47:12.000Z',
};
/** The fields of a check, per connector (placeholders for the secrets). */
export const EXAMPLE_FIELDS: Record<string, Json> = {
  dolibarr: { baseUrl: 'https://erp.example.com', apiKey: '<Dolibarr API key>' },
  odoo: {
    serverUrl: 'https://acme.odoo.com',
    database: 'acme',
    username: 'bot@acme.com',
    password: '<Odoo API key>',
  },
  precoro: { apiToken: '<Precoro API token>', email: 'buyer@example.com', region: 'us' },
};
/** Requirements of a check, per connector. */
export const EXAMPLE_REQUIREMENTS: Record<string, Json[]> = {
  dolibarr: [{ resource: 'thirdparties', access: ['read'] }],
  odoo: [{ resource: 'purchase.order', access: ['read', 'write'] }],
  precoro: [{ resource: 'purchaseorders', access: ['read'] }],
};
