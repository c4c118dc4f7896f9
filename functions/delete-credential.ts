// DELETE /credentials/{id}.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeDeleteCredentialHandler } from '../shared/http/handlers.ts';

export const handler = makeDeleteCredentialHandler(lambdaDeps());
