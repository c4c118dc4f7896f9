import { MAX_REQUIREMENTS } from '../check-budget.ts';
import { fixUrlField, trimFields } from '../normalize.ts';
import { fieldsSchema } from '../schema.ts';
import type { Connector } from '../types.ts';
import { ODOO_FIELDS, ODOO_URL_SUFFIXES } from './fields.ts';
import { ODOO_DEFAULT_RESOURCES, probeOdoo } from './probe.ts';

/** Odoo (self-hosted, Odoo.sh or Odoo Online): XML-RPC, and JSON-2 on Odoo 19 and later. */
export const odoo: Connector = {
  id: 'odoo',
  label: 'Odoo',
  description:
    'Odoo, any edition: XML-RPC with a password or API key, and the JSON-2 API with an API key on Odoo 19+.',
  fields: ODOO_FIELDS,
  schema: fieldsSchema(ODOO_FIELDS),
  vendorFacts: {
    product: { label: 'Product', values: { odoo: 'Odoo' } },
    version: { label: 'Odoo version' },
    serie: { label: 'Release series' },
    major: { label: 'Major version' },
    edition: { label: 'Edition', values: { community: 'Community', enterprise: 'Enterprise' } },
    transport: {
      label: 'API used',
      values: { json2: 'JSON-2 API (API key)', xmlrpc: 'XML-RPC (external API)' },
    },
    portalUser: { label: 'Portal (external) user' },
  },
  defaultResources: ODOO_DEFAULT_RESOURCES,
  maxRequirements: MAX_REQUIREMENTS,
  normalize(input) {
    const { fields, warnings } = trimFields(input, ODOO_FIELDS);
    warnings.push(...fixUrlField(fields, 'serverUrl', 'The Odoo URL', ODOO_URL_SUFFIXES));
    return { fields, warnings };
  },
  probe: probeOdoo,
};
