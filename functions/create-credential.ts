// POST /credentials: check, then store (Idempotency-Key).
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeCreateCredentialHandler } from '../shared/http/handlers.ts';

export const handler = makeCreateCredentialHandler(lambdaDeps());
