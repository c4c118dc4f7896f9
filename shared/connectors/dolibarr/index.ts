import { MAX_REQUIREMENTS } from '../check-budget.ts';
import { fixUrlField, trimFields } from '../normalize.ts';
import { fieldsSchema } from '../schema.ts';
import type { Connector } from '../types.ts';
import { DOLIBARR_FIELDS, DOLIBARR_URL_SUFFIXES } from './fields.ts';
import { DOLIBARR_DEFAULT_RESOURCES, probeDolibarr } from './probe.ts';

/** Dolibarr ERP/CRM: REST API key on `/api/index.php`. */
export const dolibarr: Connector = {
  id: 'dolibarr',
  label: 'Dolibarr',
  description:
    'Dolibarr ERP & CRM, self-hosted or cloud: the REST API (module "API REST") with a user\'s API key.',
  fields: DOLIBARR_FIELDS,
  schema: fieldsSchema(DOLIBARR_FIELDS),
  vendorFacts: {
    product: { label: 'Product', values: { dolibarr: 'Dolibarr' } },
    version: { label: 'Dolibarr version' },
    accessLocked: { label: 'Locked for maintenance' },
  },
  defaultResources: DOLIBARR_DEFAULT_RESOURCES,
  maxRequirements: MAX_REQUIREMENTS,
  normalize(input) {
    const { fields, warnings } = trimFields(input, DOLIBARR_FIELDS);
    warnings.push(...fixUrlField(fields, 'baseUrl', 'The Dolibarr URL', DOLIBARR_URL_SUFFIXES));
    return { fields, warnings };
  },
  probe: probeDolibarr,
};
