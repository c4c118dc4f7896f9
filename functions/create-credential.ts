// POST /credentials: check, then store (Idempotency-Key). Uses: vendors, table, idempotency, secrets.
import { lambdaCommands } from '../shared/app/commands.ts';
import { lambdaIdempotency } from '../shared/app/idempotency.ts';
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeCreateCredentialHandler } from '../shared/http/handlers/create-credential.ts';

export const handler = makeCreateCredentialHandler({
  ...lambdaHttpBase(),
  commands: lambdaCommands(),
  idempotency: lambdaIdempotency(),
});
