// POST /credentials/{id}/validate: re-check now. Uses: vendors, table, secrets.
import { lambdaCommands } from '../shared/app/commands.ts';
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeRecheckHandler } from '../shared/http/handlers/recheck-credential.ts';

export const handler = makeRecheckHandler({ ...lambdaHttpBase(), commands: lambdaCommands() });
