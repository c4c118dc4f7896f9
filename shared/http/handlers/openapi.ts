import document from '../../generated/openapi.json' with { type: 'json' };
import { type HttpBase, json, route } from '../route.ts';

/** GET /openapi.json: the document generated at build time (`npm run generate`), public. */
export const makeOpenApiHandler = (deps: HttpBase) =>
  route(deps, { auth: false, run: async () => json(200, document) });
