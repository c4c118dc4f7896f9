// GET /credentials: list with cursor pagination.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeListCredentialsHandler } from '../shared/http/handlers.ts';

export const handler = makeListCredentialsHandler(lambdaDeps());
