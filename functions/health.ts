// GET /health: liveness, no authentication.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeHealthHandler } from '../shared/http/handlers.ts';

export const handler = makeHealthHandler(lambdaDeps());
