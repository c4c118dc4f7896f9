import { fixUrlField, trimFields } from '../normalize.ts';
import { fieldsSchema } from '../schema.ts';
import type { Connector } from '../types.ts';
import { normalizePrecoroRegion, PRECORO_FIELDS, PRECORO_REGION_LABELS } from './fields.ts';
import { PRECORO_DEFAULT_RESOURCES, PRECORO_MAX_REQUIREMENTS, probePrecoro } from './probe.ts';

/** Precoro procurement (SaaS): REST API with a user's token and e-mail. */
export const precoro: Connector = {
  id: 'precoro',
  label: 'Precoro',
  description: 'Precoro procurement, on the international (api.precoro.com) or US (api.precoro.us) server.',
  fields: PRECORO_FIELDS,
  schema: fieldsSchema(PRECORO_FIELDS),
  vendorFacts: {
    product: { label: 'Product', values: { precoro: 'Precoro' } },
    apiHost: { label: 'API host' },
    region: { label: 'Region', values: PRECORO_REGION_LABELS },
  },
  defaultResources: PRECORO_DEFAULT_RESOURCES,
  maxRequirements: PRECORO_MAX_REQUIREMENTS,
  normalize(input) {
    const { fields, warnings } = trimFields(input, PRECORO_FIELDS);
    const region = normalizePrecoroRegion(fields.region);
    if (region === undefined) delete fields.region;
    else fields.region = region;
    warnings.push(...fixUrlField(fields, 'apiUrl', 'The Precoro API URL', []));
    return { fields, warnings };
  },
  probe: probePrecoro,
};
