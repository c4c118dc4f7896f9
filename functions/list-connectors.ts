// GET /connectors: the connector catalogue.
import { lambdaDeps } from '../shared/app/lambda.ts';
import { makeListConnectorsHandler } from '../shared/http/handlers.ts';

export const handler = makeListConnectorsHandler(lambdaDeps());
