import catalogue from '../../generated/catalogue.json' with { type: 'json' };
import { type HttpBase, json, route } from '../route.ts';

/**
 * GET /connectors: the connector catalogue, generated at build time from the connectors' field lists
 * (`npm run generate`), so this function carries none of the connectors' code.
 */
export const makeListConnectorsHandler = (deps: HttpBase) =>
  route(deps, { auth: true, run: async () => json(200, catalogue) });
