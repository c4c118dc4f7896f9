import { CheckTrigger, CredentialStatus, CredentialView } from '../domain/credential.ts';
import { Report, Requirement } from '../domain/report.ts';
import * as z from '../domain/zod.ts';
import { CreateBody } from './handlers/create-credential.ts';
import { PageQuery } from './handlers/list-checks.ts';
import { ListQuery } from './handlers/list-credentials.ts';
import { UpdateBody } from './handlers/update-credential.ts';
import { ValidateBody } from './handlers/validate-credential.ts';
import { ROUTES, type RouteName } from './routes.ts';

// The OpenAPI 3.1 document, built from the route table and the zod schemas with zod's own JSON Schema output.
// It runs at build time only (`npm run generate` writes shared/generated/openapi.json, which the openapi function
// serves); no Lambda function imports this module.

const CheckView = z.object({
  checkId: z.string(),
  checkedAt: z.string(),
  trigger: CheckTrigger,
  statusBefore: z.nullable(CredentialStatus),
  statusAfter: CredentialStatus,
  report: Report,
});

/** RFC 9457 problem details with credval's stable `code`. */
const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: z.string(),
  correlationId: z.string(),
  issues: z.optional(z.array(z.object({ field: z.nullable(z.string()), message: z.string() }))),
  report: z.optional(Report),
});

/** Named answer schemas (components), referenced by `$ref`. */
const ANSWERS = {
  Report,
  Requirement,
  Credential: CredentialView,
  Check: CheckView,
  CredentialPage: z.object({ items: z.array(CredentialView), nextCursor: z.nullable(z.string()) }),
  CheckPage: z.object({ items: z.array(CheckView), nextCursor: z.nullable(z.string()) }),
  Problem,
};
/** Named request bodies (components). */
const BODIES = { ValidateBody, CreateBody, UpdateBody };

type Json = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ok = (description: string, schema: Json) => ({
  description,
  content: { 'application/json': { schema } },
});
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const body = (name: keyof typeof BODIES) => ({
  content: { 'application/json': { schema: ref(name) } },
});
const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Credential id',
  schema: { type: 'string' },
};
const notFound = { 404: problem('No such credential') };

/** The query parameters of a query schema, one per property. */
function queryParameters(schema: z.ZodMiniType): Json[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, Json> };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    schema: property,
  }));
}

/**
 * What each route takes and answers, besides the 400 and 401 every authenticated route can give; null for the
 * console, a page for people rather than part of the API.
 */
const OPERATIONS: Record<RouteName, Json | null> = {
  console: null,
  health: {
    responses: {
      200: ok('Up', { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] }),
    },
  },
  openapi: { responses: { 200: ok('OpenAPI 3.1', { type: 'object' }) } },
  'list-connectors': {
    responses: {
      200: ok('Catalogue', {
        type: 'object',
        properties: { items: { type: 'array', items: { type: 'object' } } },
      }),
    },
  },
  'validate-credential': {
    requestBody: body('ValidateBody'),
    responses: { 200: ok('The report, whatever the verdict', ref('Report')) },
  },
  'create-credential': {
    parameters: [
      { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } },
    ],
    requestBody: body('CreateBody'),
    responses: {
      201: ok('Stored', ref('Credential')),
      422: problem('The vendor refused the credential; the report is under `report`'),
      503: problem('Nobody could tell (network, 429, 5xx); retry, or send allowUnverified'),
    },
  },
  'list-credentials': {
    parameters: queryParameters(ListQuery),
    responses: { 200: ok('A page', ref('CredentialPage')) },
  },
  'get-credential': {
    parameters: [idParameter],
    responses: { 200: ok('The credential', ref('Credential')), ...notFound },
  },
  'update-credential': {
    parameters: [
      idParameter,
      { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } },
    ],
    requestBody: body('UpdateBody'),
    responses: {
      200: ok('Updated', ref('Credential')),
      ...notFound,
      409: problem('Changed concurrently'),
      412: problem('If-Match does not match the version'),
      422: problem('The new configuration was refused; nothing changed'),
      503: problem('Could not verify the change; nothing changed'),
    },
  },
  'delete-credential': {
    parameters: [idParameter],
    responses: { 204: { description: 'Deleted' }, ...notFound },
  },
  'recheck-credential': {
    parameters: [idParameter],
    responses: { 200: ok('The updated credential', ref('Credential')), ...notFound },
  },
  'list-checks': {
    parameters: [idParameter, ...queryParameters(PageQuery)],
    responses: { 200: ok('A page', ref('CheckPage')), ...notFound },
  },
};

/** Named schemas as JSON Schema, referencing each other through `#/components/schemas/<name>`. */
function components(schemas: Record<string, z.ZodMiniType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, {
    io,
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  for (const schema of Object.values(out)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return out;
}

/** The OpenAPI 3.1 document of every route in the route table. */
export function openApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    const operation = OPERATIONS[route.name];
    if (!operation) continue;
    const responses = {
      ...(route.auth
        ? { 400: problem('Bad input; `issues` names each field'), 401: problem('No tenant: authenticate') }
        : {}),
      ...(operation.responses as Json),
    };
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, Json>)[route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.auth ? { security: [{ bearer: [] }] } : {}),
      ...operation,
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'credval',
      version: '1',
      description:
        'Checks business-system credentials, stores them only when they work, and keeps checking them.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { ...components(ANSWERS, 'output'), ...components(BODIES, 'input') },
    },
    paths,
  };
}
