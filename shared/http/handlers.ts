import { connectorCatalogue } from '../connectors/registry.ts';
import { type CheckRecord, type Credential, toView } from '../domain/credential.ts';
import { makeConsoleHandler } from './console.ts'; // console: the page served at GET /
import { openApiDocument } from './openapi.ts';
import { HttpError } from './problem.ts';
import { type HttpDeps, json, route } from './route.ts';
import { CreateBody, CredentialId, ListQuery, PageQuery, UpdateBody, ValidateBody } from './schemas.ts';

/** `ETag` of a credential: its version, as a strong tag. */
export function etagOf(credential: Credential): string {
  return `"${credential.version}"`;
}

/** Reads `If-Match: "3"` (or W/"3", or 3); undefined when absent, 412 when not a version. */
function ifMatchVersion(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,12})"?\s*$/.exec(header);
  if (!match)
    throw new HttpError(412, 'precondition_failed', 'If-Match must be the ETag of the credential, e.g. "3".');
  return Number(match[1]);
}

function credentialResult(status: number, credential: Credential, extra: Record<string, string> = {}) {
  return json(status, toView(credential), { etag: etagOf(credential), ...extra });
}

function checkView(record: CheckRecord) {
  const { tenantId: _tenant, credentialId: _id, ...view } = record;
  return view;
}

export const makeHealthHandler = (deps: HttpDeps) =>
  route(deps, { auth: false, run: async () => json(200, { status: 'ok' }) });

export const makeOpenApiHandler = (deps: HttpDeps) =>
  route(deps, { auth: false, run: async () => json(200, openApiDocument()) });

export const makeListConnectorsHandler = (deps: HttpDeps) =>
  route(deps, { auth: true, run: async () => json(200, { items: connectorCatalogue() }) });

export const makeValidateHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    body: ValidateBody,
    run: async ({ tenantId, body }) => json(200, await deps.service.validate(tenantId, body)),
  });

export const makeCreateCredentialHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    body: CreateBody,
    idempotent: true,
    run: async ({ tenantId, body }) => {
      const credential = await deps.service.create(tenantId, body);
      return credentialResult(201, credential, { location: `/credentials/${credential.id}` });
    },
  });

export const makeListCredentialsHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    query: ListQuery,
    run: async ({ tenantId, query }) => {
      const page = await deps.service.list(tenantId, query);
      return json(200, { items: page.items.map(toView), nextCursor: page.nextCursor });
    },
  });

export const makeGetCredentialHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    run: async ({ tenantId, id }) => credentialResult(200, await deps.service.get(tenantId, id ?? '')),
  });

export const makeUpdateCredentialHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    body: UpdateBody,
    run: async ({ tenantId, id, body, headers }) => {
      const ifMatch = ifMatchVersion(headers['if-match']);
      const { fields, ...rest } = body;
      const normalizedFields = fields
        ? Object.fromEntries(
            Object.entries(fields).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]),
          )
        : undefined;
      const credential = await deps.service.update(
        tenantId,
        id ?? '',
        { ...rest, fields: normalizedFields },
        ifMatch,
      );
      return credentialResult(200, credential);
    },
  });

export const makeDeleteCredentialHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    run: async ({ tenantId, id, headers }) => {
      await deps.service.delete(tenantId, id ?? '', ifMatchVersion(headers['if-match']));
      return { statusCode: 204, headers: {}, body: '' };
    },
  });

export const makeRecheckHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    run: async ({ tenantId, id }) =>
      credentialResult(200, await deps.service.recheck(tenantId, id ?? '', 'manual')),
  });

export const makeListChecksHandler = (deps: HttpDeps) =>
  route(deps, {
    auth: true,
    id: CredentialId,
    query: PageQuery,
    run: async ({ tenantId, id, query }) => {
      const page = await deps.service.history(tenantId, id ?? '', query);
      return json(200, { items: page.items.map(checkView), nextCursor: page.nextCursor });
    },
  });

/** Every route of DESIGN.md section 6, with the factory of its handler (shared by Lambda, local server, OpenAPI). */
export const ROUTES = [
  // console: the single-page console (HTML with its script and style inlined, strict CSP); shared/http/console.ts
  { method: 'GET', path: '/', name: 'console', make: makeConsoleHandler, public: true },
  { method: 'GET', path: '/health', name: 'health', make: makeHealthHandler, public: true },
  { method: 'GET', path: '/openapi.json', name: 'openapi', make: makeOpenApiHandler, public: true },
  {
    method: 'GET',
    path: '/connectors',
    name: 'list-connectors',
    make: makeListConnectorsHandler,
    public: false,
  },
  {
    method: 'POST',
    path: '/validations',
    name: 'validate-credential',
    make: makeValidateHandler,
    public: false,
  },
  {
    method: 'POST',
    path: '/credentials',
    name: 'create-credential',
    make: makeCreateCredentialHandler,
    public: false,
  },
  {
    method: 'GET',
    path: '/credentials',
    name: 'list-credentials',
    make: makeListCredentialsHandler,
    public: false,
  },
  {
    method: 'GET',
    path: '/credentials/{id}',
    name: 'get-credential',
    make: makeGetCredentialHandler,
    public: false,
  },
  {
    method: 'PATCH',
    path: '/credentials/{id}',
    name: 'update-credential',
    make: makeUpdateCredentialHandler,
    public: false,
  },
  {
    method: 'DELETE',
    path: '/credentials/{id}',
    name: 'delete-credential',
    make: makeDeleteCredentialHandler,
    public: false,
  },
  {
    method: 'POST',
    path: '/credentials/{id}/validate',
    name: 'recheck-credential',
    make: makeRecheckHandler,
    public: false,
  },
  {
    method: 'GET',
    path: '/credentials/{id}/checks',
    name: 'list-checks',
    make: makeListChecksHandler,
    public: false,
  },
] as const;
