import { dolibarr } from './dolibarr/index.ts';
import { odoo } from './odoo/index.ts';
import { precoro } from './precoro/index.ts';
import { fieldsJsonSchema } from './schema.ts';
import type { Connector } from './types.ts';

/** Every connector credval knows, by id. A new vendor is one folder plus one line here. */
export const CONNECTORS: ReadonlyMap<string, Connector> = new Map(
  [dolibarr, odoo, precoro].map((c) => [c.id, c]),
);

/** The connector with this id, or undefined. */
export function findConnector(id: string): Connector | undefined {
  return CONNECTORS.get(id);
}

/** One catalogue entry: what a form needs to ask for a credential (never a value). */
export interface CatalogueEntry {
  id: string;
  label: string;
  description: string;
  fields: Connector['fields'];
  vendorFacts: Connector['vendorFacts'];
  jsonSchema: Record<string, unknown>;
  /** The most distinct resources one check may name in `requirements`. */
  maxRequirements: number;
}

/** The connector catalogue served at `GET /connectors` and printed by `credval connectors`. */
export function connectorCatalogue(): CatalogueEntry[] {
  return [...CONNECTORS.values()].map((c) => ({
    id: c.id,
    label: c.label,
    description: c.description,
    fields: c.fields,
    vendorFacts: c.vendorFacts,
    jsonSchema: fieldsJsonSchema(c.schema),
    maxRequirements: c.maxRequirements,
  }));
}
