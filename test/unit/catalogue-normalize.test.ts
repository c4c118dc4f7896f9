import { describe, expect, it } from 'vitest';
import { CheckInputError, prepareCheck } from '../../shared/connectors/check.ts';
import { connectorCatalogue } from '../../shared/connectors/registry.ts';

const dolibarr = (fields: Record<string, unknown>) => prepareCheck({ connector: 'dolibarr', fields });
const odoo = (fields: Record<string, unknown>) => prepareCheck({ connector: 'odoo', fields });

function inputIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof CheckInputError) return error.issues.map((i) => `${i.field ?? '-'}: ${i.message}`);
    throw error;
  }
  throw new Error('expected a CheckInputError');
}

describe('connector catalogue', () => {
  const catalogue = connectorCatalogue();

  it('lists dolibarr, odoo and precoro with the contract field keys', () => {
    const keys = Object.fromEntries(catalogue.map((c) => [c.id, c.fields.map((f) => f.key)]));
    expect(keys).toEqual({
      dolibarr: ['baseUrl', 'apiKey', 'entity'],
      odoo: ['serverUrl', 'database', 'username', 'password'],
      precoro: ['apiToken', 'email', 'region', 'apiUrl'],
    });
  });

  it('marks exactly the secrets as secret, and gives every field a label and help text', () => {
    const secrets = catalogue.flatMap((c) => c.fields.filter((f) => f.secret).map((f) => `${c.id}.${f.key}`));
    expect(secrets).toEqual(['dolibarr.apiKey', 'odoo.password', 'precoro.apiToken']);
    for (const field of catalogue.flatMap((c) => c.fields)) {
      expect(field.label.length).toBeGreaterThan(2);
      expect(field.help.length).toBeGreaterThan(30);
    }
  });

  it('publishes one JSON Schema per connector with required fields, titles and write-only secrets', () => {
    const schema = catalogue.find((c) => c.id === 'odoo')?.jsonSchema as {
      type: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { title?: string; description?: string; writeOnly?: boolean }>;
    };
    expect(schema.type).toBe('object');
    expect(schema.required.sort()).toEqual(['database', 'password', 'serverUrl', 'username']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.password?.writeOnly).toBe(true);
    expect(schema.properties.serverUrl?.title).toBe('Odoo URL');
    const precoro = catalogue.find((c) => c.id === 'precoro')?.jsonSchema as {
      properties: Record<string, { enum?: string[] }>;
    };
    expect(precoro.properties.region?.enum).toEqual(['com', 'us']);
  });
});

describe('input normalisation', () => {
  it.each([
    ['erp.example.com', 'https://erp.example.com', /added https/],
    ['https://erp.example.com/', 'https://erp.example.com', /trailing slash/],
    ['https://erp.example.com/api/index.php', 'https://erp.example.com', /removed \/api\/index\.php/],
    ['https://erp.example.com/dolibarr/api/index.php/status', 'https://erp.example.com/dolibarr', /removed/],
    ['https://erp.example.com/index.php?mainmenu=home', 'https://erp.example.com', /query string/],
    ['  https://erp.example.com  ', 'https://erp.example.com', /spaces/],
  ])('fixes the Dolibarr URL %j and says so', (raw, fixed, change) => {
    const check = dolibarr({ baseUrl: raw, apiKey: 'k' });
    expect(check.fields.baseUrl).toBe(fixed);
    const messages = check.warnings.map((w) => `${w.code} ${w.message}`).join(' | ');
    expect(messages).toMatch(/url_normalized/);
    expect(messages).toMatch(change);
  });

  it.each([
    ['https://odoo.example.com/web', 'https://odoo.example.com'],
    ['https://odoo.example.com/web/login?db=acme', 'https://odoo.example.com'],
    ['https://odoo.example.com/odoo/action-123', 'https://odoo.example.com'],
    ['https://odoo.example.com/xmlrpc/2/common', 'https://odoo.example.com'],
    ['https://odoo.example.com/en/web', 'https://odoo.example.com'],
    ['mycompany.odoo.com', 'https://mycompany.odoo.com'],
  ])('fixes the Odoo URL %j', (raw, fixed) => {
    const check = odoo({ serverUrl: raw, database: 'acme', username: 'admin', password: 'pw' });
    expect(check.fields.serverUrl).toBe(fixed);
    expect(check.warnings.some((w) => w.code === 'url_normalized')).toBe(true);
  });

  it('leaves a clean URL alone and warns about nothing', () => {
    const check = dolibarr({ baseUrl: 'https://erp.example.com', apiKey: 'k' });
    expect(check.warnings).toEqual([]);
  });

  it('trims a pasted secret and reports it without showing the value', () => {
    const check = dolibarr({ baseUrl: 'https://erp.example.com', apiKey: '  canary-secret-1234 ' });
    expect(check.fields.apiKey).toBe('canary-secret-1234');
    expect(JSON.stringify(check.warnings)).toMatch(/API key/);
    expect(JSON.stringify(check.warnings)).not.toContain('canary-secret-1234');
  });

  it.each([
    ['US', 'us'],
    ['app.precoro.us', 'us'],
    ['https://app.precoro.us/', 'us'],
    ['com', 'com'],
    ['app.precoro.com', 'com'],
  ])('reads the Precoro region %j as %j', (raw, region) => {
    const check = prepareCheck({
      connector: 'precoro',
      fields: { apiToken: 't', email: 'a@example.com', region: raw },
    });
    expect(check.fields.region).toBe(region);
  });
});

describe('bad input is named, never guessed', () => {
  it('rejects an unknown connector and lists the known ones', () => {
    expect(inputIssues(() => prepareCheck({ connector: 'sap', fields: {} }))).toEqual([
      'connector: unknown connector "sap" (known: dolibarr, odoo, precoro)',
    ]);
  });

  it('names each missing required field', () => {
    expect(inputIssues(() => odoo({ serverUrl: 'https://o.example.com' }))).toEqual([
      'database: is required',
      'username: is required',
      'password: is required',
    ]);
  });

  it('treats a blank value as missing', () => {
    expect(inputIssues(() => dolibarr({ baseUrl: 'https://erp.example.com', apiKey: '   ' }))).toEqual([
      'apiKey: is required',
    ]);
  });

  it('names unknown fields', () => {
    expect(
      inputIssues(() => dolibarr({ baseUrl: 'https://e.example.com', apiKey: 'k', apikey: 'x' })),
    ).toEqual(['-: unknown field(s) apikey for dolibarr (fields: baseUrl, apiKey, entity)']);
  });

  it.each([
    [{ baseUrl: 'ftp://erp.example.com', apiKey: 'k' }, 'baseUrl: must be an http(s) URL'],
    [{ baseUrl: 'https://erp.example.com', apiKey: 42 }, 'apiKey: must be a string'],
    [{ baseUrl: 'https://erp.example.com', apiKey: 'k', entity: 'two' }, 'entity: must be a whole number'],
  ])('names a malformed field', (fields, issue) => {
    expect(inputIssues(() => dolibarr(fields))).toEqual([issue]);
  });

  it('rejects fields that are not an object and malformed requirements', () => {
    expect(inputIssues(() => prepareCheck({ connector: 'odoo', fields: 'x' }))).toEqual([
      'fields: must be a JSON object of field values',
    ]);
    const issues = inputIssues(() =>
      prepareCheck({
        connector: 'dolibarr',
        fields: { baseUrl: 'https://e.example.com', apiKey: 'k' },
        requirements: [{ resource: 'thirdparties', access: ['delete'] }],
      }),
    );
    expect(issues[0]).toMatch(/^requirements\.0\.access\.0: /);
  });

  it('caps requirements where the vendor is too slow for more, naming the limit the catalogue gives', () => {
    const limits = Object.fromEntries(connectorCatalogue().map((c) => [c.id, c.maxRequirements]));
    expect(limits).toEqual({ dolibarr: 50, odoo: 50, precoro: 10 });
    const precoro = (count: number) =>
      prepareCheck({
        connector: 'precoro',
        fields: { apiToken: 'tok-12345678', email: 'a@example.com' },
        requirements: Array.from({ length: count }, (_, i) => ({
          resource: `resource-${i}`,
          access: ['read' as const],
        })),
      });
    expect(precoro(10).requirements).toHaveLength(10);
    expect(inputIssues(() => precoro(35))).toEqual([
      "requirements: precoro checks at most 10 resources per request (35 asked): Precoro's pace allows no more within the check's time; split them over several checks",
    ]);
    // What counts is the resources asked about: one resource named twice costs one call.
    expect(() =>
      prepareCheck({
        connector: 'precoro',
        fields: { apiToken: 'tok-12345678', email: 'a@example.com' },
        requirements: [
          ...Array.from({ length: 10 }, (_, i) => ({ resource: `r${i}`, access: ['read' as const] })),
          { resource: 'r0', access: ['write'] },
        ],
      }),
    ).not.toThrow();
  });
});
