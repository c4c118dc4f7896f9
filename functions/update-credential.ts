// PATCH /credentials/{id}: edit or rotate (If-Match). Uses: vendors, table, secrets.
import { lambdaCommands } from '../shared/app/commands.ts';
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeUpdateCredentialHandler } from '../shared/http/handlers/update-credential.ts';

export const handler = makeUpdateCredentialHandler({ ...lambdaHttpBase(), commands: lambdaCommands() });
