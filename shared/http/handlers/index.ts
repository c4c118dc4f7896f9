import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { Checker, CredentialCommands } from '../../service/credential-commands.ts';
import type { CredentialReads } from '../../service/credential-reads.ts';
import type { DeleteCredentialDeps } from '../../service/delete-credential.ts';
import type { HttpBase, HttpEvent } from '../route.ts';
import type { RouteName } from '../routes.ts';
import { makeConsoleHandler } from './console.ts';
import { makeCreateCredentialHandler } from './create-credential.ts';
import { makeDeleteCredentialHandler } from './delete-credential.ts';
import { makeGetCredentialHandler } from './get-credential.ts';
import { makeHealthHandler } from './health.ts';
import { makeListChecksHandler } from './list-checks.ts';
import { makeListConnectorsHandler } from './list-connectors.ts';
import { makeListCredentialsHandler } from './list-credentials.ts';
import { makeOpenApiHandler } from './openapi.ts';
import { makeRecheckHandler } from './recheck-credential.ts';
import { makeUpdateCredentialHandler } from './update-credential.ts';
import { makeValidateHandler } from './validate-credential.ts';

/** Every part any route uses: what the local server builds once and hands to all of them. */
export interface AllRouteDeps extends HttpBase {
  reads: CredentialReads;
  commands: CredentialCommands;
  deletion: DeleteCredentialDeps;
  check: Checker;
  idempotencyStore?: BasePersistenceLayer | null;
}

export type HttpHandler = (event: HttpEvent, context: Context) => Promise<APIGatewayProxyResultV2>;

/**
 * The handler factory of every route, by route name: for the local server, the one place that builds every
 * route at once. A Lambda entry imports only its own factory (functions/<name>.ts).
 */
export const HANDLER_FACTORIES: Record<RouteName, (deps: AllRouteDeps) => HttpHandler> = {
  console: (deps) => makeConsoleHandler(deps) as HttpHandler,
  health: (deps) => makeHealthHandler(deps) as HttpHandler,
  openapi: (deps) => makeOpenApiHandler(deps) as HttpHandler,
  'list-connectors': (deps) => makeListConnectorsHandler(deps) as HttpHandler,
  'validate-credential': (deps) => makeValidateHandler(deps) as HttpHandler,
  'create-credential': (deps) => makeCreateCredentialHandler(deps) as HttpHandler,
  'list-credentials': (deps) => makeListCredentialsHandler(deps) as HttpHandler,
  'get-credential': (deps) => makeGetCredentialHandler(deps) as HttpHandler,
  'update-credential': (deps) => makeUpdateCredentialHandler(deps) as HttpHandler,
  'delete-credential': (deps) => makeDeleteCredentialHandler(deps) as HttpHandler,
  'recheck-credential': (deps) => makeRecheckHandler(deps) as HttpHandler,
  'list-checks': (deps) => makeListChecksHandler(deps) as HttpHandler,
};
