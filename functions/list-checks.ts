// GET /credentials/{id}/checks: check history.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeListChecksHandler } from '../shared/http/handlers.ts';

export const handler = makeListChecksHandler(lambdaDeps());
