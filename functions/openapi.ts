// GET /openapi.json: the OpenAPI 3.1 document, no authentication.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeOpenApiHandler } from '../shared/http/handlers.ts';

export const handler = makeOpenApiHandler(lambdaDeps());
