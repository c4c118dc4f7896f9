import { type HttpBase, json, route } from '../route.ts';

/** GET /health: liveness, public; builds nothing but its handler. */
export const makeHealthHandler = (deps: HttpBase) =>
  route(deps, { auth: false, run: async () => json(200, { status: 'ok' }) });
