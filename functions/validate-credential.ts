// POST /validations: dry-run check, stores nothing.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeValidateHandler } from '../shared/http/handlers.ts';

export const handler = makeValidateHandler(lambdaDeps());
