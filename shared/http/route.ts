import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { InputError } from '../domain/errors.ts';
import { TENANT_ID } from '../domain/identifiers.ts';
import type * as z from '../domain/zod.ts';
import { HttpError, type HttpResult, problemFor } from './problem.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer & { idempotencyKey?: string | null };

/** What every HTTP handler is built from, whatever its route: observability and the request's framing. */
export interface HttpBase {
  logger: Logger;
  metrics: Metrics;
  /** JWT claim that names the tenant (default `tenant_id`). */
  tenantClaim: string;
  /** Origins allowed by CORS. */
  corsOrigins: string[];
}

/** What the route's own work runs inside: the plain call, or the idempotency wrapper of POST /credentials. */
export interface RunWrapper {
  /** Runs before the route: e.g. binds the Idempotency-Key to the tenant. */
  middleware: MiddlewareObj<HttpEvent, HttpResult>;
  wrap<R extends RouteRequest<unknown, unknown>>(
    run: (request: R) => Promise<HttpResult>,
  ): (event: HttpEvent, request: R, context: Context) => Promise<HttpResult>;
}

/** A parsed request as a route sees it. */
export interface RouteRequest<B, Q> {
  tenantId: string;
  id: string | null;
  body: B;
  query: Q;
  headers: Record<string, string | undefined>;
  correlationId: string;
}

export interface RouteSpec<B, Q> {
  /** Whether the route needs a tenant (every route but /health and /openapi.json). */
  auth: boolean;
  body?: z.ZodMiniType<B>;
  query?: z.ZodMiniType<Q>;
  /** Schema of the `{id}` path parameter, for routes that have one. */
  id?: z.ZodMiniType<string>;
  /** Wraps `run` (POST /credentials: Idempotency-Key, see ./idempotency.ts). */
  wrapper?: RunWrapper | null;
  run(request: RouteRequest<B, Q>): Promise<HttpResult>;
}

/** A JSON answer. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

const CORRELATION_HEADER = 'x-correlation-id';

function correlationIdOf(event: HttpEvent): string {
  const given = event.headers?.[CORRELATION_HEADER];
  if (given && /^[\w.-]{1,64}$/.test(given)) return given;
  return event.requestContext?.requestId || randomUUID();
}

/** Validates part of a request with zod, naming each bad field. */
function parsePart<T>(schema: z.ZodMiniType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InputError(
    parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        const names = issue.keys.map((k) => (/^[A-Za-z][A-Za-z_]{0,30}$/.test(k) ? k : '(name not shown)'));
        return {
          field: [where, ...issue.path].filter((p) => p !== '').join('.') || null,
          message: `unknown field(s) ${names.join(', ')}`,
        };
      }
      return {
        field: [where, ...issue.path].filter((p) => p !== '').join('.') || null,
        message: issue.message,
      };
    }),
  );
}

/**
 * Turns errors into problem+json and tags every answer with the correlation id. Logs 5xx with the error
 * and 4xx with only their code: request bodies (which may hold secrets) are never logged.
 */
function problemResponses(deps: HttpBase): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    after: async (request) => {
      const id = correlationIdOf(request.event);
      if (request.response)
        request.response.headers = { ...request.response.headers, [CORRELATION_HEADER]: id };
    },
    onError: async (request) => {
      const id = correlationIdOf(request.event);
      let error = request.error;
      // @middy/http-json-body-parser says 415 for both; only a wrong content type is one.
      const middyError = error as { statusCode?: number; message?: string } | null;
      if (middyError?.statusCode === 415) {
        error = /malformed/i.test(middyError.message ?? '')
          ? new HttpError(400, 'invalid_json', 'The request body is not valid JSON.')
          : new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
      }
      const name = (error as { name?: string } | null)?.name;
      if (name === 'IdempotencyValidationError') {
        error = new HttpError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used with another request body.',
        );
      } else if (name === 'IdempotencyAlreadyInProgressError') {
        error = new HttpError(
          409,
          'idempotency_in_progress',
          'A request with this Idempotency-Key is still running.',
        );
      }
      const problem = problemFor(error, id);
      if (
        problem.statusCode >= 500 &&
        !(error instanceof HttpError) &&
        (error as { code?: string })?.code !== 'check_inconclusive'
      ) {
        deps.logger.error('request failed', { correlation_id: id, error: error as Error });
      } else {
        deps.logger.info('request refused', {
          correlation_id: id,
          status: problem.statusCode,
          code: JSON.parse(problem.body).code,
        });
      }
      problem.headers[CORRELATION_HEADER] = id;
      if (!deps.metrics.hasStoredMetrics()) deps.metrics.addMetric('Requests', MetricUnit.Count, 1);
      request.response = problem;
    },
  };
}

/** The tenant of a request, from the JWT authorizer's claims; 401 when there is none or it is malformed. */
export function tenantOf(event: HttpEvent, claim: string): string {
  const value = event.requestContext?.authorizer?.jwt?.claims?.[claim];
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new HttpError(401, 'unauthorized', 'The request carries no tenant: authenticate first.');
  }
  const tenant = String(value);
  if (!TENANT_ID.test(tenant)) throw new HttpError(401, 'unauthorized', 'The tenant claim is malformed.');
  return tenant;
}

/**
 * Builds one Lambda handler: middy with Powertools logging and metrics, header normalisation, CORS,
 * security headers, JSON body parsing (when the route takes a body), the route's wrapper (idempotency), tenant
 * resolution from the JWT authorizer, zod validation, and problem+json errors.
 */
export function route<B = undefined, Q = undefined>(deps: HttpBase, spec: RouteSpec<B, Q>) {
  // The wrapper goes around the route's own work, inside the middy stack, so that a replayed answer still goes
  // through every `after` step (correlation id, CORS, security headers) like a fresh one.
  const run = spec.wrapper
    ? spec.wrapper.wrap((request: RouteRequest<B, Q>) => spec.run(request))
    : (_event: HttpEvent, request: RouteRequest<B, Q>) => spec.run(request);

  const base = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const correlationId = correlationIdOf(event);
    const tenantId = spec.auth ? tenantOf(event, deps.tenantClaim) : '';
    deps.logger.appendKeys({ correlation_id: correlationId, ...(tenantId ? { tenant_id: tenantId } : {}) });
    deps.metrics.addMetric('Requests', MetricUnit.Count, 1);
    const idParam = event.pathParameters?.id;
    const id = spec.id ? parsePart(spec.id, idParam, 'id') : null;
    const query = spec.query
      ? parsePart(spec.query, event.queryStringParameters ?? {}, 'query')
      : (undefined as Q);
    const body = spec.body ? parsePart(spec.body, event.body, '') : (undefined as B);
    return run(event, { tenantId, id, body, query, headers: event.headers ?? {}, correlationId }, context);
  };

  const handler = middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(logMetrics(deps.metrics))
    .use(httpHeaderNormalizer())
    .use(
      httpCors({ origins: deps.corsOrigins, exposeHeaders: 'ETag, Location, X-Correlation-Id, Retry-After' }),
    )
    .use(httpSecurityHeaders())
    .use(problemResponses(deps));
  if (spec.body) handler.use(httpJsonBodyParser());
  if (spec.wrapper) handler.use(spec.wrapper.middleware);
  return handler.handler(base);
}
