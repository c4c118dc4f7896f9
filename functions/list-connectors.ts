// GET /connectors: the connector catalogue (generated at build time).
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeListConnectorsHandler } from '../shared/http/handlers/list-connectors.ts';

export const handler = makeListConnectorsHandler(lambdaHttpBase());
