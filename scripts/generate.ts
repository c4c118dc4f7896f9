// Writes the documents the functions serve as they are, so that no function builds them at run time:
// shared/generated/openapi.json (GET /openapi.json) and shared/generated/catalogue.json (GET /connectors).
// `npm run generate` after changing a route, a schema or a connector's fields; test/unit/generated.test.ts fails
// when a committed document is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectorCatalogue } from '../shared/connectors/registry.ts';
import { openApiDocument } from '../shared/http/openapi.ts';

/** Each generated file, by path from the repository root, with its current content. */
export function generatedDocuments(): Record<string, string> {
  const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'shared/generated/openapi.json': text(openApiDocument()),
    'shared/generated/catalogue.json': text({ items: connectorCatalogue() }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = fileURLToPath(new URL('../', import.meta.url));
  for (const [path, content] of Object.entries(generatedDocuments())) {
    writeFileSync(`${root}${path}`, content);
    console.log(`wrote ${path}`);
  }
}
