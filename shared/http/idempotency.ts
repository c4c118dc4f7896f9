import { createHmac } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { HttpResult } from './problem.ts';
import { HttpError } from './problem.ts';
import { type HttpBase, type HttpEvent, type RouteRequest, type RunWrapper, tenantOf } from './route.ts';

/** Where `Idempotency-Key` records live, and the deployment's key that fingerprints request bodies. */
export interface IdempotencyParts {
  store: BasePersistenceLayer;
  /** The HMAC key, loaded once per container. */
  key(): Promise<Uint8Array>;
}

type IdempotentEvent = HttpEvent & { fingerprint?: string };

/**
 * `Idempotency-Key` for POST /credentials, with Powertools idempotency: the first answer to a key is kept for
 * 24 hours and replayed for a retry with the same body; another body under the same key is a 422, a retry while
 * the first request still runs a 409. The body is compared by an HMAC under the deployment's key, never by a
 * plain hash: the body holds a secret, and a plain hash of a weak one falls to a dictionary. Only the function
 * that creates credentials imports this module. Without parts (`null`), the header is ignored.
 */
export function idempotencyWrapper(
  deps: Pick<HttpBase, 'tenantClaim'>,
  parts: IdempotencyParts | null | undefined,
): RunWrapper | null {
  if (!parts) return null;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    payloadValidationJmesPath: 'fingerprint',
    throwOnNoIdempotencyKey: false,
    expiresAfterSeconds: 24 * 3600,
  });
  return {
    middleware: {
      before: async (request) => {
        const event = request.event as IdempotentEvent;
        const key = event.headers?.['idempotency-key'];
        if (!key) return;
        if (key.length > 255)
          throw new HttpError(400, 'invalid_input', 'Idempotency-Key is longer than 255 characters.');
        // Bound to the tenant, so two tenants choosing the same key never share a response.
        event.idempotencyKey = `${tenantOf(event, deps.tenantClaim)}\u0000${key}`;
        event.fingerprint = createHmac('sha256', await parts.key())
          .update(JSON.stringify(event.body ?? null))
          .digest('base64url');
      },
    },
    wrap<R extends RouteRequest<unknown, unknown>>(run: (request: R) => Promise<HttpResult>) {
      const idempotent = makeIdempotent(
        async (
          _payload: { idempotencyKey: string | null; fingerprint: string | null },
          request: RouteRequest<unknown, unknown>,
        ) => run(request as R),
        { persistenceStore: parts.store, config, dataIndexArgument: 0 },
      );
      return (event: HttpEvent, request: R, context: Context) => {
        config.registerLambdaContext(context);
        const { idempotencyKey, fingerprint } = event as IdempotentEvent;
        return idempotent(
          { idempotencyKey: idempotencyKey ?? null, fingerprint: fingerprint ?? null },
          request,
        );
      };
    },
  };
}
