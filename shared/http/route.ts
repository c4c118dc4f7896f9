import { randomUUID } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
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
import type { z } from 'zod';
import { InputError } from '../domain/errors.ts';
import type { CredentialService } from '../service/credential-service.ts';
import { HttpError, type HttpResult, problemFor } from './problem.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer & { idempotencyKey?: string | null };

/** What every HTTP handler is built from. One instance per container (or per local server). */
export interface HttpDeps {
  service: CredentialService;
  logger: Logger;
  metrics: Metrics;
  /** JWT claim that names the tenant (default `tenant_id`). */
  tenantClaim: string;
  /** Origins allowed by CORS. */
  corsOrigins: string[];
  /** Where `Idempotency-Key` records live; without it the header is ignored. */
  idempotencyStore?: BasePersistenceLayer;
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
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** Schema of the `{id}` path parameter, for routes that have one. */
  id?: z.ZodType<string>;
  /** POST /credentials honours Idempotency-Key. */
  idempotent?: boolean;
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
function parsePart<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
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
function problemResponses(deps: HttpDeps): MiddlewareObj<HttpEvent, HttpResult> {
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

/** Copies the tenant-bound Idempotency-Key onto the event, where the idempotency middleware looks for it. */
function tenantIdempotencyKey(deps: HttpDeps): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: async (request) => {
      const key = request.event.headers?.['idempotency-key'];
      if (!key) return;
      if (key.length > 255)
        throw new HttpError(400, 'invalid_input', 'Idempotency-Key is longer than 255 characters.');
      const tenant = tenantOf(request.event, deps.tenantClaim);
      // Bound to the tenant, so two tenants choosing the same key never share a response.
      request.event.idempotencyKey = `${tenant}\u0000${key}`;
    },
  };
}

function tenantOf(event: HttpEvent, claim: string): string {
  const value = event.requestContext?.authorizer?.jwt?.claims?.[claim];
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new HttpError(401, 'unauthorized', 'The request carries no tenant: authenticate first.');
  }
  const tenant = String(value);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(tenant))
    throw new HttpError(401, 'unauthorized', 'The tenant claim is malformed.');
  return tenant;
}

/**
 * Builds one Lambda handler: middy with Powertools logging and metrics, header normalisation, CORS,
 * security headers, JSON body parsing (when the route takes a body), idempotency (when asked), tenant
 * resolution from the JWT authorizer, zod validation, and problem+json errors.
 */
export function route<B = undefined, Q = undefined>(deps: HttpDeps, spec: RouteSpec<B, Q>) {
  // Idempotency wraps the route's own work, inside the middy stack, so that a replayed answer still goes
  // through every `after` step (correlation id, CORS, security headers) like a fresh one.
  const idempotency =
    spec.idempotent && deps.idempotencyStore
      ? new IdempotencyConfig({
          eventKeyJmesPath: 'idempotencyKey',
          payloadValidationJmesPath: 'body',
          throwOnNoIdempotencyKey: false,
          expiresAfterSeconds: 24 * 3600,
        })
      : null;
  const run = idempotency
    ? makeIdempotent(
        async (_payload: { idempotencyKey: string | null; body: unknown }, request: RouteRequest<B, Q>) =>
          spec.run(request),
        {
          persistenceStore: deps.idempotencyStore as BasePersistenceLayer,
          config: idempotency,
          dataIndexArgument: 0,
        },
      )
    : (_payload: { idempotencyKey: string | null; body: unknown }, request: RouteRequest<B, Q>) =>
        spec.run(request);

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
    idempotency?.registerLambdaContext(context);
    return run(
      { idempotencyKey: event.idempotencyKey ?? null, body: event.body },
      { tenantId, id, body, query, headers: event.headers ?? {}, correlationId },
    );
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
  if (idempotency) handler.use(tenantIdempotencyKey(deps));
  return handler.handler(base);
}
