// PATCH /credentials/{id}: edit or rotate (If-Match).
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeUpdateCredentialHandler } from '../shared/http/handlers.ts';

export const handler = makeUpdateCredentialHandler(lambdaDeps());
