// POST /credentials/{id}/validate: re-check now.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeRecheckHandler } from '../shared/http/handlers.ts';

export const handler = makeRecheckHandler(lambdaDeps());
