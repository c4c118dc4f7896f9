// GET /openapi.json: the OpenAPI 3.1 document (generated at build time), public.
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeOpenApiHandler } from '../shared/http/handlers/openapi.ts';

export const handler = makeOpenApiHandler(lambdaHttpBase());
