import type { Uses } from '../app/uses.ts';

/** One HTTP route and the Lambda function behind it. */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway path, `{id}` for a path parameter. */
  path: string;
  /** The function's name: its entry is `functions/<name>.ts`, its handler factory `shared/http/handlers/<name>.ts`. */
  name: string;
  /** `false` for the public routes; every other route needs a tenant (the JWT authorizer, or a local token). */
  auth: boolean;
  /** One line for the function's description and the OpenAPI summary. */
  summary: string;
  uses: Uses;
}

/**
 * Every route of the HTTP API, as data: the stack creates one function and route per entry and grants what
 * `uses` says, the local server routes requests by it, and the OpenAPI document lists it.
 */
export const ROUTES = [
  { method: 'GET', path: '/', name: 'console', auth: false, summary: 'The console page', uses: {} },
  { method: 'GET', path: '/health', name: 'health', auth: false, summary: 'Liveness', uses: {} },
  {
    method: 'GET',
    path: '/openapi.json',
    name: 'openapi',
    auth: false,
    summary: 'This API as an OpenAPI 3.1 document',
    uses: {},
  },
  {
    method: 'GET',
    path: '/connectors',
    name: 'list-connectors',
    auth: true,
    summary: 'Connector catalogue: fields, help texts and one JSON Schema per connector',
    uses: {},
  },
  {
    method: 'POST',
    path: '/validations',
    name: 'validate-credential',
    auth: true,
    summary: 'Dry run: check a credential against its vendor, store nothing',
    uses: { vendors: true },
  },
  {
    method: 'POST',
    path: '/credentials',
    name: 'create-credential',
    auth: true,
    summary: 'Check a credential, then store it (Idempotency-Key)',
    uses: { vendors: true, table: 'write', idempotency: true, secrets: ['create'] },
  },
  {
    method: 'GET',
    path: '/credentials',
    name: 'list-credentials',
    auth: true,
    summary: 'List credentials (never secrets)',
    uses: { table: 'read' },
  },
  {
    method: 'GET',
    path: '/credentials/{id}',
    name: 'get-credential',
    auth: true,
    summary: 'A credential: metadata and last report',
    uses: { table: 'read' },
  },
  {
    method: 'PATCH',
    path: '/credentials/{id}',
    name: 'update-credential',
    auth: true,
    summary: 'Rename, edit or rotate a credential (re-checked; If-Match)',
    uses: { vendors: true, table: 'write', secrets: ['read', 'rotate'] },
  },
  {
    method: 'DELETE',
    path: '/credentials/{id}',
    name: 'delete-credential',
    auth: true,
    summary: 'Delete a credential: the item now, the secret after its recovery window',
    uses: { table: 'read', deletes: true, secrets: ['delete'] },
  },
  {
    method: 'POST',
    path: '/credentials/{id}/validate',
    name: 'recheck-credential',
    auth: true,
    summary: 'Re-check a stored credential now',
    uses: { vendors: true, table: 'write', secrets: ['read'], externalSecrets: true },
  },
  {
    method: 'GET',
    path: '/credentials/{id}/checks',
    name: 'list-checks',
    auth: true,
    summary: "A credential's check history, newest first",
    uses: { table: 'read' },
  },
] as const satisfies readonly Route[];

export type RouteName = (typeof ROUTES)[number]['name'];
