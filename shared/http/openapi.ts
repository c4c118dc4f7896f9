import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from '../domain/zod.ts';
import {
  CheckPage,
  CreateBody,
  CredentialPage,
  CredentialResponse,
  ListQuery,
  PageQuery,
  Problem,
  ReportResponse,
  UpdateBody,
  ValidateBody,
} from './schemas.ts';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});
const ok = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParams = z.object({ id: z.string().openapi({ description: 'Credential id' }) });
const secured = [{ bearer: [] }];
const common = {
  400: problem('Bad input; `issues` names each field'),
  401: problem('No tenant: authenticate'),
};

function paths(): RouteConfig[] {
  return [
    {
      method: 'get',
      path: '/health',
      summary: 'Liveness',
      responses: { 200: ok('Up', z.object({ status: z.literal('ok') })) },
    },
    {
      method: 'get',
      path: '/openapi.json',
      summary: 'This document',
      responses: { 200: ok('OpenAPI 3.1', z.object({})) },
    },
    {
      method: 'get',
      path: '/connectors',
      summary: 'Connector catalogue: fields, help texts and one JSON Schema per connector',
      security: secured,
      responses: {
        200: ok('Catalogue', z.object({ items: z.array(z.object({}).passthrough()) })),
        401: common[401],
      },
    },
    {
      method: 'post',
      path: '/validations',
      summary: 'Dry run: check a credential, store nothing (200 whatever the verdict)',
      security: secured,
      request: { body: { content: { 'application/json': { schema: ValidateBody } } } },
      responses: { 200: ok('The report', ReportResponse), ...common },
    },
    {
      method: 'post',
      path: '/credentials',
      summary: 'Check, then store. Honours Idempotency-Key.',
      security: secured,
      request: {
        headers: z.object({ 'idempotency-key': z.string().max(255).optional() }),
        body: { content: { 'application/json': { schema: CreateBody } } },
      },
      responses: {
        201: ok('Stored', CredentialResponse),
        ...common,
        422: problem('The vendor refused the credential; the report is under `report`'),
        503: problem('Nobody could tell (network, 429, 5xx); retry, or send allowUnverified'),
      },
    },
    {
      method: 'get',
      path: '/credentials',
      summary: 'List credentials (cursor pagination, filters by connector and status); never secrets',
      security: secured,
      request: { query: ListQuery },
      responses: { 200: ok('A page', CredentialPage), ...common },
    },
    {
      method: 'get',
      path: '/credentials/{id}',
      summary: 'Metadata and last report; ETag is the version',
      security: secured,
      request: { params: idParams },
      responses: {
        200: ok('The credential', CredentialResponse),
        ...common,
        404: problem('No such credential'),
      },
    },
    {
      method: 'patch',
      path: '/credentials/{id}',
      summary:
        'Rename, edit fields (re-checked), or rotate the secret (tested before promotion). Honours If-Match.',
      security: secured,
      request: {
        params: idParams,
        headers: z.object({ 'if-match': z.string().optional() }),
        body: { content: { 'application/json': { schema: UpdateBody } } },
      },
      responses: {
        200: ok('Updated', CredentialResponse),
        ...common,
        404: problem('No such credential'),
        409: problem('Changed concurrently'),
        412: problem('If-Match does not match the version'),
        422: problem('The new configuration was refused; nothing changed'),
        503: problem('Could not verify the change; nothing changed'),
      },
    },
    {
      method: 'delete',
      path: '/credentials/{id}',
      summary:
        'Delete: the secret is scheduled for deletion with a recovery window; history is kept until its TTL',
      security: secured,
      request: { params: idParams },
      responses: { 204: { description: 'Deleted' }, ...common, 404: problem('No such credential') },
    },
    {
      method: 'post',
      path: '/credentials/{id}/validate',
      summary: 'Re-check now',
      security: secured,
      request: { params: idParams },
      responses: {
        200: ok('The updated credential', CredentialResponse),
        ...common,
        404: problem('No such credential'),
      },
    },
    {
      method: 'get',
      path: '/credentials/{id}/checks',
      summary: 'Check history, newest first',
      security: secured,
      request: { params: idParams, query: PageQuery },
      responses: { 200: ok('A page', CheckPage), ...common, 404: problem('No such credential') },
    },
  ];
}

let cached: object | null = null;

/** The OpenAPI 3.1 document, generated once from the zod schemas. */
export function openApiDocument(): object {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  for (const path of paths()) registry.registerPath(path);
  cached = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'credval',
      version: '1',
      description:
        'Checks business-system credentials, stores them only when they work, and keeps checking them.',
    },
  });
  return cached;
}
