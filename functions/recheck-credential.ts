// POST /credentials/{id}/validate: re-check now. Uses: vendors, table, secrets, and the secrets their owners keep
// (registered credentials, read by ARN).
import { lambdaCheckParts } from '../shared/app/check-parts.ts';
import { lambdaExternalSecrets } from '../shared/app/external-secrets.ts';
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeRecheckHandler } from '../shared/http/handlers/recheck-credential.ts';
import { CredentialCommands } from '../shared/service/credential-commands.ts';

export const handler = makeRecheckHandler({
  ...lambdaHttpBase(),
  commands: new CredentialCommands({ ...lambdaCheckParts(), externalSecrets: lambdaExternalSecrets() }),
});
