import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { HttpResult } from './problem.ts';
import { HttpError } from './problem.ts';
import { type HttpBase, type HttpEvent, type RouteRequest, type RunWrapper, tenantOf } from './route.ts';

/**
 * `Idempotency-Key` for POST /credentials, with Powertools idempotency: the first answer to a key is kept for
 * 24 hours and replayed for a retry with the same body; another body under the same key is a 422, a retry while
 * the first request still runs a 409. Only the function that creates credentials imports this module.
 * Without a store (`null`), the header is ignored.
 */
export function idempotencyWrapper(
  deps: Pick<HttpBase, 'tenantClaim'>,
  store: BasePersistenceLayer | null | undefined,
): RunWrapper | null {
  if (!store) return null;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    payloadValidationJmesPath: 'body',
    throwOnNoIdempotencyKey: false,
    expiresAfterSeconds: 24 * 3600,
  });
  return {
    middleware: {
      before: async (request) => {
        const key = request.event.headers?.['idempotency-key'];
        if (!key) return;
        if (key.length > 255)
          throw new HttpError(400, 'invalid_input', 'Idempotency-Key is longer than 255 characters.');
        // Bound to the tenant, so two tenants choosing the same key never share a response.
        request.event.idempotencyKey = `${tenantOf(request.event, deps.tenantClaim)}\u0000${key}`;
      },
    },
    wrap<R extends RouteRequest<unknown, unknown>>(run: (request: R) => Promise<HttpResult>) {
      const idempotent = makeIdempotent(
        async (
          _payload: { idempotencyKey: string | null; body: unknown },
          request: RouteRequest<unknown, unknown>,
        ) => run(request as R),
        { persistenceStore: store, config, dataIndexArgument: 0 },
      );
      return (event: HttpEvent, request: R, context: Context) => {
        config.registerLambdaContext(context);
        return idempotent({ idempotencyKey: event.idempotencyKey ?? null, body: event.body }, request);
      };
    },
  };
}
