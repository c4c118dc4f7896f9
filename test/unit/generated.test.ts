import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedDocuments } from '../../scripts/generate.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('generated documents (npm run generate)', () => {
  for (const [path, content] of Object.entries(generatedDocuments())) {
    it(`${path} is what the sources generate now`, () => {
      // Stale means a route, a schema or a connector's fields changed without `npm run generate`.
      expect(readFileSync(join(ROOT, path), 'utf8'), `${path} is stale: run npm run generate`).toBe(content);
    });
  }

  it('the catalogue carries every connector with its fields and JSON Schema, never a value', () => {
    const catalogue = JSON.parse(generatedDocuments()['shared/generated/catalogue.json'] ?? '{}') as {
      items: Array<{ id: string; fields: Array<{ key: string; secret: boolean }>; jsonSchema: object }>;
    };
    expect(catalogue.items.map((c) => c.id)).toEqual(['dolibarr', 'odoo', 'precoro']);
    for (const connector of catalogue.items) {
      expect(connector.fields.some((f) => f.secret)).toBe(true);
      expect(connector.jsonSchema).toMatchObject({ type: 'object' });
    }
  });
});
