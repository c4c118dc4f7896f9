// GET /credentials/{id}: metadata and last report.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeGetCredentialHandler } from '../shared/http/handlers.ts';

export const handler = makeGetCredentialHandler(lambdaDeps());
